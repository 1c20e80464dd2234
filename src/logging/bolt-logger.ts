import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';

const BOLT_LEVELS: readonly string[] = Object.values(LogLevel);

/**
 * Bolt and web-api log through this adapter so their lines are JSON and redacted like ours.
 * Their own level setting is ignored: the pino level decides.
 */
export function toBoltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  const line = (messages: unknown[]) => messages.map(String).join(' ');
  return {
    // web-api and Bolt say half a dozen debug lines a call, each joined here for nothing when debug is off.
    debug: (...messages: unknown[]) => {
      if (child.isLevelEnabled('debug')) child.debug(line(messages));
    },
    info: (...messages: unknown[]) => child.info(line(messages)),
    warn: (...messages: unknown[]) => child.warn(line(messages)),
    error: (...messages: unknown[]) => child.error(line(messages)),
    setLevel: () => undefined,
    getLevel: () => (BOLT_LEVELS.includes(child.level) ? (child.level as LogLevel) : LogLevel.ERROR),
    setName: () => undefined,
  };
}
