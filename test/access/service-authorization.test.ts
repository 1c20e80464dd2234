import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessDeniedError } from '../../src/access/authorize.js';
import { REFUSAL_WINDOW_SECONDS } from '../../src/access/refusal-log.js';
import { parsePolicy } from '../../src/config/policy.js';
import { importRows, parseRows } from '../../src/import-export/import-service.js';
import { OwnershipService } from '../../src/inventory/ownership-service.js';
import { ReminderActionsService } from '../../src/reminders/reminder-actions-service.js';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { createLogger } from '../../src/logging/logger.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { createRuntime } from '../../src/runtime.js';
import { operator, slackActor } from '../support/actors.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { openHarness, type Harness } from '../reminders/support/reminder-harness.js';
import { sideRuntime } from '../support/rotations.js';

const POLICY = parsePolicy(`
channels:
  incident: [C0INCIDENT]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  responders: [U0ONCALL]
`);

const STRANGER = slackActor('U0STRANGER', 'C0INCIDENT');
const TABLES = ['secrets', 'reminder_ledger', 'reminder_snoozes'];

/** Calls the service as someone the policy gives no right, and checks the refusal is audited and nothing else moved. */
function expectRefusedAndAudited(store: TempStore, call: () => unknown, attempted: string): void {
  // Each refusal here is the first of its window: repeats within a minute are only counted.
  store.clock.advance({ seconds: REFUSAL_WINDOW_SECONDS });
  const before = snapshotTables(store, TABLES);
  const events = store.db.prepare('SELECT count(*) FROM audit_events').pluck().get() as number;
  expect(call).toThrow(AccessDeniedError);
  expect(snapshotTables(store, TABLES)).toEqual(before);
  const added = store.db.prepare('SELECT actor, action, details FROM audit_events WHERE seq > ?').all(events) as {
    actor: string;
    action: string;
    details: string;
  }[];
  expect(added).toHaveLength(1);
  expect(added[0]).toMatchObject({ actor: 'U0STRANGER', action: 'access.denied' });
  expect(JSON.parse(added[0]!.details)).toMatchObject({ attempted });
}

describe('services authorize their actor, whichever surface calls them', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore({ policy: POLICY });
    store.inventoryService.create({ name: 'prod/stripe/api_key', owner: 'U0OWNER' }, operator(), 'test');
  });
  afterEach(() => store.close());

  it('InventoryService.create refuses someone who may not add secrets', () => {
    expectRefusedAndAudited(store, () => store.inventoryService.create({ name: 'prod/new/api_key' }, STRANGER, 'test'), 'add');
  });

  it('InventoryService.update refuses someone who may not edit the secret', () => {
    expectRefusedAndAudited(
      store,
      () => store.inventoryService.update('prod/stripe/api_key', { description: 'changed' }, STRANGER, 'test'),
      'edit',
    );
  });

  it('InventoryService.setOwner refuses someone who may not hand the secret over', () => {
    expectRefusedAndAudited(
      store,
      () => store.inventoryService.setOwner('prod/stripe/api_key', 'U0STRANGER', STRANGER, 'test'),
      'change_owner',
    );
  });

  it('InventoryService.apply (an import) refuses a Slack user without the right, before writing any row', () => {
    const rows = parseRows('yaml', '- {name: prod/other/api_key}\n- {name: prod/stripe/api_key, description: changed}\n', store);
    expectRefusedAndAudited(store, () => importRows(rows, store, { actor: STRANGER, source: 'test' }), 'add');
  });

  it('the edit form and the add form are refused before they open', () => {
    expectRefusedAndAudited(store, () => store.inventoryService.editable(STRANGER, 'prod/stripe/api_key'), 'edit');
    expectRefusedAndAudited(store, () => store.inventoryService.authorizeAdd(STRANGER), 'add');
  });

  it('RotationService refuses someone who may not rotate the secret', () => {
    const rotation = sideRuntime(store).rotation;
    expectRefusedAndAudited(store, () => rotation.rotatable(STRANGER, 'prod/stripe/api_key'), 'rotate');
  });

  it('RevocationService refuses a non-responder, and a responder outside an incident channel', () => {
    const { revocation } = sideRuntime(store);
    expectRefusedAndAudited(store, () => revocation.revocable(STRANGER, 'prod/stripe/api_key'), 'revoke');
    expect(() => revocation.revocable(slackActor('U0ONCALL', 'C0GENERAL'), 'prod/stripe/api_key')).toThrow(
      /only allowed in an incident channel/,
    );
    expect(revocation.revocable(slackActor('U0ONCALL', 'C0INCIDENT'), 'prod/stripe/api_key').name).toBe('prod/stripe/api_key');
  });

  it('RevocationService refuses a stranger every change to an incident: status update, acknowledgement, sign-off, close, retry', async () => {
    // No background sweep: the snapshots below must see only what the refused calls did.
    const { revocation } = createRuntime({
      db: store.db,
      clock: store.clock,
      policy: store.policy,
      logger: createLogger('silent'),
      providers: { registry: createProviderRegistry({}), close: () => undefined },
      slack: null,
      sweepAfterChanges: false,
    });
    const { incident } = await revocation.open(slackActor('U0ONCALL', 'C0INCIDENT'), 'prod/stripe/api_key', 'pasted in a ticket', {
      confirmName: 'prod/stripe/api_key',
      severity: 'SEV2',
      ticket: null,
      order: 'replace_then_disable',
      destroy: false,
    });
    const incidentTables = [...TABLES, 'incidents', 'incident_events', 'incident_pages', 'rotations', 'rotation_steps', 'follow_ups'];
    for (const [call, attempted] of [
      [() => revocation.recordStatusUpdate(STRANGER, incident.id, 'all good'), 'respond'],
      [() => revocation.acknowledge(STRANGER, incident.id), 'respond'],
      [() => revocation.signOff(STRANGER, incident.id), 'sign_off'],
      [() => revocation.close(STRANGER, incident.id, 'https://wiki.example/pm'), 'close_incident'],
    ] as const) {
      const before = snapshotTables(store, incidentTables);
      expectRefusedAndAudited(store, call, attempted);
      expect(snapshotTables(store, incidentTables)).toEqual(before);
    }
    store.clock.advance({ seconds: REFUSAL_WINDOW_SECONDS });
    const before = snapshotTables(store, incidentTables);
    await expect(revocation.retry(STRANGER, incident.id)).rejects.toBeInstanceOf(AccessDeniedError);
    expect(snapshotTables(store, incidentTables)).toEqual(before);
  });

  it('the CLI operator may change the inventory but never approve (the two-person rule needs people)', () => {
    expect(store.authorizer.decide(operator(), { action: 'add' })).toEqual({ allowed: true, as: 'operator' });
    expect(store.authorizer.decide(operator(), { action: 'approve' })).toMatchObject({ allowed: false });
  });
});

describe('reminder actions authorize their actor', () => {
  let h: Harness;
  let actions: ReminderActionsService;
  let key: string;
  beforeEach(async () => {
    h = await openHarness({ at: '2027-01-01T10:00:00Z' });
    h.slack.addUser('UOWN1', 'UTC');
    h.store.inventoryService.create(
      { name: 'prod/svc1/api_key', owner: 'UOWN1', intervalDays: 90, lastRotated: '2026-11-02T10:00:00Z' },
      operator(),
      'test',
    );
    await h.sweeper().sweep();
    key = h.posts()[0]!.keys[0]!;
    const { store } = h;
    actions = new ReminderActionsService({
      ledger: new ReminderLedgerRepo(store.db),
      inventory: store.inventory,
      audit: store.audit,
      authorizer: store.authorizer,
      notifier: h.notifier,
      ownership: new OwnershipService({ inventoryService: h.store.inventoryService, directory: null }),
      clock: store.clock,
      policy: store.policy,
    });
  });
  afterEach(() => h.close());

  it('snooze refuses someone the reminder is not for', () => {
    expectRefusedAndAudited(h.store, () => actions.snooze(key, 3, STRANGER), 'snooze');
  });

  it('not mine refuses someone the reminder is not for, before anyone is told', () => {
    expectRefusedAndAudited(h.store, () => actions.reportNotMine(key, STRANGER, null, null), 'not_mine');
    expectRefusedAndAudited(h.store, () => actions.authorizeNotMine(key, STRANGER), 'not_mine');
  });
});
