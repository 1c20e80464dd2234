import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import type { Runtime } from '../../src/runtime.js';
import { operator, slackActor } from '../support/actors.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { sideRuntime } from '../support/rotations.js';

/**
 * `/rotate` checks the secret before its modal opens, and prepares the modal after views.open
 * answers: what changed during that round trip (the secret retired, deleted, or the person's
 * access removed) is judged on the row as it is when the modal fills in, not as it was checked.
 */
const POLICY = parsePolicy('roles:\n  admins: [U0ADMIN]\n');
const OWNER = slackActor('U0OWNER');
const NAME = 'staging/stripe/api_key';
const TABLES = ['secrets', 'rotations', 'audit_events'] as const;

describe('RotationStarts.prepare given a secret checked before the modal opened', () => {
  let store: TempStore;
  let runtime: Runtime;
  beforeEach(() => {
    store = openTempStore({ policy: POLICY });
    store.inventoryService.create({ name: NAME, type: 'api_key', owner: 'U0OWNER' }, operator(), 'test');
    runtime = sideRuntime(store);
  });
  afterEach(() => {
    runtime.close();
    store.close();
  });

  it('still fresh: the start form', async () => {
    const checked = runtime.rotation.rotatable(OWNER, NAME);
    expect(await runtime.rotation.prepare(OWNER, NAME, checked)).toMatchObject({ kind: 'start', secret: { name: NAME } });
  });

  it('retired since the check: refused as retired, nothing written', async () => {
    const checked = runtime.rotation.rotatable(OWNER, NAME);
    store.inventoryService.setLifecycle(NAME, 'retired', operator());
    const before = snapshotTables(store, TABLES);
    const refused = runtime.rotation.prepare(OWNER, NAME, checked);
    await expect(refused).rejects.toMatchObject({ code: 'conflict' });
    await expect(refused).rejects.toThrow(`${NAME} is retired, so it is not rotated any more.`);
    expect(snapshotTables(store, TABLES)).toEqual(before);
  });

  it("the person's access removed since the check (the secret given to another owner): refused and audited, nothing else written", async () => {
    const checked = runtime.rotation.rotatable(OWNER, NAME);
    store.inventoryService.setOwner(NAME, 'U0OTHER', operator(), 'test');
    const before = snapshotTables(store, ['secrets', 'rotations']);
    const lastSeq = store.db.prepare('SELECT max(seq) FROM audit_events').pluck().get();
    await expect(runtime.rotation.prepare(OWNER, NAME, checked)).rejects.toMatchObject({ code: 'forbidden' });
    expect(snapshotTables(store, ['secrets', 'rotations'])).toEqual(before);
    const since = store.db.prepare('SELECT action, actor FROM audit_events WHERE seq > ?').all(lastSeq);
    expect(since).toEqual([{ action: 'access.denied', actor: 'U0OWNER' }]);
  });
});
