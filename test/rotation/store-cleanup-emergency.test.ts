import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/access/actor.js';
import { parsePolicy } from '../../src/config/policy.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { CleanupFailedError } from '../../src/rotation/rotation-errors.js';
import type { Runtime } from '../../src/runtime.js';
import { sideRuntime } from '../support/rotations.js';
import { operator, slackActor } from '../support/actors.js';
import { daysAgo } from '../support/clock-dates.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { useFakeVault } from '../support/vault.js';

const FAST = { attempts: 2, timeoutMs: 3_000, baseDelayMs: 1, maxDelayMs: 2 };
const POLICY = parsePolicy(`
channels:
  incident: [C0INCIDENT]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  responders: [U0ONCALL]
`);
const NAME = 'staging/cache/redis';
const OWNER = slackActor('U0OWNER');
const ONCALL = slackActor('U0ONCALL', 'C0INCIDENT');
const TABLES = ['secrets', 'rotations', 'rotation_steps', 'audit_events'];

/**
 * A Vault rotation whose create step wrote before its answer was lost, and Vault sealed (503)
 * since: the write intent is all Rotor recorded, and whether the write landed cannot be asked.
 */
describe('abandoning a Vault rotation whose write was lost, with Vault out of reach', () => {
  const vault = useFakeVault();
  let store: TempStore;
  let runtime: Runtime;

  beforeEach(() => {
    store = openTempStore({ policy: POLICY });
    vault.fake.putSecret('secret', NAME, { value: randomBytes(12).toString('hex') });
    store.inventoryService.create(
      {
        name: NAME,
        type: 'database',
        owner: 'U0OWNER',
        provider: 'vault',
        providerRef: `secret/${NAME}`,
        lastRotated: daysAgo(store.clock, 92),
      },
      operator(),
      'test',
    );
    runtime = sideRuntime(
      store,
      createProviderRegistry({ vault: new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST }) }),
    );
  });
  afterEach(() => {
    runtime?.close();
    store.close();
  });

  /** Works the rotation up to its create step, runs it with the write's answer lost and Vault sealed after it. */
  async function loseTheWrite(actor: Actor, id: number): Promise<void> {
    for (;;) {
      const record = runtime.rotation.get(id);
      const step = record.steps.find((candidate) => candidate.state === 'pending');
      if (!step) throw new Error('the rotation has no create step');
      if (step.action === 'create_version') {
        vault.fake.loseNextWriteAnswer(() => vault.fake.failNext(10_000, 503, ['Vault is sealed']));
        const { error } = await runtime.rotation.runStep(actor, id, step.id, { expectedVersion: record.rotation.version });
        expect(error).not.toBeNull();
        break;
      }
      if (step.action === null) runtime.rotation.tickStep(actor, id, step.id, { expectedVersion: record.rotation.version });
      else expect((await runtime.rotation.runStep(actor, id, step.id, { expectedVersion: record.rotation.version })).error).toBeNull();
    }
    const lost = runtime.rotation.get(id);
    expect(lost.rotation.newVersionId).toBeNull();
    expect(lost.steps.find((step) => step.action === 'create_version')?.result).toMatchObject({ writeIntent: { versionId: '2' } });
    expect(vault.fake.version('secret', NAME, 2)).toBeDefined();
  }

  it('an emergency undoes nothing either way: it is abandoned plainly, the store out of reach noted, no by-hand choice', async () => {
    const opened = await runtime.revocation.open(ONCALL, NAME, 'pasted in a public channel', {
      confirmName: NAME,
      severity: 'SEV1',
      ticket: 'INC-7',
      order: 'replace_then_disable',
      destroy: false,
    });
    const id = opened.incident.rotationId as number;
    expect(runtime.rotation.get(id).rotation.kind).toBe('emergency');
    await loseTheWrite(ONCALL, id);
    const asked = vault.fake.requests.length;

    const ended = await runtime.rotation.abandon(ONCALL, id, {
      reason: 'Vault is sealed; the incident goes on by hand',
      expectedVersion: runtime.rotation.get(id).rotation.version,
    });
    expect(ended.rotation.state).toBe('abandoned');
    // Vault was asked (and did not answer); nothing was written back.
    expect(vault.fake.requests.length).toBeGreaterThan(asked);
    expect(vault.fake.version('secret', NAME, 3)).toBeUndefined();
    const details = store.db.prepare(`SELECT details FROM audit_events WHERE action = 'rotation.abandoned'`).pluck().get() as string;
    const { cleanup } = JSON.parse(details) as { cleanup: { action: string; note?: string } };
    expect(cleanup).toMatchObject({ action: 'none' });
    expect(cleanup.note).toMatch(/^Vault could not be asked whether Rotor's write landed \(.*\); if it did, it stays current/);
  });

  it('a scheduled rotation still offers cleaning up by hand: its write, if it landed, is to be undone', async () => {
    const { rotation } = await runtime.rotation.start(OWNER, NAME, { ticket: 'OPS-1' });
    expect(rotation.kind).toBe('scheduled');
    await loseTheWrite(OWNER, rotation.id);
    const before = snapshotTables(store, TABLES);

    const refused = await runtime.rotation
      .abandon(OWNER, rotation.id, { reason: 'Vault is sealed', expectedVersion: runtime.rotation.get(rotation.id).rotation.version })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CleanupFailedError);
    expect((refused as CleanupFailedError).next).toMatchObject({ kind: 'action', action: 'abandon_by_hand' });
    expect(snapshotTables(store, TABLES)).toEqual(before);
  });
});
