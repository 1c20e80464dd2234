import { afterAll, beforeAll } from 'vitest';
import { type PostgresServer, startPostgres } from './postgres-server.js';

export {
  findPostgresBinaries,
  type PostgresBinaries,
  type PostgresServer,
  shouldRunPostgresSuite,
  startPostgres,
} from './postgres-server.js';

/**
 * One PostgreSQL for the enclosing `describe` (a test file): started before its tests, stopped
 * after them. The returned server reads through to the running one, so it can be kept in a
 * `const` at describe level and used inside tests.
 */
export function usePostgres(): PostgresServer {
  let running: PostgresServer | undefined;
  beforeAll(async () => {
    running = await startPostgres();
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
