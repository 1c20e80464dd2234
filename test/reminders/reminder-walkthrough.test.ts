import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from './support/reminder-harness.js';
import { operator } from '../support/actors.js';

/** One secret walked from its 30-day warning to the top of the escalation ladder, by clock. */
describe('reminder sweep: warnings, due notice and escalation', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness({ at: '2026-12-01T00:00:00Z' });
    h.slack.addUser('UOWNER1', 'Europe/Berlin');
    h.slack.addUser('UBACK1', 'America/New_York');
    h.slack.addUser('ULEAD1', 'UTC');
    h.slack.addUser('USEC1', 'UTC');
    h.slack.addUser('UCTO1', 'UTC');
    h.store.inventoryService.create(
      {
        name: 'prod/stripe/api_key',
        owner: 'UOWNER1',
        backupOwner: 'UBACK1',
        team: 'payments',
        consumers: ['checkout', 'billing'],
        intervalDays: 90,
        lastRotated: '2026-11-02T10:00:00Z',
      },
      operator('UADMIN1'),
      'test',
    );
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

  it('sends each stage once, at 09:00 in the recipient zone, one rung further every 3 days', async () => {
    expect(await sweepAt('2026-12-31T12:00:00Z')).toEqual([]);
    // 2027-01-01 is 30 days before 2027-01-31; 08:00 UTC is 09:00 in Berlin.
    expect(await sweepAt('2027-01-01T07:45:00Z')).toEqual([]);
    expect(await sweepAt('2027-01-01T08:00:00Z')).toEqual([
      'UOWNER1 Reminder: prod/stripe/api_key is due for rotation in 30 days (2027-01-31)',
    ]);
    expect(await sweepAt('2027-01-01T08:15:00Z')).toEqual([]);
    expect(await sweepAt('2027-01-20T08:00:00Z')).toEqual([]);
    expect(await sweepAt('2027-01-24T08:00:00Z')).toEqual([
      'UOWNER1 Reminder: prod/stripe/api_key is due for rotation in 7 days (2027-01-31)',
    ]);
    expect(await sweepAt('2027-01-31T08:00:00Z')).toEqual(['UOWNER1 Reminder: prod/stripe/api_key is due for rotation today (2027-01-31)']);
    expect(await sweepAt('2027-02-02T08:00:00Z')).toEqual([]);
    // 09:00 in New York on 2027-02-03 is 14:00 UTC.
    expect(await sweepAt('2027-02-03T13:45:00Z')).toEqual([]);
    expect(await sweepAt('2027-02-03T14:00:00Z')).toEqual([
      'UBACK1 Escalation: prod/stripe/api_key is 3 days overdue for rotation (was due 2027-01-31)',
    ]);
    expect(await sweepAt('2027-02-06T09:00:00Z')).toEqual([
      'ULEAD1 Escalation: prod/stripe/api_key is 6 days overdue for rotation (was due 2027-01-31)',
    ]);
    expect(await sweepAt('2027-02-09T09:00:00Z')).toEqual([
      'USEC1 Escalation: prod/stripe/api_key is 9 days overdue for rotation (was due 2027-01-31)',
    ]);
    expect(await sweepAt('2027-02-12T09:00:00Z')).toEqual([
      'UCTO1 Escalation: prod/stripe/api_key is 12 days overdue for rotation (was due 2027-01-31)',
    ]);
    expect(await sweepAt('2027-02-15T09:00:00Z')).toEqual([]);
    expect(await sweepAt('2027-03-15T09:00:00Z')).toEqual([]);
  });

  it('shows the facts and the buttons, and an escalation names who was reminded before and when', async () => {
    await sweepAt('2027-01-24T08:00:00Z');
    const warning = h.slack.callsTo('chat.postMessage')[0]!.args;
    expect(JSON.stringify(warning.blocks)).toContain(
      '*Environment:* prod\\n*Due:* 2027-01-31\\n*Consumers:* checkout, billing\\n*Last rotated:* 2026-11-02',
    );
    const actions = (warning.blocks as { type: string; elements?: { action_id: string }[] }[]).find((block) => block.type === 'actions');
    expect(actions?.elements?.map((element) => element.action_id)).toEqual([
      'rotation_open',
      'reminder_snooze_1',
      'reminder_snooze_3',
      'reminder_snooze_7',
      'reminder_not_mine',
    ]);
    expect(warning.metadata).toEqual({
      event_type: 'rotor_reminder',
      event_payload: { keys: expect.stringMatching(/^\d+\/2027-01-31\/warning:7$/) },
    });

    await sweepAt('2027-01-31T08:00:00Z');
    await sweepAt('2027-02-03T14:00:00Z');
    const escalation = JSON.stringify(h.slack.callsTo('chat.postMessage')[2]!.args.blocks);
    expect(escalation).toContain(
      'You are receiving this as its backup owner. Owner: <@UOWNER1>; backup owner: <@UBACK1>. So far: owner <@UOWNER1> reminded on 2027-01-24, 2027-01-31.',
    );
    await sweepAt('2027-02-06T09:00:00Z');
    const toLead = JSON.stringify(h.slack.callsTo('chat.postMessage')[3]!.args.blocks);
    expect(toLead).toContain(
      'You are receiving this as its team lead. Owner: <@UOWNER1>; backup owner: <@UBACK1>. So far: owner <@UOWNER1> reminded on 2027-01-24, 2027-01-31; backup owner <@UBACK1> reminded on 2027-02-03.',
    );
  });

  it('sends only the most relevant missed reminder after downtime, and nothing earlier when the clock moves back', async () => {
    expect(await sweepAt('2027-01-26T10:00:00Z')).toEqual([
      'UOWNER1 Reminder: prod/stripe/api_key is due for rotation in 5 days (2027-01-31)',
    ]);
    expect(h.posts()[0]!.keys[0]).toMatch(/warning:7$/);
    expect(await sweepAt('2027-01-10T10:00:00Z')).toEqual([]);
    // Down from before the due day to 20 days after it: the owner hears first, not the CTO, and
    // escalation then climbs one level every 3 days counted from that first due notice.
    expect(await sweepAt('2027-02-20T10:00:00Z')).toEqual([
      'UOWNER1 Reminder: prod/stripe/api_key is 20 days overdue for rotation (was due 2027-01-31)',
    ]);
    expect(await sweepAt('2027-02-04T10:00:00Z')).toEqual([]);
    expect(await sweepAt('2027-02-22T15:00:00Z')).toEqual([]);
    expect(await sweepAt('2027-02-23T14:00:00Z')).toEqual([
      'UBACK1 Escalation: prod/stripe/api_key is 23 days overdue for rotation (was due 2027-01-31)',
    ]);
    // Down again for a week: one level further, not three.
    expect(await sweepAt('2027-03-03T10:00:00Z')).toEqual([
      'ULEAD1 Escalation: prod/stripe/api_key is 31 days overdue for rotation (was due 2027-01-31)',
    ]);
    expect(await sweepAt('2027-03-06T10:00:00Z')).toEqual([
      'USEC1 Escalation: prod/stripe/api_key is 34 days overdue for rotation (was due 2027-01-31)',
    ]);
  });

  it('owes nothing more once the secret is rotated or retired', async () => {
    await sweepAt('2027-01-24T08:00:00Z');
    h.store.inventoryService.recordRotation('prod/stripe/api_key', { rotatedAt: '2027-01-25T10:00:00Z' }, operator('UOWNER1'));
    expect(await sweepAt('2027-02-03T14:00:00Z')).toEqual([]);
    h.store.inventoryService.setLifecycle('prod/stripe/api_key', 'retired', operator('UADMIN1'));
    expect(await sweepAt('2027-04-25T10:00:00Z')).toEqual([]);
  });
});
