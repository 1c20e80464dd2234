import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import { operator } from '../../support/actors.js';
import { shouldRunRedisSuite, useRedis } from '../../support/redis.js';
import { createAppUser, createManagingUser, logsIn, uniqueUser } from '../../support/redis-users.js';
import {
  ACTION_IDS,
  clickInMessage,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  press,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitTicket,
  textOf,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { useFakeVault } from '../../support/vault.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Issue 21: a Vault-backed Redis ACL user rotated at a real redis-server through the real Bolt
 * app: approvals before the write (KV v2 makes it current at once), the new password added beside
 * the old one, both working through the retention window, the old one removed after it.
 */
describe.runIf(shouldRunRedisSuite('Redis target rotations'))('a Redis ACL user rotated at its target, through Slack', () => {
  const vault = useFakeVault();
  const server = useRedis();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('two approvals, the new password beside the old, both log in until the window ends, then only the new one', async () => {
    const suffix = randomBytes(4).toString('hex');
    const name = `prod/cache${suffix}/redis_password`;
    const app = await createAppUser(server, uniqueUser('app'));
    const manager = await createManagingUser(server);
    vault.fake.putSecret('secret', `prod/cache${suffix}/redis_admin`, { username: manager.username, password: manager.password });
    vault.fake.putSecret('secret', name, { username: app.username, password: app.password, host: server.host });
    harness = await startRotationHarness({
      vault: () => new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY }),
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
              managing_ref: `secret/prod/cache${suffix}/redis_admin`,
            },
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', name);
    const id = viewId as string;
    expect(textOf(modal(h, id))).toContain('the new password is added beside the old one');
    await submitTicket(h, 'U0OWNER', id, 'OPS-21');
    const rotationId = metadataOf(modal(h, id)).rotationId as number;
    expect(textOf(modal(h, id))).toContain('Locked until a security lead and a DevOps lead approve.');
    expect(vault.fake.version('secret', name, 2)).toBeUndefined();
    for (const lead of ['U0SEC', 'U0OPS']) {
      const [request] = await waitForDms(h, lead, /^Approval requested/);
      h.store.clock.advance({ minutes: 1 });
      await clickInMessage(h, lead, request!, ACTION_IDS.rotationApprove);
    }
    await waitForDms(h, 'U0OWNER', /^Approved/, 2);
    await driveModal(h, 'U0OWNER', id, null);
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);
    const record = rotationRecord(h, rotationId);
    expect(record.rotation).toMatchObject({ state: 'completed', previousVersionId: '1', newVersionId: '2' });

    const written = vault.fake.version('secret', name, 2)?.data as Record<string, string>;
    expect(Object.keys(written)).toEqual(['username', 'password', 'host']);
    expect(written).toMatchObject({ username: app.username, host: server.host });
    const fresh = { username: app.username, password: written.password as string };
    expect(fresh.password).not.toBe(app.password);
    expect(await logsIn(server, fresh)).toBe(true);
    expect(await logsIn(server, app)).toBe(true);
    expect(JSON.stringify(h.fake.calls)).not.toContain(fresh.password);
    expect(JSON.stringify(snapshotTables(h.store))).not.toContain(fresh.password);

    // At the end of the retention window (injected clock) the old password is removed.
    h.store.clock.advance({ hours: 49 });
    await h.runtime.runJob('follow-up-sweep');
    const [offer] = await waitForDms(h, 'U0OWNER', /^Remove the previous version/);
    await clickInMessage(h, 'U0OWNER', offer!, ACTION_IDS.rotationRemovePrevious);
    expect(await logsIn(server, app)).toBe(false);
    expect(await logsIn(server, fresh)).toBe(true);
  });
});
