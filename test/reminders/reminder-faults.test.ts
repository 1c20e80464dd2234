import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecipientDirectoryRepo } from '../../src/reminders/recipient-directory-repo.js';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { deliveredKeys, openHarness, type Harness } from './support/reminder-harness.js';
import { operator } from '../support/actors.js';

class SimulatedCrash extends Error {}

/** Owners UOWN1..UOWNn, each owning one secret due on 2027-01-31 (7-day warning on 01-24). */
function addSecrets(h: Harness, count: number, owner = (index: number) => `UOWN${index + 1}`): void {
  for (let index = 0; index < count; index += 1) {
    h.slack.addUser(owner(index), 'UTC');
    h.store.inventoryService.create(
      {
        name: `prod/svc${index + 1}/api_key`,
        owner: owner(index),
        backupOwner: 'UBACK1',
        intervalDays: 90,
        lastRotated: '2026-11-02T10:00:00Z',
      },
      operator('UADMIN1'),
      'test',
    );
  }
  h.slack.addUser('UBACK1', 'UTC');
}

function expectEachOnce(keys: string[]): void {
  expect(new Set(keys).size).toBe(keys.length);
}

describe('reminder sweep: crashes, races and Slack failures', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness({ at: '2027-01-24T10:00:00Z' });
  });
  afterEach(() => h.close());

  it('a sweep killed between claim and send: the next sweep after the claim timeout sends it, once', async () => {
    addSecrets(h, 2);
    const crashing = h.sweeper(undefined, {
      concurrency: 1,
      hooks: {
        afterClaim: () => {
          throw new SimulatedCrash('killed after claim');
        },
      },
    });
    await expect(crashing.sweep()).rejects.toThrow(SimulatedCrash);
    expect(h.slack.messages).toHaveLength(0);

    await h.sweeper().sweep();
    expect(h.slack.messages).toHaveLength(1); // the other secret; the crashed claim is still fresh
    h.store.clock.advance({ minutes: 11 });
    const report = await h.sweeper().sweep();
    expect(report).toMatchObject({ released: 1, sent: 1 });
    expect(deliveredKeys(h.slack)).toHaveLength(2);
    expectEachOnce(deliveredKeys(h.slack));
    await h.sweeper().sweep();
    expect(deliveredKeys(h.slack)).toHaveLength(2);
  });

  it('a sweep killed between send and mark: the next sweep finds the message by its metadata and does not resend', async () => {
    addSecrets(h, 1);
    const crashing = h.sweeper(undefined, {
      hooks: {
        afterSend: () => {
          throw new SimulatedCrash('killed after send');
        },
      },
    });
    await expect(crashing.sweep()).rejects.toThrow(SimulatedCrash);
    expect(h.slack.messages).toHaveLength(1);
    h.store.clock.advance({ minutes: 11 });
    const report = await h.sweeper().sweep();
    expect(report).toMatchObject({ reconciled: 1, sent: 0 });
    expect(h.slack.callsTo('conversations.history')[0]!.args).toMatchObject({
      channel: 'DOWN1',
      include_all_metadata: expect.stringMatching(/^true$/),
    });
    expect(h.slack.messages).toHaveLength(1);
    const entry = new ReminderLedgerRepo(h.store.db).staleClaims('\uffff');
    expect(entry).toEqual([]);
    const sent = h.store.db.prepare(`SELECT state, message_ts FROM reminder_ledger`).all();
    expect(sent).toEqual([{ state: 'sent', message_ts: h.slack.messages[0]!.ts }]);
  });

  it('two sweeps on two connections to one database file at once: each reminder goes out once', async () => {
    addSecrets(h, 12);
    const { openDatabase } = await import('../../src/storage/database.js');
    const { createServices } = await import('../../src/services.js');
    const secondDb = openDatabase(h.store.path);
    try {
      const second = createServices(secondDb, h.store.clock, h.store.policy);
      const reports = await Promise.all([h.sweeper().sweep(), h.sweeper(second).sweep(), h.sweeper().sweep()]);
      expect(reports.reduce((total, report) => total + report.sent, 0)).toBe(12);
      expect(deliveredKeys(h.slack)).toHaveLength(12);
      expectEachOnce(deliveredKeys(h.slack));
    } finally {
      secondDb.close();
    }
  });

  it('Slack answering 429 on every third call: waits Retry-After, loses and duplicates nothing', async () => {
    addSecrets(h, 6);
    h.slack.script(
      'chat.postMessage',
      ...Array.from({ length: 12 }, (_, index) => (index % 3 === 2 ? { rateLimitedForSeconds: 1 } : { normal: true as const })),
    );
    const report = await h.sweeper(undefined, { concurrency: 2 }).sweep();
    expect(report.sent).toBe(6);
    expect(h.waits.filter((ms) => ms === 1000).length).toBeGreaterThanOrEqual(2);
    expect(deliveredKeys(h.slack)).toHaveLength(6);
    expectEachOnce(deliveredKeys(h.slack));
  });

  it('a Retry-After longer than the sweep waits out gives the claim back; the next sweep sends it, once', async () => {
    addSecrets(h, 1);
    h.slack.script('chat.postMessage', { rateLimitedForSeconds: 600 });
    const first = await h.sweeper().sweep();
    expect(first).toMatchObject({ sent: 0 });
    expect(first.failures).toHaveLength(1);
    expect(h.waits.some((ms) => ms >= 600_000)).toBe(false);
    expect(new ReminderLedgerRepo(h.store.db).staleClaims('9999-12-31')).toEqual([]);
    const second = await h.sweeper().sweep();
    expect(second.sent).toBe(1);
    expect(deliveredKeys(h.slack)).toHaveLength(1);
  });

  it('a 5xx after Slack stored the message is not resent; a 5xx before is retried once', async () => {
    addSecrets(h, 2);
    h.slack.script('chat.postMessage', { httpStatus: 500, afterProcessing: true }, { httpStatus: 503 });
    const report = await h.sweeper(undefined, { concurrency: 1 }).sweep();
    expect(report.sent).toBe(2);
    expect(h.slack.messages).toHaveLength(2);
    expectEachOnce(deliveredKeys(h.slack));
  });

  it('an owner no longer in Slack: the backup gets the reminder and the secret is flagged for review', async () => {
    addSecrets(h, 1);
    h.slack.users.delete('UOWN1');
    const report = await h.sweeper().sweep();
    expect(report.sent).toBe(1);
    expect(h.posts().map((post) => post.channel)).toEqual(['UBACK1']);
    expect(new RecipientDirectoryRepo(h.store.db).reviewFlags()).toEqual([
      expect.objectContaining({ secretName: 'prod/svc1/api_key', flag: 'owner_not_in_slack' }),
    ]);
    const events = h.store.db.prepare(`SELECT action FROM audit_events WHERE action LIKE 'reminder.%'`).pluck().all();
    expect(events).toEqual(['reminder.owner_not_in_slack']);
  });

  it('a deactivated owner discovered only when posting is escalated in the same sweep', async () => {
    addSecrets(h, 1);
    h.slack.script('chat.postMessage', { error: 'user_disabled' });
    const report = await h.sweeper().sweep();
    expect(report.sent).toBe(1);
    expect(h.posts().map((post) => post.channel)).toEqual(['UOWN1', 'UBACK1']);
  });

  it('closed DMs fall back to the announcement channel with a mention', async () => {
    addSecrets(h, 1);
    h.slack.script('chat.postMessage', { error: 'messages_tab_disabled' });
    const report = await h.sweeper().sweep();
    expect(report).toMatchObject({ sent: 1, fallbacks: 1 });
    const fallback = h.posts()[1]!;
    expect(fallback.channel).toBe('CANNOUNCE1');
    expect(fallback.text).toMatch(/^<@UOWN1> Reminder: prod\/svc1\/api_key/);
    await h.sweeper().sweep();
    expect(h.posts()).toHaveLength(2);
  });

  it('many reminders for one person go out as one digest DM', async () => {
    addSecrets(h, 4, () => 'UOWN1');
    const report = await h.sweeper().sweep();
    expect(report).toMatchObject({ sent: 4, messages: 1 });
    expect(h.posts()).toEqual([{ channel: 'UOWN1', text: 'Reminder: 4 secrets need rotating', keys: expect.any(Array) }]);
    expect(h.posts()[0]!.keys).toHaveLength(4);
  });

  it('a refused post is given back and retried by the next sweep', async () => {
    addSecrets(h, 1);
    h.slack.script('chat.postMessage', { error: 'invalid_blocks' });
    const first = await h.sweeper().sweep();
    expect(first.failures).toEqual([expect.objectContaining({ error: expect.stringContaining('invalid_blocks') })]);
    const second = await h.sweeper().sweep();
    expect(second.sent).toBe(1);
    expect(h.slack.messages).toHaveLength(1);
  });
});
