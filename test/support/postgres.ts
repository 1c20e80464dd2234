import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { initPostgresTemplate, type PostgresServer, type PostgresTemplate, startPostgres } from './postgres-server.js';

export {
  findPostgresBinaries,
  type PostgresBinaries,
  type PostgresServer,
  shouldRunPostgresSuite,
  startPostgres,
} from './postgres-server.js';

let workerTemplate: PostgresTemplate | undefined;

/**
 * This worker's initdb, made by its first PostgreSQL suite and copied by every later one; it lives
 * in the run's directory (test/support/moto-workers.ts), which the global teardown removes.
 */
function templateOfThisWorker(): PostgresTemplate | undefined {
  const directory = inject('motoWorkersDirectory');
  if (!directory) return undefined;
  workerTemplate ??= initPostgresTemplate(mkdtempSync(join(directory, `postgres-template-${process.env.VITEST_POOL_ID ?? '0'}-`)));
  return workerTemplate;
}

/**
 * One PostgreSQL for the enclosing `describe` (a test file), on a fresh cluster copied from this
 * worker's initdb: started before its tests, stopped after them. The returned server reads through to the running one, so it can be kept in a
 * `const` at describe level and used inside tests.
 */
export function usePostgres(): PostgresServer {
  let running: PostgresServer | undefined;
  beforeAll(async () => {
    running = await startPostgres(templateOfThisWorker());
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
  });
  const started = (): PostgresServer => {
    if (!running) throw new Error('PostgreSQL is not running: use usePostgres() inside a describe and read it inside a test');
    return running;
  };
  return {
    host: '127.0.0.1',
    get port() {
      return started().port;
    },
    get superuser() {
      return started().superuser;
    },
    sql: (text, values) => started().sql(text, values),
    log: () => started().log(),
    stop: () => started().stop(),
  };
}
