import { createClient } from '@redis/client';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import type { LoginCredential } from '../../../src/targets/credential-target.js';
import { operator } from '../../support/actors.js';
import { shouldRunRedisSuite, useRedis, type RedisServer } from '../../support/redis.js';
import { createAppUser, createManagingUser, logsIn, passwordHashes, sha256Hex, uniqueUser } from '../../support/redis-users.js';
import { incidentRecord, REVOCATION_PEOPLE, REVOCATION_POLICY, revokeConfirmed, statusShown } from '../../support/revocation-slack.js';
import { FAST_RETRY, rotationRecord, rotorCli, startRotationHarness } from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { useFakeVault } from '../../support/vault.js';
import { daysAgo } from '../../support/clock-dates.js';

/** A client of the test's own, as a consumer holding a password has one. */
function clientFor(server: RedisServer, credential: LoginCredential) {
  return createClient({
    socket: { host: server.host, port: server.port, reconnectStrategy: false },
    username: credential.username,
    password: credential.password,
  });
}

type Connection = ReturnType<typeof clientFor>;

/** A connection authenticated as `credential`, as a consumer holding the compromised password has one. */
async function openConnection(server: RedisServer, credential: LoginCredential): Promise<Connection> {
  const client = clientFor(server, credential);
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function connectionAlive(client: Connection): Promise<boolean> {
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  }
}

/**
 * Issue 21 item 6 for Redis: `/revoke` of a Vault-backed Redis ACL user with a target, through the
 * real Bolt app: the new password is written, added beside the old one and proved at a real
 * redis-server, then the compromised password is removed (`<old`) and the user's connections
 * closed (`CLIENT KILL USER`), in the same flow; the status message and the evidence say when.
 */
describe.runIf(shouldRunRedisSuite('Redis target revocations'))('/revoke of a Redis ACL user with a target', () => {
  const vault = useFakeVault();
  const server = useRedis();
  let harness: SlackHarness | undefined;
  const connections: Connection[] = [];
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    for (const connection of connections.splice(0)) if (connection.isOpen) connection.destroy();
  });

  it('the new password is set and logs in, then the compromised one is refused and its connection closed; the status message and the evidence say when', async () => {
    const suffix = randomBytes(4).toString('hex');
    const name = `prod/cache${suffix}/redis_password`;
    const admin = `prod/cache${suffix}/redis_admin`;
    const app = await createAppUser(server, uniqueUser('app'));
    const manager = await createManagingUser(server);
    vault.fake.putSecret('secret', admin, { username: manager.username, password: manager.password });
    vault.fake.putSecret('secret', name, { username: app.username, password: app.password, host: server.host });
    harness = await startRotationHarness({
      vault: () => new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY }),
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          {
            name,
            type: 'redis',
            owner: 'U0OWNER',
            provider: 'vault',
            providerRef: `secret/${name}`,
            lastRotated: daysAgo(store.clock, 31),
            target: {
              engine: 'redis',
              host: server.host,
              port: server.port,
              tls: 'disable',
              user: app.username,
              managing_ref: `secret/${admin}`,
            },
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const connection = await openConnection(server, app);
    connections.push(connection);
    expect(await connectionAlive(connection)).toBe(true);

    await revokeConfirmed(h, name);

    const record = rotationRecord(h, incidentRecord(h, 1).incident.rotationId as number);
    expect(record.steps.slice(0, 5).map((step) => [step.id, step.state])).toEqual([
      ['create_version', 'done'],
      ['set_at_target', 'done'],
      ['verify_at_target', 'done'],
      ['promote', 'done'],
      ['revoke_at_issuer', 'done'],
    ]);
    const doneAt = (id: string) => record.steps.find((step) => step.id === id)?.doneAt as string;
    expect(doneAt('verify_at_target') <= doneAt('revoke_at_issuer')).toBe(true);
    expect(record.rotation).toMatchObject({ previousVersionId: '1', newVersionId: '2' });

    const written = vault.fake.version('secret', name, 2)?.data as Record<string, string>;
    const fresh = { username: app.username, password: written.password as string };
    expect(fresh.password).not.toBe(app.password);
    // At the server: only the new password is left, the compromised one is refused, its connection closed.
    expect(await passwordHashes(server, app.username)).toEqual([sha256Hex(fresh.password)]);
    expect(await logsIn(server, app)).toBe(false);
    expect(await connectionAlive(connection)).toBe(false);
    expect(await logsIn(server, fresh)).toBe(true);
    const lock = record.steps.find((step) => step.id === 'revoke_at_issuer');
    expect(lock?.result).toMatchObject({ loginRefused: true, sessionsEnded: 1, versionId: '1', lockedAt: doneAt('revoke_at_issuer') });

    const text = JSON.stringify(statusShown(h).blocks);
    expect(text).toContain('no longer accepts the compromised password; 1 connection closed');
    expect(text).not.toContain('The credential stays valid until it is revoked at its issuer.');

    const evidence = await rotorCli(h, 'incidents', 'evidence', '1');
    expect(evidence.code, evidence.stderr).toBe(0);
    const row = evidence.stdout.split('\n').find((line) => line.startsWith('| Compromised credential locked out at Redis')) ?? '';
    expect(row).toContain(`at ${doneAt('revoke_at_issuer')}`);
    expect(row).toContain('1 connection closed');
    for (const password of [fresh.password, app.password]) {
      expect(JSON.stringify(h.fake.calls)).not.toContain(password);
      expect(JSON.stringify(snapshotTables(h.store))).not.toContain(password);
      expect(evidence.stdout).not.toContain(password);
    }
  });
});
