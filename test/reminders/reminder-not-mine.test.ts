import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnershipService } from '../../src/inventory/ownership-service.js';
import { ReminderActionsService } from '../../src/reminders/reminder-actions-service.js';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { operator, slackActor } from '../support/actors.js';
import { openHarness, type Harness } from './support/reminder-harness.js';

const NOW = '2027-01-24T10:00:00Z';
/** 90-day interval, rotated this long ago: due 10 days before NOW. */
const LAST_ROTATED = DateTime.fromISO(NOW, { zone: 'utc' }).minus({ days: 100 }).toISO() as string;

describe('"not mine" takes that person off the ladder for the cycle', () => {
  let h: Harness;
  let actions: ReminderActionsService;
  beforeEach(async () => {
    h = await openHarness({ at: NOW });
    for (const user of ['UOWN1', 'UBACK1', 'ULEAD1', 'UADMIN1', 'USEC1', 'UCTO1']) h.slack.addUser(user, 'UTC');
    h.store.inventoryService.create(
      { name: 'prod/app/api_key', owner: 'UOWN1', backupOwner: 'UBACK1', team: 'payments', intervalDays: 90, lastRotated: LAST_ROTATED },
      operator('UADMIN1'),
      'import',
    );
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

  async function sweepAt(at: string): Promise<string[]> {
    const before = h.posts().length;
    h.store.clock.set(at);
    await h.sweeper().sweep();
    return h
      .posts()
      .slice(before)
      .map((post) => `${post.channel} ${post.keys.join(' ').split('/')[2]}`);
  }

  it('after the due notice: the backup owner is reached at the next sweep (nobody waits for who declined), then one level per escalate_every_days; their snooze is dropped', async () => {
    expect(await sweepAt(NOW)).toEqual(['UOWN1 due']);
    const dueKey = h.posts()[0]!.keys[0]!;
    actions.snooze(dueKey, 1, slackActor('UOWN1'));
    h.store.clock.set('2027-01-24T10:30:00Z');
    await actions.notMine(dueKey, slackActor('UOWN1'), null, null);
    expect(() => actions.snooze(dueKey, 3, slackActor('UOWN1'))).toThrow(
      'You said prod/app/api_key is not yours, so its reminders no longer come to you this cycle; nothing to snooze.',
    );
    const reports = h
      .posts()
      .slice(1)
      .map((post) => post.channel);
    expect(reports).toEqual(['UADMIN1', 'USEC1']);

    expect(await sweepAt('2027-01-24T11:00:00Z')).toEqual(['UBACK1 overdue:1']);
    const escalation = JSON.stringify(h.slack.callsTo('chat.postMessage').at(-1)!.args.blocks);
    expect(escalation).toContain(
      'You are receiving this as its backup owner. Owner: <@UOWN1>; backup owner: <@UBACK1>. So far: owner <@UOWN1> said it is not theirs (reminded on 2027-01-24).',
    );
    // The owner's snooze follow-up (due 2027-01-25) goes nowhere: they are off the ladder.
    expect(await sweepAt('2027-01-25T10:00:00Z')).toEqual([]);
    expect(await sweepAt('2027-01-27T10:00:00Z')).toEqual(['ULEAD1 overdue:2']);
    expect(await sweepAt('2027-01-30T10:00:00Z')).toEqual(['USEC1 overdue:3']);
    expect(await sweepAt('2027-02-02T10:00:00Z')).toEqual(['UCTO1 overdue:4']);
    expect(h.posts().filter((post) => post.channel === 'UOWN1')).toHaveLength(1);
  });

  it('a new cycle (the secret rotated) reminds them again', async () => {
    await sweepAt(NOW);
    await actions.notMine(h.posts()[0]!.keys[0]!, slackActor('UOWN1'), null, null);
    h.store.inventoryService.recordRotation('prod/app/api_key', { rotatedAt: '2027-01-24T12:00:00Z' }, operator('UBACK1'));
    // Next due 2027-04-24: its 30-day warning goes to the owner again.
    expect(await sweepAt('2027-03-25T10:00:00Z')).toEqual(['UOWN1 warning:30']);
  });
});
