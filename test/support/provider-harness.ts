import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { createProviderServices, type ProviderServices } from '../../src/providers/provider-factory.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import type { SecretProvider } from '../../src/providers/secret-provider.js';
import { runRotor, type CliResult } from './cli.js';
import type { TempStore } from './temp-db.js';

/** A pino logger whose every line is kept, so tests can search what Rotor logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

export interface ProviderHarness {
  /** Provider services over the test's store, logging into `logLines`. */
  providers: ProviderServices;
  logLines: string[];
  /** Runs the real `rotor` CLI in-process against the store's database file. */
  cli(...argv: string[]): Promise<CliResult>;
}

/**
 * Provider services for a temp store, plus the real CLI over the same database file. The
 * CLI builds its own providers from the environment: AWS through the SDK chain (the test sets
 * AWS_ENDPOINT_URL), Vault from `cliEnv`.
 */
export function providerHarness(
  store: TempStore,
  providers: { aws?: SecretProvider; vault?: SecretProvider },
  cliEnv: NodeJS.ProcessEnv = {},
): ProviderHarness {
  const { logger, lines } = capturingLogger();
  store.audit.onAppend((event) => logger.info({ audit: event }, 'audit event'));
  return {
    providers: createProviderServices(store, createProviderRegistry(providers), logger),
    logLines: lines,
    cli: (...argv) => runRotor(['--db', store.path, ...argv], cliEnv),
  };
}
