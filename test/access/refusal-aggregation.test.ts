import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessDeniedError } from '../../src/access/authorize.js';
import { REFUSAL_WINDOW_SECONDS } from '../../src/access/refusal-log.js';
import { verifyAuditChain } from '../../src/audit/audit-log.js';
import { parsePolicy } from '../../src/config/policy.js';
import { operator, slackActor } from '../support/actors.js';
import { startSlackHarness, responseIdOf, type SlackHarness } from '../support/slack-app-harness.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

const POLICY = parsePolicy(`
roles:
  admins: [U0ADMIN]
`);

interface EventRow {
  seq: number;
  actor: string;
  action: string;
  secret: string | null;
  details: Record<string, unknown>;
}

function eventsAfter(store: TempStore, seq: number): EventRow[] {
  const rows = store.db
    .prepare('SELECT seq, actor, action, secret, details FROM audit_events WHERE seq > ? ORDER BY seq')
    .all(seq) as (Omit<EventRow, 'details'> & { details: string })[];
  return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
}

const lastSeq = (store: TempStore) => store.db.prepare('SELECT coalesce(max(seq), 0) FROM audit_events').pluck().get() as number;

describe('repeated refusals are counted, not audited one by one', () => {
  let store: TempStore;
  const stranger = slackActor('U0STRANGER', 'C0CHAN');
  const edit = (name: string) => () => store.inventoryService.update(name, { description: 'changed' }, stranger, 'test');

  beforeEach(() => {
    store = openTempStore({ policy: POLICY });
    for (const name of ['prod/stripe/api_key', 'prod/redis/password'])
      store.inventoryService.create({ name, owner: 'U0OWNER' }, operator(), 'test');
  });
  afterEach(() => store.close());

  it('the first refusal is recorded at once; 49 repeats within the minute add nothing until the window closes, then one summary', () => {
    const start = lastSeq(store);
    const before = snapshotTables(store, ['secrets']);
    expect(edit('prod/stripe/api_key')).toThrow(AccessDeniedError);
    const first = eventsAfter(store, start);
    expect(first).toMatchObject([
      { actor: 'U0STRANGER', action: 'access.denied', secret: 'prod/stripe/api_key', details: { attempted: 'edit', channel: 'C0CHAN' } },
    ]);

    for (let index = 0; index < 49; index += 1) {
      store.clock.advance({ seconds: 1 });
      // Every one is still refused, with its reason: only the audit record is aggregated.
      expect(edit(index % 2 === 0 ? 'prod/stripe/api_key' : 'prod/redis/password')).toThrow(AccessDeniedError);
    }
    expect(eventsAfter(store, start)).toHaveLength(1);
    expect(snapshotTables(store, ['secrets'])).toEqual(before);

    store.clock.advance({ seconds: REFUSAL_WINDOW_SECONDS });
    expect(store.refusals.closeWindows()).toBe(1);
    const summary = eventsAfter(store, start).slice(1);
    expect(summary).toMatchObject([
      {
        actor: 'U0STRANGER',
        action: 'access.denied_repeats',
        secret: null,
        details: {
          attempted: 'edit',
          repeats: 49,
          firstEvent: first[0]?.seq,
          windowSeconds: REFUSAL_WINDOW_SECONDS,
          secrets: ['prod/stripe/api_key', 'prod/redis/password'],
        },
      },
    ]);
    // Closing again writes nothing more; the chain holds.
    expect(store.refusals.closeWindows()).toBe(0);
    expect(verifyAuditChain(store.db).firstBreak).toBeNull();
  });

  it('a refusal after the window closes writes the summary, then opens a new window with its own event', () => {
    const start = lastSeq(store);
    for (let index = 0; index < 3; index += 1) expect(edit('prod/stripe/api_key')).toThrow(AccessDeniedError);
    store.clock.advance({ seconds: REFUSAL_WINDOW_SECONDS + 1 });
    expect(edit('prod/stripe/api_key')).toThrow(AccessDeniedError);
    expect(eventsAfter(store, start).map((event) => [event.action, event.details.repeats])).toEqual([
      ['access.denied', undefined],
      ['access.denied_repeats', 2],
      ['access.denied', undefined],
    ]);
    expect(eventsAfter(store, start)[1]?.secret).toBe('prod/stripe/api_key');
  });

  it('each actor and each action has its own window: a second person, or another action, is recorded at once', () => {
    const start = lastSeq(store);
    expect(edit('prod/stripe/api_key')).toThrow(AccessDeniedError);
    expect(() => store.inventoryService.update('prod/stripe/api_key', { description: 'x' }, slackActor('U0OTHER'), 'test')).toThrow(
      AccessDeniedError,
    );
    expect(() => store.inventoryService.setOwner('prod/stripe/api_key', 'U0STRANGER', stranger, 'test')).toThrow(AccessDeniedError);
    expect(eventsAfter(store, start).map((event) => [event.actor, event.action, event.details.attempted])).toEqual([
      ['U0STRANGER', 'access.denied', 'edit'],
      ['U0OTHER', 'access.denied', 'edit'],
      ['U0STRANGER', 'access.denied', 'change_owner'],
    ]);
  });
});

describe('a member hammering a forbidden command over signed HTTP', () => {
  let harness: SlackHarness;
  beforeEach(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
  });
  afterEach(async () => harness.close());

  it('is refused every time, grows the audit log by one event, and the repeats reach it as one summary', async () => {
    const start = lastSeq(harness.store);
    const replies: string[] = [];
    for (let index = 0; index < 25; index += 1) {
      const reply = await harness.command('/secrets', 'add', 'U0NOBODY');
      expect(reply.status).toBe(200);
      replies.push(reply.responseUrl);
    }
    for (const responseUrl of replies) {
      const answer = await harness.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl));
      expect(String(answer.body.text)).toContain('You may not add secrets');
    }
    expect(eventsAfter(harness.store, start).map((event) => [event.actor, event.action])).toEqual([['U0NOBODY', 'access.denied']]);

    harness.store.clock.advance({ seconds: REFUSAL_WINDOW_SECONDS });
    await harness.runtime.runJob('refusal-summaries');
    expect(eventsAfter(harness.store, start).map((event) => [event.action, event.details.repeats])).toEqual([
      ['access.denied', undefined],
      ['access.denied_repeats', 24],
    ]);
  });
});
