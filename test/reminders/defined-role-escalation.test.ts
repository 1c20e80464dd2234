import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operator } from '../support/actors.js';
import { openHarness, type Harness } from './support/reminder-harness.js';

/**
 * Issue 24 item 2: the escalation path is a list of any roles. An overdue secret's reminders climb
 * owner → on-call primary → on-call secondary (a user group, its members as Slack last said) → CTO,
 * one level every escalate_every_days, under the injected clock.
 */

const POLICY = `
roles:
  admins: [UADMIN1]
  security_leads: [USEC1]
  cto: UCTO1
  oncall_primary: [UPRIM1]
  oncall_secondary: S0SRE
reminders:
  offsets_days: [30, 7]
  local_hour: 9
  escalate_every_days: 3
  escalation: [owner, oncall_primary, oncall_secondary, cto]
`;
/** An instant away from any month's or year's edge, whatever day the tests run. */
const START = DateTime.fromSeconds(1_800_000_000, { zone: 'utc' }).startOf('day').plus({ hours: 10 });

describe('an escalation path of defined roles', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness({ at: START.toISO() as string, policyYaml: POLICY });
    for (const user of ['UOWN1', 'UPRIM1', 'USRE2', 'UCTO1', 'USEC1']) h.slack.addUser(user, 'UTC');
    h.store.userGroups.replace([{ id: 'S0SRE', users: ['USRE2'] }], START);
  });
  afterEach(() => h.close());

  async function sweepAt(at: DateTime): Promise<string[]> {
    const before = h.posts().length;
    h.store.clock.set(at.toISO() as string);
    await h.sweeper().sweep();
    return h
      .posts()
      .slice(before)
      .map((post) => post.channel);
  }

  it('an overdue secret reminds its owner, then on-call primary, on-call secondary and the CTO in order, each once', async () => {
    h.store.inventoryService.create(
      { name: 'prod/app/api_key', owner: 'UOWN1', intervalDays: 90, lastRotated: START.minus({ days: 100 }).toISO() as string },
      operator('UADMIN1'),
      'import',
    );
    expect(await sweepAt(START)).toEqual(['UOWN1']);
    expect(await sweepAt(START.plus({ days: 1 }))).toEqual([]);
    expect(await sweepAt(START.plus({ days: 3 }))).toEqual(['UPRIM1']);
    const primary = JSON.stringify(h.slack.callsTo('chat.postMessage').at(-1)?.args.blocks);
    expect(primary).toContain('You are receiving this as its oncall primary.');
    expect(await sweepAt(START.plus({ days: 6 }))).toEqual(['USRE2']);
    expect(await sweepAt(START.plus({ days: 9 }))).toEqual(['UCTO1']);
    // The path is exhausted: nobody further, and nobody twice.
    expect(await sweepAt(START.plus({ days: 12 }))).toEqual([]);
    expect(await sweepAt(START.plus({ days: 12 }))).toEqual([]);
  });
});
