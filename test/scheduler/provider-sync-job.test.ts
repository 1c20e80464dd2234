import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { providerSyncJob } from '../../src/scheduler/provider-sync-job.js';
import { announcementMessage } from '../../src/slack/views/announcement-message.js';
import { useFakeVault } from '../support/vault.js';
import { capturingLogger, providerHarness } from '../support/provider-harness.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

const FAST = { attempts: 2, timeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 2 };
const policy = parsePolicy('channels:\n  announce: C0ANNOUNCE\n');

describe('the scheduled provider sync', () => {
  const { fake, token } = useFakeVault();
  let store: TempStore;
  let announced: { channel: string; text: string }[];

  beforeEach(() => {
    announced = [];
    store = openTempStore({ at: '2026-01-10T09:00:00Z', policy });
  });
  afterEach(() => store.close());

  function job(deadlineSeconds = 600) {
    const vault = new VaultKv2Provider({ endpoint: fake.address, token, retry: FAST });
    const { providers } = providerHarness(store, { vault });
    return providerSyncJob({
      sync: providers.sync,
      schedule: '0 6 * * *',
      deadlineSeconds,
      policy,
      clock: store.clock,
      announcer: {
        announce: async (channel, announcement) => {
          announced.push({ channel, text: announcementMessage(announcement).text });
          return { channel, ts: '1.000100' };
        },
      },
      logger: capturingLogger().logger,
    });
  }

  it('records a rotation done outside Rotor and says nothing when all is well', async () => {
    fake.putSecret('secret', 'prod/app/db', { value: randomBytes(8).toString('hex') });
    store.inventoryService.create(
      { name: 'prod/app/db', provider: 'vault', providerRef: 'secret/prod/app/db', lastRotated: '2026-01-01' },
      operator('U0ADMIN'),
      'test',
    );
    await job().run();
    expect(store.inventory.get('prod/app/db')?.currentVersionId).toBe('1');
    expect(announced).toEqual([]);
  });

  it('announces references that no longer resolve, escaped for Slack', async () => {
    store.inventoryService.create(
      { name: 'prod/app/db', provider: 'vault', providerRef: 'secret/prod/gone', description: '<!channel>' },
      operator('U0ADMIN'),
      'test',
    );
    await job().run();
    expect(announced).toHaveLength(1);
    expect(announced[0]?.channel).toBe('C0ANNOUNCE');
    expect(announced[0]?.text).toMatch(/Provider sync: 1 secret needs attention/);
    expect(announced[0]?.text).toMatch(/References that no longer resolve:\n {2}prod\/app\/db: /);
    expect(announced[0]?.text).not.toContain('<!channel>');
  });

  it('with Vault frozen, stops at its deadline, writes nothing and is announced like a failed sweep', async () => {
    for (const name of ['prod/app/db', 'prod/app/cache', 'prod/app/queue']) {
      store.inventoryService.create(
        { name, provider: 'vault', providerRef: `secret/${name}`, lastRotated: '2026-01-01' },
        operator('U0ADMIN'),
        'test',
      );
    }
    const before = snapshotTables(store);
    fake.hang = true;
    // The retry policy alone would wait 2 attempts × 2 s per secret; the deadline cuts it short.
    await job(1).run();
    expect(snapshotTables(store)).toEqual(before);
    expect(announced).toHaveLength(1);
    expect(announced[0]?.channel).toBe('C0ANNOUNCE');
    expect(announced[0]?.text).toMatch(
      /^:warning: The provider sync failed at .*: rotor sync stopped at its 1 s deadline .*0 of 3 provider-backed secrets checked, 3 not checked this time/,
    );
    expect(announced[0]?.text).toContain('Secrets not checked are checked at the next sync');
  });
});
