import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { projectRoot } from '../../src/core/project-root.js';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { awsSecretsManagerStore } from '../../src/providers/aws/aws-store.js';
import { AwsKmsKeyProvider } from '../../src/providers/aws-kms/kms-key-provider.js';
import { awsKmsStore } from '../../src/providers/aws-kms/kms-store.js';
import { createFingerprinter } from '../../src/providers/fingerprint.js';
import { googleAccessTokenSourceFromEnv } from '../../src/providers/google-secret-manager/google-access-token.js';
import { GoogleSecretManagerProvider } from '../../src/providers/google-secret-manager/google-secret-manager-provider.js';
import { loadedOnFirstCall } from '../../src/providers/loaded-on-first-call.js';
import type { SecretProvider } from '../../src/providers/secret-provider.js';

/** The store SDKs and target clients a bot loads only once a secret or the policy uses them. */
const CLIENTS = ['@aws-sdk/client-secrets-manager', '@aws-sdk/client-kms', '@aws-sdk/client-s3', 'pg', '@redis/client', 'node-vault'];

/** The packages of node_modules a fresh process has loaded after importing `module` (CommonJS ones: every client above is). */
function packagesLoadedBy(module: string): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(module)});
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    const names = loaded.map((file) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));
  `;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: projectRoot }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as string[]),
    ),
  );
}

/** Every optional method of the port: the two checks below fail to compile when one is added to SecretProvider and not here. */
const OPTIONAL_CALLS = ['writeProvenance', 'lendValue', 'findWrite', 'destroy'] as const satisfies readonly OptionalMethod[];
type OptionalMethod = { [K in keyof SecretProvider]-?: object extends Pick<SecretProvider, K> ? K : never }[keyof SecretProvider];
const everyOptionalMethodListed: [Exclude<OptionalMethod, (typeof OPTIONAL_CALLS)[number]>] extends [never] ? true : never = true;
const optionalCallsOf = (provider: SecretProvider) => OPTIONAL_CALLS.filter((call) => typeof provider[call] === 'function');

describe('store and target clients are loaded when used, not with Rotor', () => {
  it('importing the bot (dist/src/main.js) loads none of them, while it does load what every bot uses', async () => {
    const loaded = await packagesLoadedBy(join(projectRoot, 'dist', 'src', 'main.js'));
    // Proof the listing sees CommonJS packages imported from ESM: Bolt and SQLite are loaded by every bot.
    expect(loaded).toEqual(expect.arrayContaining(['@slack/bolt', 'better-sqlite3']));
    for (const client of CLIENTS) expect(loaded, `${client} is loaded with the bot`).not.toContain(client);
    // A fresh Node process imports the whole bot: slow on a loaded machine.
  }, 60_000);

  it('importing the CLI (dist/src/cli/program.js, what every `rotor` command loads) loads none of them', async () => {
    const loaded = await packagesLoadedBy(join(projectRoot, 'dist', 'src', 'cli', 'program.js'));
    // Proof the listing sees CommonJS packages: every command opens the database.
    expect(loaded).toContain('better-sqlite3');
    for (const client of CLIENTS) expect(loaded, `${client} is loaded with the CLI`).not.toContain(client);
  }, 60_000);

  it.each([
    ['aws', awsSecretsManagerStore, () => new AwsSecretsManagerProvider()],
    ['kms', awsKmsStore, () => new AwsKmsKeyProvider()],
  ] as const)('the %s connection offers the optional calls its provider has, and answers as it does', async (kind, store, real) => {
    const connection = store.connect({ env: {}, fingerprinter: createFingerprinter(null) });
    expect(connection?.kind).toBe(kind);
    const provider = real();
    expect(optionalCallsOf(connection as SecretProvider)).toEqual(optionalCallsOf(provider));
    // A reference that does not parse is refused before any call to AWS, with the provider's own message.
    const target = { secretName: 'dev/app/db', providerRef: 'arn:aws:nothing' };
    const expected = await provider.validateReference(target).catch((error: unknown) => error);
    expect(expected).toBeInstanceOf(Error);
    await expect(connection?.validateReference(target)).rejects.toThrow((expected as Error).message);
    connection?.destroy?.();
    provider.destroy?.();
  });

  it('a connection declaring every optional call forwards each one the loaded provider has: findWrite of Google', async () => {
    expect(everyOptionalMethodListed).toBe(true);
    const provider = new GoogleSecretManagerProvider(
      {
        tokens: googleAccessTokenSourceFromEnv({ GOOGLE_OAUTH_ACCESS_TOKEN: `ya29.${randomBytes(12).toString('hex')}` }, systemClock),
        endpoint: 'http://127.0.0.1:9',
      },
      'current',
    );
    const has = (call: (typeof OPTIONAL_CALLS)[number]) => typeof (provider as SecretProvider)[call] === 'function';
    const connection = loadedOnFirstCall(
      'google',
      { writeProvenance: has('writeProvenance'), lendValue: has('lendValue'), findWrite: has('findWrite') },
      async () => provider,
      (loaded) => loaded,
    );
    expect(optionalCallsOf(provider)).toContain('findWrite');
    // Every connection has destroy (Google's provider holds no sockets to release); every other optional call is the provider's own.
    const calls = (of: SecretProvider) => optionalCallsOf(of).filter((call) => call !== 'destroy');
    expect(calls(connection)).toEqual(calls(provider));
    // A reference that does not parse is refused by the provider itself, through the connection as directly.
    const target = { secretName: 'dev/app/db', providerRef: 'not-a-google-secret' };
    const request = { requestToken: randomBytes(8).toString('hex'), intent: null };
    const expected = await provider.findWrite(target, request).catch((error: unknown) => error);
    expect(expected).toBeInstanceOf(Error);
    await expect(connection.findWrite?.(target, request)).rejects.toThrow((expected as Error).message);
    connection.destroy?.();
  });
});
