import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnershipService } from '../../src/inventory/ownership-service.js';
import { ReminderActionsService } from '../../src/reminders/reminder-actions-service.js';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { snapshotTables } from '../support/temp-db.js';
import { openHarness, type Harness } from './support/reminder-harness.js';
import { operator, slackActor } from '../support/actors.js';

describe('reminder actions: snooze and not mine', () => {
  let h: Harness;
  let actions: ReminderActionsService;
  let key: string;
  beforeEach(async () => {
    h = await openHarness({ at: '2027-01-01T10:00:00Z' });
    for (const user of ['UOWN1', 'UADMIN1', 'USEC1']) h.slack.addUser(user, 'UTC');
    h.store.inventoryService.create(
      { name: 'prod/svc1/api_key', owner: 'UOWN1', intervalDays: 90, lastRotated: '2026-11-02T10:00:00Z' },
      operator('UADMIN1'),
      'test',
    );
    await h.sweeper().sweep();
    key = h.posts()[0]!.keys[0]!;
    actions = new ReminderActionsService({
      ledger: new ReminderLedgerRepo(h.store.db),
      inventory: h.store.inventory,
      audit: h.store.audit,
      authorizer: h.store.authorizer,
      notifier: h.notifier,
      ownership: new OwnershipService({ inventoryService: h.store.inventoryService, directory: null }),
      clock: h.store.clock,
      policy: h.store.policy,
    });
  });
  afterEach(() => h.close());

  it('a snooze brings the reminder back that day, at most twice per cycle, audited', async () => {
    expect(key).toMatch(/warning:30$/);
    expect(actions.snooze(key, 3, slackActor('UOWN1'))).toEqual({ secret: 'prod/svc1/api_key', until: '2027-01-04', snoozesLeft: 1 });
    h.store.clock.set('2027-01-04T10:00:00Z');
    await h.sweeper().sweep();
    expect(h.posts().map((post) => post.keys[0]!.split('/')[2])).toEqual(['warning:30', 'snooze:1']);
    const followUp = h.posts()[1]!.keys[0]!;
    expect(actions.snooze(followUp, 7, slackActor('UOWN1')).snoozesLeft).toBe(0);
    const before = snapshotTables(h.store, ['reminder_snoozes', 'audit_events']);
    expect(() => actions.snooze(followUp, 1, slackActor('UOWN1'))).toThrow('already snoozed twice');
    expect(snapshotTables(h.store, ['reminder_snoozes', 'audit_events'])).toEqual(before);
    const events = h.store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'reminder.snoozed' ORDER BY seq`).all() as {
      actor: string;
      details: string;
    }[];
    expect(events.map((event) => JSON.parse(event.details).days)).toEqual([3, 7]);
  });

  it('a warning cannot be snoozed past the due date; a stale key is refused', async () => {
    h.store.clock.set('2027-01-24T10:00:00Z');
    await h.sweeper().sweep();
    const sevenDay = h.posts()[1]!.keys[0]!;
    h.store.clock.set('2027-01-29T10:00:00Z');
    const before = snapshotTables(h.store, ['reminder_snoozes', 'audit_events']);
    expect(() => actions.snooze(sevenDay, 3, slackActor('UOWN1'))).toThrow('Cannot snooze prod/svc1/api_key for 3 days: choose 1 days.');
    expect(() => actions.snooze('999/2027-01-31/due', 1, slackActor('UOWN1'))).toThrow('This reminder is no longer known to Rotor.');
    expect(snapshotTables(h.store, ['reminder_snoozes', 'audit_events'])).toEqual(before);
    h.store.inventoryService.recordRotation('prod/svc1/api_key', { rotatedAt: '2027-01-29T09:00:00Z' }, operator('UOWN1'));
    expect(() => actions.snooze(sevenDay, 1, slackActor('UOWN1'))).toThrow(/was rotated or changed since this reminder/);
  });

  it('not mine tells the admins and security who they say owns it, and is audited', async () => {
    const result = await actions.notMine(key, slackActor('UOWN1'), 'UREAL1', 'payments team owns it');
    expect(result).toEqual({ secret: 'prod/svc1/api_key', notified: ['UADMIN1', 'USEC1'] });
    const dms = h.posts().slice(1);
    expect(dms.map((post) => post.channel)).toEqual(['UADMIN1', 'USEC1']);
    expect(dms[0]!.text).toBe(
      '<@UOWN1> says *prod/svc1/api_key* is not theirs (reminded as its owner). They say the owner is <@UREAL1>. Note: “payments team owns it”. Make them the owner with the button, or set someone else with `/secrets owner prod/svc1/api_key @user`.',
    );
    const event = h.store.db.prepare(`SELECT actor, secret, details FROM audit_events WHERE action = 'reminder.not_mine'`).get() as {
      actor: string;
      details: string;
    };
    expect(event.actor).toBe('UOWN1');
    expect(JSON.parse(event.details)).toMatchObject({ suggestedOwner: 'UREAL1', notified: ['UADMIN1', 'USEC1'] });
    const before = snapshotTables(h.store, ['audit_events']);
    await expect(actions.notMine(key, slackActor('UOWN1'), 'bob', null)).rejects.toThrow('The suggested owner must be a Slack user.');
    await expect(actions.notMine(key, slackActor('UOWN1'), 'UOWN1', null)).rejects.toThrow('the right owner must be someone else');
    await expect(actions.notMine(key, slackActor('UOWN1'), null, 'x'.repeat(501))).rejects.toThrow('longer than 500 characters');
    expect(snapshotTables(h.store, ['audit_events'])).toEqual(before);
  });

  it('not mine shows the typed note literally: no broadcast, mention or link reaches the admins', async () => {
    await actions.notMine(key, slackActor('UOWN1'), null, '<!channel> ask <@UADMIN1> or see <https://example.com|this> & that');
    const dm = h.posts().slice(1)[0]!;
    expect(dm.text).toContain('Note: “&lt;!channel&gt; ask &lt;@UADMIN1&gt; or see &lt;https://example.com|this&gt; &amp; that”.');
    expect(dm.text).not.toContain('<!channel>');
  });
});
