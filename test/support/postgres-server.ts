import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

/**
 * A real PostgreSQL on 127.0.0.1, started from a fresh `initdb` in a temp dir. Free of vitest, so the
 * bench starts it too (bench/sections/executors.ts); tests use usePostgres (postgres.ts).
 */
export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The superuser made by initdb, with a password made at run time. */
  readonly superuser: { user: string; password: string };
  /** Runs SQL as the superuser on the `postgres` database, for arranging what a test needs. */
  sql<Row extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  /** Everything the server has logged so far (statements too, with `log_statement = 'all'`). */
  log(): string;
  stop(): Promise<void>;
}

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/**
 * initdb and postgres from the PATH, else from Debian's versioned directory
 * (/usr/lib/postgresql/<version>/bin, newest first), which the `postgresql` package does not put
 * on the PATH.
 */
export function findPostgresBinaries(): PostgresBinaries | null {
  const onPath = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  const initdb = onPath('initdb');
  const postgres = onPath('postgres');
  if (initdb && postgres) return { initdb, postgres };
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return null;
  const versions = readdirSync(debian)
    .filter((entry) => /^\d+$/.test(entry))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(debian, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres')))
      return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
  }
  return null;
}

/**
 * Whether a PostgreSQL suite runs. Without the binaries it is skipped with a visible message,
 * except under CI=true, where a missing PostgreSQL must fail the run.
 */
export function shouldRunPostgresSuite(suite: string): boolean {
  if (findPostgresBinaries()) return true;
  if (process.env.CI === 'true')
    throw new Error(
      `PostgreSQL (initdb, postgres) is not installed; ${suite} must run under CI=true. Install the Debian package postgresql.`,
    );
  console.warn(
    `\n*** SKIPPING ${suite}: PostgreSQL is not installed (initdb and postgres not found on PATH or under /usr/lib/postgresql; install postgresql to run it) ***\n`,
  );
  return false;
}

/** PostgreSQL refuses to run as root, so under uid 0 the server runs as the `postgres` system user. */
interface RunAs {
  uid: number;
  gid: number;
}

function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry)
    throw new Error(
      'running as root, and there is no `postgres` system user to run PostgreSQL as (install the postgresql package, or run the tests as another user)',
    );
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/**
 * A data directory made by `initdb` once, with its superuser, for servers started from copies of it
 * (initdb costs seconds; a copy of its ~40 MB, milliseconds). Every server still starts from a fresh
 * cluster of its own: only the superuser's password, made at run time, is shared by the copies.
 */
export interface PostgresTemplate {
  readonly dataDir: string;
  readonly superuser: { user: string; password: string };
}

/** Runs initdb into `root`/data (`root` is created, and owned by the `postgres` user under uid 0). */
export function initPostgresTemplate(root: string): PostgresTemplate {
  const binaries = findPostgresBinaries();
  if (!binaries) throw new Error('PostgreSQL is not installed');
  const user = runAs();
  mkdirSync(root, { recursive: true });
  const dataDir = join(root, 'data');
  const passwordFile = join(root, 'superuser-password');
  const superuser = { user: 'rotor_test_admin', password: randomBytes(18).toString('hex') };
  writeFileSync(passwordFile, superuser.password, { mode: 0o600 });
  if (user) {
    chownSync(root, user.uid, user.gid);
    chownSync(passwordFile, user.uid, user.gid);
  }
  const init = spawnSync(
    binaries.initdb,
    [
      '-D',
      dataDir,
      '-U',
      superuser.user,
      `--pwfile=${passwordFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '--encoding=UTF8',
      '--no-sync',
    ],
    { encoding: 'utf8', ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, LC_ALL: 'C' } },
  );
  rmSync(passwordFile, { force: true });
  if (init.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  return { dataDir, superuser };
}

/**
 * Starts a PostgreSQL on a fresh cluster: a copy of `template` when given (see PostgresTemplate),
 * else a cluster of its own from initdb.
 */
export async function startPostgres(template?: PostgresTemplate): Promise<PostgresServer> {
  const binaries = findPostgresBinaries();
  if (!binaries) throw new Error('PostgreSQL is not installed');
  const user = runAs();
  const root = mkdtempSync(join(tmpdir(), 'rotor-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  let superuser: { user: string; password: string };
  if (template) {
    if (user) chownSync(root, user.uid, user.gid);
    // cp -a keeps the owner and the 0700 mode PostgreSQL insists on.
    const copy = spawnSync('cp', ['-a', template.dataDir, dataDir], { encoding: 'utf8' });
    if (copy.status !== 0) {
      rmSync(root, { recursive: true, force: true });
      throw new Error(`copying the PostgreSQL template failed: ${copy.stderr}`);
    }
    superuser = template.superuser;
  } else {
    try {
      superuser = initPostgresTemplate(root).superuser;
    } catch (error) {
      rmSync(root, { recursive: true, force: true });
      throw error;
    }
  }
  const port = await freePort();
  const logFd = openSync(logFile, 'a');
  const child = spawn(
    binaries.postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${root}`,
      '-c',
      'log_statement=all',
      '-c',
      'logging_collector=off',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=50',
    ],
    { stdio: ['ignore', logFd, logFd], ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, LC_ALL: 'C' } },
  );
  closeSync(logFd);
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const connection = { host: '127.0.0.1', port, user: superuser.user, password: superuser.password, database: 'postgres' };
  const stop = async () => {
    await stopChild(child);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(connection, child, readLog);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    superuser,
    sql: async <Row extends object>(text: string, values: unknown[] = []) => {
      const client = new pg.Client({ ...connection, connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        return (await client.query<Row>(text, values)).rows;
      } finally {
        await client.end();
      }
    },
    log: readLog,
    stop,
  };
}

async function waitUntilReady(connection: pg.ClientConfig, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`postgres exited early: ${log().slice(-4000)}`);
    const client = new pg.Client({ ...connection, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      // starting up
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`postgres did not accept connections on port ${String(connection.port)}: ${log().slice(-4000)}`);
}

/** Fast shutdown (SIGINT): ends sessions and stops; SIGKILL when it does not within 5 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGINT');
  });
}
