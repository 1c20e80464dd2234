import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnershipService } from '../../src/inventory/ownership-service.js';
import { ReminderActionsService } from '../../src/reminders/reminder-actions-service.js';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { WeeklyDigestService } from '../../src/reminders/weekly-digest-service.js';
import { weeklyDigestMessage } from '../../src/slack/views/reminder-weekly-digest.js';
import { WeeklyDigestRepo } from '../../src/reminders/weekly-digest-repo.js';
import { openHarness, type Harness } from './support/reminder-harness.js';
import { operator, slackActor } from '../support/actors.js';

/** Due 2027-03-01, long after the compromise: only the compromise makes it urgent. */
const FRESH = { owner: 'UOWN1', backupOwner: 'UBACK1', team: 'payments', intervalDays: 90, lastRotated: '2026-12-01T10:00:00Z' };

describe('compromised secrets are nagged at least as hard as overdue ones', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness({ at: '2027-01-24T08:00:00Z' });
    for (const user of ['UOWN1', 'UBACK1', 'ULEAD1', 'USEC1', 'UCTO1']) h.slack.addUser(user, 'UTC');
  });
  afterEach(() => h.close());

  async function sweepAt(at: string): Promise<string[]> {
    const before = h.posts().length;
    h.store.clock.set(at);
    await h.sweeper().sweep();
    return h
      .posts()
      .slice(before)
      .map((post) => `${post.channel} ${post.text}`);
  }

  it('overdue from the day it was marked: the owner first, then one level every escalate_every_days', async () => {
    h.store.inventoryService.create({ name: 'prod/stripe/api_key', ...FRESH }, operator('UADMIN1'), 'test');
    expect(await sweepAt('2027-01-24T10:00:00Z')).toEqual([]);
    h.store.clock.set('2027-01-24T11:00:00Z');
    h.store.inventoryService.update('prod/stripe/api_key', { lifecycle: 'compromised' }, operator('USEC1'), 'slack');
    expect(await sweepAt('2027-01-24T11:15:00Z')).toEqual([
      'UOWN1 Compromised: prod/stripe/api_key was marked compromised on 2027-01-24 and must be rotated now',
    ]);
    expect(await sweepAt('2027-01-26T10:00:00Z')).toEqual([]);
    expect(await sweepAt('2027-01-27T10:00:00Z')).toEqual([
      'UBACK1 Escalation: prod/stripe/api_key was marked compromised on 2027-01-24 and must be rotated now',
    ]);
    expect(await sweepAt('2027-01-30T10:00:00Z')).toEqual([
      'ULEAD1 Escalation: prod/stripe/api_key was marked compromised on 2027-01-24 and must be rotated now',
    ]);
    // Rotating it ends the nagging.
    h.store.inventoryService.recordRotation('prod/stripe/api_key', { rotatedAt: '2027-01-30T12:00:00Z' }, operator('UOWN1'));
    expect(await sweepAt('2027-02-10T10:00:00Z')).toEqual([]);
  });

  it('imported as compromised, or marked through a lifecycle change, it is reminded the same day; its reminders can be snoozed or disowned', async () => {
    h.store.inventoryService.create({ name: 'prod/app/db_password', ...FRESH, lifecycle: 'compromised' }, operator('UADMIN1'), 'import');
    h.store.inventoryService.create({ name: 'prod/app/jwt', ...FRESH, owner: 'UBACK1', backupOwner: null }, operator('UADMIN1'), 'import');
    h.store.clock.set('2027-01-20T10:00:00Z');
    h.store.inventoryService.setLifecycle('prod/app/jwt', 'compromised', operator('USEC1'));
    const sent = await sweepAt('2027-01-24T10:00:00Z');
    expect(sent).toEqual([
      'UOWN1 Compromised: prod/app/db_password was marked compromised on 2027-01-24 and must be rotated now',
      'UBACK1 Compromised: prod/app/jwt was marked compromised on 2027-01-20 and must be rotated now',
    ]);
    const ledger = new ReminderLedgerRepo(h.store.db);
    const key = h.posts()[0]!.keys[0] as string;
    const actions = new ReminderActionsService({
      ledger,
      inventory: h.store.inventory,
      audit: h.store.audit,
      authorizer: h.store.authorizer,
      notifier: h.notifier,
      ownership: new OwnershipService({ inventoryService: h.store.inventoryService, directory: null }),
      clock: h.store.clock,
      policy: h.store.policy,
    });
    expect(actions.snooze(key, 1, slackActor('UOWN1'))).toMatchObject({ secret: 'prod/app/db_password', until: '2027-01-25' });
    expect(actions.reportNotMine(key, slackActor('UOWN1'), null, null)).toMatchObject({ facts: { secret: 'prod/app/db_password' } });
  });

  it('the weekly digest lists compromised secrets and who was told about them', async () => {
    h.store.inventoryService.create({ name: 'prod/stripe/api_key', ...FRESH, lifecycle: 'compromised' }, operator('UADMIN1'), 'import');
    await sweepAt('2027-01-24T10:00:00Z');
    h.store.clock.set('2027-01-25T10:00:00Z');
    const digest = new WeeklyDigestService({
      digests: new WeeklyDigestRepo(h.store.db),
      history: h.store.history,
      ledger: new ReminderLedgerRepo(h.store.db),
      inventory: h.store.inventory,
      notifier: h.notifier,
      clock: h.store.clock,
      policy: h.store.policy,
    }).build();
    expect(digest.compromised).toEqual([{ name: 'prod/stripe/api_key', owner: 'UOWN1', markedOn: '2027-01-24' }]);
    expect(digest.notActed).toEqual([{ user: 'UOWN1', secrets: ['prod/stripe/api_key'] }]);
    expect(weeklyDigestMessage(digest).text).toContain(
      '*Compromised, not yet rotated:* 1\n• prod/stripe/api_key — marked 2027-01-24, owner <@UOWN1>',
    );
  });
});
