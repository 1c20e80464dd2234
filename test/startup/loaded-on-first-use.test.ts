import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, isoInstant } from '../../src/core/clock.js';
import { RotorError } from '../../src/core/errors.js';
import { loadedOnFirstUse } from '../../src/core/load-code.js';
import { projectRoot } from '../../src/core/project-root.js';
import { createFingerprinter } from '../../src/providers/fingerprint.js';
import { connectionBehind } from '../../src/providers/loaded-on-first-call.js';
import type { SecretProvider } from '../../src/providers/secret-provider.js';
import { vaultKv2Store } from '../../src/providers/vault/vault-store.js';
import { personalFeedToken } from '../../src/reminders/calendar-feed-token.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { freePort } from '../support/free-port.js';
import { startRotorChild, type RotorChild } from '../support/rotor-child-process.js';
import { generateSlackCredentials } from '../support/slack-signing.js';

/** Rotor's own modules a started bot does not load: each is loaded by the first use of what it does. */
const LAZY_SOURCES = [
  'src/reminders/rotation-calendar.js',
  'src/import-export/import-service.js',
  'src/evidence-archive/evidence-documents.js',
  'src/targets/postgres/postgres-credential-target.js',
  'src/targets/redis/redis-credential-target.js',
  'src/providers/vault/vault-kv2-provider.js',
];
/** Packages only they use (node-vault: the bot below has Vault configured), and prom-client's default collectors (and the @opentelemetry/api they require), which Rotor never serves. */
const LAZY_PACKAGES = ['ics', 'csv-parse', 'csv-stringify', 'pg', '@redis/client', 'node-vault', '@opentelemetry/api'];

/**
 * A loader hook that appends every module a process resolves (ESM, and each CommonJS package's
 * entry an ESM module imports) to `LOADED_LIST`, synchronously, so the list is whole once an
 * import or a request is answered; CommonJS requires are listed by wrapping their resolution.
 */
const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.LOADED_LIST, resolved.url + '\\n');
  return resolved;
}`;

function writeHooks(dir: string): string {
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  if (file.startsWith('/')) appendFileSync(process.env.LOADED_LIST, pathToFileURL(file).href + '\\n');
  return file;
};
`,
  );
  return register;
}

/** What a listing holds: Rotor's modules by their path under dist/, packages by name. */
function loaded(list: string): { sources: string[]; packages: string[] } {
  const urls = readFileSync(list, 'utf8').split('\n').filter(Boolean);
  const dist = pathToFileURL(join(projectRoot, 'dist')).href;
  return {
    sources: urls.filter((url) => url.startsWith(`${dist}/`)).map((url) => url.slice(dist.length + 1)),
    packages: [...new Set(urls.map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((name) => name !== undefined))],
  };
}

describe('a started bot loads what it needs to take requests, and the rest on first use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-first-use-'));
  const list = join(dir, 'loaded.txt');
  const fake = new FakeSlackApi();
  const calendarToken = randomBytes(16).toString('hex');
  let bot: RotorChild;

  beforeAll(async () => {
    await fake.start();
    const credentials = generateSlackCredentials();
    bot = await startRotorChild(
      {
        SLACK_BOT_TOKEN: credentials.botToken,
        SLACK_SIGNING_SECRET: credentials.signingSecret,
        SLACK_API_URL: fake.apiUrl,
        ROTOR_DB: join(dir, 'rotor.db'),
        ROTOR_CALENDAR_TOKEN: calendarToken,
        // Vault configured (nothing listens there): its provider and node-vault still wait for a first call.
        VAULT_ADDR: `http://127.0.0.1:${await freePort()}`,
        VAULT_TOKEN: `hvs.${randomBytes(12).toString('hex')}`,
        ROTOR_REMINDER_CRON: '0 0 29 2 *',
        ROTOR_FOLLOW_UP_CRON: '0 0 29 2 *',
        LOG_LEVEL: 'warn',
        ROTOR_TEST_AT: isoInstant(systemClock.now()),
        NODE_OPTIONS: `--import ${writeHooks(dir)}`,
        LOADED_LIST: list,
      },
      // A fresh process imports the whole bot and migrates a new database: slow on a loaded machine.
      60_000,
    );
  }, 90_000);

  afterAll(async () => {
    bot?.kill();
    await bot?.exited;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after start-up: none of the lazy modules, while what every request uses is loaded', () => {
    const { sources, packages } = loaded(list);
    // Proof the listing sees both Rotor's modules and packages, ESM and CommonJS (express and undici are required by Bolt).
    expect(sources).toEqual(expect.arrayContaining(['src/main.js', 'src/slack/app.js', 'src/runtime.js']));
    expect(packages).toEqual(expect.arrayContaining(['@slack/bolt', 'better-sqlite3', 'zod', 'yaml', 'express', 'undici']));
    for (const source of LAZY_SOURCES) expect(sources, `${source} is loaded at start-up`).not.toContain(source);
    for (const name of LAZY_PACKAGES) expect(packages, `${name} is loaded at start-up`).not.toContain(name);
  });

  it('the first calendar feed asked for loads the calendar and ics, and is served', async () => {
    const user = 'U0FIRSTUSE';
    const response = await fetch(
      `http://127.0.0.1:${new URL(bot.eventsUrl).port}/calendar.ics?user=${user}&token=${personalFeedToken(calendarToken, user)}`,
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('BEGIN:VCALENDAR');
    const { sources, packages } = loaded(list);
    expect(sources).toContain('src/reminders/rotation-calendar.js');
    expect(packages).toContain('ics');
  });
});

describe('credential targets are loaded by their first call', () => {
  it('a PostgreSQL call loads the PostgreSQL target (and pg), not the Redis one, and answers as the target does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-first-call-'));
    const list = join(dir, 'loaded.txt');
    const port = await freePort();
    const script = `
      const { builtInCredentialTargets } = await import(${JSON.stringify(pathToFileURL(join(projectRoot, 'dist', 'src', 'targets', 'credential-targets.js')).href)});
      const targets = builtInCredentialTargets({ connectMs: 2000, statementMs: 2000 });
      const { appendFileSync } = await import('node:fs');
      appendFileSync(process.env.LOADED_LIST, '--- first call\\n');
      const target = { engine: 'postgres', host: '127.0.0.1', port: Number(process.env.TARGET_PORT), tls: 'disable', database: 'app', roles: { strategy: 'single-user', role: 'app' }, managingSecretRef: null };
      const managing = { username: 'manager', password: process.env.TARGET_PASSWORD };
      const error = await targets.postgres.preflight(target, managing).then(() => null, (caught) => caught);
      process.stdout.write(JSON.stringify({ name: error?.name ?? null, message: error?.message ?? null }));
    `;
    try {
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--import', writeHooks(dir), '--input-type=module', '-e', script],
          {
            cwd: projectRoot,
            env: { ...process.env, LOADED_LIST: list, TARGET_PORT: String(port), TARGET_PASSWORD: randomBytes(12).toString('hex') },
          },
          (error, out, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out)),
        ),
      );
      const [before, after] = readFileSync(list, 'utf8').split('--- first call\n') as [string, string];
      writeFileSync(list, before);
      const atImport = loaded(list);
      writeFileSync(list, after);
      const atCall = loaded(list);
      expect(atImport.sources).toContain('src/targets/credential-targets.js');
      expect(atImport.sources).not.toContain('src/targets/postgres/postgres-credential-target.js');
      expect(atCall.sources).toContain('src/targets/postgres/postgres-credential-target.js');
      expect(atCall.packages).toContain('pg');
      expect(atCall.sources).not.toContain('src/targets/redis/redis-credential-target.js');
      // Nothing listens on the port: the target's own refusal, through the target loaded on first call.
      const outcome = JSON.parse(stdout) as { name: string | null; message: string | null };
      expect(outcome.name).toBe('TargetError');
      expect(outcome.message).toContain('cannot be reached (ECONNREFUSED)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a Vault connection is made by its first call', () => {
  const OPTIONAL = ['writeProvenance', 'lendValue', 'findWrite'] as const;
  const optionalCallsOf = (provider: SecretProvider) => OPTIONAL.filter((call) => typeof provider[call] === 'function');

  it('offers the optional calls of its provider and answers as it does', async () => {
    const env = { VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: `hvs.${randomBytes(12).toString('hex')}` };
    const connection = vaultKv2Store.connect({ env, fingerprinter: createFingerprinter(null) }) as SecretProvider;
    const provider = await connectionBehind(connection);
    expect(provider).not.toBe(connection);
    expect(provider.kind).toBe('vault');
    expect(optionalCallsOf(connection)).toEqual(optionalCallsOf(provider));
    // A reference that does not parse is refused before any call to Vault, with the provider's own message.
    const target = { secretName: 'dev/app/db', providerRef: 'arn:aws:nothing' };
    const expected = await provider.validateReference(target).catch((error: unknown) => error);
    expect(expected).toBeInstanceOf(Error);
    await expect(connection.validateReference(target)).rejects.toThrow((expected as Error).message);
    connection.destroy?.();
  });

  it('without VAULT_ADDR and VAULT_TOKEN there is still no Vault connection', () => {
    expect(vaultKv2Store.connect({ env: {}, fingerprinter: createFingerprinter(null) })).toBeNull();
  });
});

describe('loadedOnFirstUse', () => {
  it('a RotorError of the load (a setting it refused) passes as it is', async () => {
    const refused = new RotorError('config', 'VAULT_ADDR must be an http(s) address');
    await expect(loadedOnFirstUse('the vault store', () => Promise.reject(refused))()).rejects.toBe(refused);
  });

  it("a constructor's error (a setting it refused) passes as it is, not as an incomplete installation, and the next use tries again", async () => {
    const refused = new RotorError('config', 'VAULT_ADDR must be an http(s) address');
    const plain = new Error(`bad port ${randomBytes(2).toString('hex')}`, { cause: new RangeError('out of range') });
    let makes = 0;
    const code = loadedOnFirstUse(
      'the vault store',
      async () => ({ made: true }),
      (module) => {
        makes += 1;
        if (makes === 1) throw refused;
        if (makes === 2) throw plain;
        return module;
      },
    );
    await expect(code()).rejects.toBe(refused);
    await expect(code()).rejects.toBe(plain);
    expect(await code()).toEqual({ made: true });
    expect(makes).toBe(3);
  });

  it('loads once for every use, says a failed load as what could not be done with its cause, and tries again next time', async () => {
    let attempts = 0;
    const missing = new Error(`Cannot find module '${randomBytes(4).toString('hex')}.js'`);
    const code = loadedOnFirstUse('the calendar feed', async () => {
      attempts += 1;
      if (attempts === 1) throw missing;
      return { attempts };
    });
    const failed = await code().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(RotorError);
    expect((failed as RotorError).code).toBe('internal');
    expect((failed as RotorError).message).toContain('could not load its code for the calendar feed');
    expect((failed as RotorError).cause).toBe(missing);
    const [first, second] = await Promise.all([code(), code()]);
    expect(first).toBe(second);
    expect(await code()).toEqual({ attempts: 2 });
    expect(attempts).toBe(2);
  });
});
