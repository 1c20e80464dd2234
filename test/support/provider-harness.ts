import { Writable } from 'node:stream';
import { Command } from 'commander';
import pino, { type Logger } from 'pino';
import { registerDiscoverCommand } from '../../src/cli/discover-command.js';
import type { ProviderCommandContext } from '../../src/cli/provider-command-context.js';
import { registerSyncCommand } from '../../src/cli/sync-command.js';
import { describeError } from '../../src/core/errors.js';
import { createProviderServices, type ProviderServices } from '../../src/providers/provider-factory.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import type { SecretProvider } from '../../src/providers/secret-provider.js';
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
  providers: ProviderServices;
  logLines: string[];
  /** Runs `rotor <args>` with the provider commands; returns what it printed and the error line, if any. */
  cli(args: string[]): Promise<{ output: string; error: string | null }>;
}

export function providerHarness(store: TempStore, providers: { aws?: SecretProvider; vault?: SecretProvider }): ProviderHarness {
  const { logger, lines } = capturingLogger();
  store.audit.onAppend((event) => logger.info({ audit: event }, 'audit event'));
  const services = createProviderServices(store, createProviderRegistry(providers), logger);
  return {
    providers: services,
    logLines: lines,
    async cli(args) {
      const printed: string[] = [];
      const context: ProviderCommandContext = { providers: services, actor: 'cli:test', print: (line) => printed.push(line), close: () => undefined };
      const program = new Command('rotor').exitOverride().configureOutput({ writeOut: (text) => printed.push(text), writeErr: (text) => printed.push(text) });
      registerSyncCommand(program, () => context);
      registerDiscoverCommand(program, () => context);
      try {
        await program.parseAsync(args, { from: 'user' });
        return { output: printed.join('\n'), error: null };
      } catch (error) {
        return { output: printed.join('\n'), error: describeError(error) };
      }
    },
  };
}
