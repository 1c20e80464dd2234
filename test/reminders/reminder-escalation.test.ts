import type { KnownBlock } from '@slack/types';
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { blockKitViolations } from '../support/block-kit-limits.js';
import { deliveredKeys, openHarness, type Harness } from './support/reminder-harness.js';
import { operator } from '../support/actors.js';

class SimulatedCrash extends Error {}

const NOW = '2027-01-24T10:00:00Z';
/** 90-day interval, rotated this long ago: due 183 days before NOW. */
const LONG_AGO = DateTime.fromISO(NOW, { zone: 'utc' })
  .minus({ days: 183 + 90 })
  .toISO() as string;

describe('escalation climbs from the owner; one message per person per sweep', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness({ at: NOW });
    for (const user of ['UOWN1', 'USEC1', 'UCTO1', 'ULEAD1']) h.slack.addUser(user, 'UTC');
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

  it('a secret imported 183 days overdue reminds its owner first, then one level every escalate_every_days from that first reminder', async () => {
    h.store.inventoryService.create(
      { name: 'prod/app/api_key', owner: 'UOWN1', intervalDays: 90, lastRotated: LONG_AGO },
      operator('UADMIN1'),
      'import',
    );
    expect(await sweepAt(NOW)).toEqual(['UOWN1 Reminder: prod/app/api_key is 183 days overdue for rotation (was due 2026-07-25)']);
    expect(await sweepAt('2027-01-26T10:00:00Z')).toEqual([]);
    // No backup owner and no team: the next level that someone fills is the security lead's.
    expect(await sweepAt('2027-01-27T10:00:00Z')).toEqual([
      'USEC1 Escalation: prod/app/api_key is 186 days overdue for rotation (was due 2026-07-25)',
    ]);
    const escalation = JSON.stringify(h.slack.callsTo('chat.postMessage').at(-1)!.args.blocks);
    expect(escalation).toContain(
      'You are receiving this as its security lead. Owner: <@UOWN1>; backup owner: none. So far: owner <@UOWN1> reminded on 2027-01-24; backup owner: none set; team lead: none set.',
    );
    expect(await sweepAt('2027-01-30T10:00:00Z')).toEqual([
      'UCTO1 Escalation: prod/app/api_key is 189 days overdue for rotation (was due 2026-07-25)',
    ]);
    expect(await sweepAt('2027-02-20T10:00:00Z')).toEqual([]);
  });

  it('250 overdue secrets: each owner gets one digest, nobody above the owners hears yet, and every key is reconciled after a crash', async () => {
    const owners = ['UOWN1', 'UOWN2', 'UOWN3'];
    for (const owner of owners) h.slack.addUser(owner, 'UTC');
    const rows = Array.from({ length: 250 }, (_, index) => ({
      name: `prod/svc${String(index).padStart(3, '0')}/api_key`,
      owner: owners[index % 3] as string,
      team: 'payments',
      intervalDays: 90,
      lastRotated: DateTime.fromISO(LONG_AGO, { zone: 'utc' })
        .plus({ days: index % 150 })
        .toISO() as string,
    }));
    h.store.inventoryService.apply(h.store.inventoryService.plan(rows).changes, operator('UADMIN1'), 'import');
    const crashing = h.sweeper(undefined, {
      hooks: {
        afterSend: (keys) => {
          if (keys.length > 50) throw new SimulatedCrash('killed after send');
        },
      },
    });
    await expect(crashing.sweep()).rejects.toThrow(SimulatedCrash);
    h.store.clock.advance({ minutes: 11 });
    const report = await h.sweeper().sweep();
    expect(report.reconciled).toBeGreaterThan(50);
    const posts = h.posts();
    expect(posts.map((post) => post.channel).sort()).toEqual(owners);
    expect(new Set(deliveredKeys(h.slack)).size).toBe(250);
    expect(deliveredKeys(h.slack)).toHaveLength(250);
    const sentRows = h.store.db.prepare(`SELECT count(*) FROM reminder_ledger WHERE state = 'sent'`).pluck().get();
    expect(sentRows).toBe(250);

    const digests = h.slack.callsTo('chat.postMessage').map((call) => call.args.blocks as KnownBlock[]);
    for (const digest of digests) {
      expect(blockKitViolations({ kind: 'message', blocks: digest })).toEqual([]);
      const listed = digest.filter((block) => block.type === 'section' && 'accessory' in block && block.accessory).length;
      const count = Number(/(\d+) secrets need rotating/.exec(JSON.stringify(digest[0]))?.[1]);
      expect(listed).toBe(Math.min(count, 40));
      if (count > 40)
        expect(JSON.stringify(digest.at(-1))).toContain(`…and ${count - 40} more. Type \`/secrets overdue\` for the full list`);
    }
  });

  it('a person owed more reminders than one message can carry gets one digest per sweep; the rest wait for the next', async () => {
    h.slack.addUser('UOWN1', 'UTC');
    const rows = Array.from({ length: 30 }, (_, index) => ({
      name: `prod/svc${index}/api_key`,
      owner: 'UOWN1',
      intervalDays: 90,
      lastRotated: LONG_AGO,
    }));
    h.store.inventoryService.apply(h.store.inventoryService.plan(rows).changes, operator('UADMIN1'), 'import');
    const first = await h.sweeper(undefined, { digestMaxReminders: 20 }).sweep();
    expect(first).toMatchObject({ sent: 20, messages: 1 });
    expect(new ReminderLedgerRepo(h.store.db).staleClaims('\uffff')).toEqual([]);
    h.store.clock.advance({ minutes: 15 });
    const second = await h.sweeper(undefined, { digestMaxReminders: 20 }).sweep();
    expect(second).toMatchObject({ sent: 10, messages: 1 });
    expect(h.posts().map((post) => post.keys.length)).toEqual([20, 10]);
  });
});
