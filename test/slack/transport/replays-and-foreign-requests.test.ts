import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadBotEnv } from '../../../src/config/env.js';
import { createLogger } from '../../../src/logging/logger.js';
import { startRotor } from '../../../src/main.js';
import { SeenSignatureRepo } from '../../../src/slack/inbound/seen-signature-repo.js';
import { openDatabase } from '../../../src/storage/database.js';
import { operator } from '../../support/actors.js';
import { startSlackHarness, responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import { buttonClick, slashCommand } from '../../support/slack-payloads.js';
import { encodeSlackBody, postSignedToSlackApp, signSlackBody } from '../../support/slack-signing.js';
import { openTempStore, snapshotTables } from '../../support/temp-db.js';

const SECRET = 'prod/postgres/connection_string';
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Every table, the replay memory included unless left out: what "no effect" compares. */
function everything(harness: SlackHarness, except: string[] = []): Record<string, unknown[]> {
  const tables = (
    harness.store.db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[]
  ).filter((table) => !except.includes(table));
  return snapshotTables(harness.store, tables);
}

describe('replayed, mis-dated and foreign Slack requests over signed HTTP', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
    harness.store.inventoryService.create({ name: SECRET, owner: 'U0DBA', lastRotated: '2026-11-01' }, operator('U0ADMIN'), 'test-seed');
    for (const user of ['U0SEC', 'U0OPS', 'U0NEXT']) harness.fake.addUser(user);
  });
  afterAll(async () => harness.close());

  const ownerCommand = (to: string, ctx = harness.payloads) =>
    slashCommand(ctx, { command: '/secrets', text: `owner ${SECRET} <@${to}|${to.toLowerCase()}>`, userId: 'U0ADMIN' });
  const owner = () => harness.store.inventory.get(SECRET)?.owner;
  const handledCalls = () => harness.fake.calls.filter((call) => !['auth.test', 'bots.info'].includes(call.method)).length;
  const answered = (responseUrl: string) => harness.fake.responses.filter((response) => response.id === responseIdOf(responseUrl));

  /** An owner change sent at `timestamp`, then a later one: what a replay of the first must not undo. */
  const changeOwnerTwice = async (timestamp: number) => {
    const first = ownerCommand('U0SEC');
    expect((await harness.post({ kind: 'form', fields: first }, { timestamp })).status).toBe(200);
    await harness.fake.waitForResponse((response) => response.id === responseIdOf(first.response_url));
    expect(owner()).toBe('U0SEC');
    const later = ownerCommand('U0NEXT');
    await harness.post({ kind: 'form', fields: later });
    await harness.fake.waitForResponse((response) => response.id === responseIdOf(later.response_url));
    expect(owner()).toBe('U0NEXT');
    return first;
  };

  /** Sends the replay and checks it changed nothing and was answered by nobody. */
  const expectNoEffect = async (
    first: ReturnType<typeof ownerCommand>,
    replay: () => Promise<{ status: number }>,
    status: number,
    logged: string,
  ) => {
    const before = everything(harness);
    const calls = handledCalls();
    expect((await replay()).status).toBe(status);
    await harness.waitForLog((line) => String(line.msg).startsWith(logged));
    expect(owner()).toBe('U0NEXT');
    expect(everything(harness)).toEqual(before);
    expect(handledCalls()).toBe(calls);
    expect(answered(first.response_url)).toHaveLength(1);
  };

  it('a byte-identical replay of an owner change is answered 200 and does nothing: it cannot undo a later change', async () => {
    const timestamp = nowSeconds();
    const first = await changeOwnerTwice(timestamp);
    await expectNoEffect(
      first,
      () => harness.post({ kind: 'form', fields: first }, { timestamp }),
      200,
      'dropped a replayed Slack request',
    );
  });

  it('a replay whose signature header carries a suffix (Bolt ignores what follows a second `=`) is refused with 401 and does nothing', async () => {
    const timestamp = nowSeconds();
    const first = await changeOwnerTwice(timestamp);
    const signature = `${signSlackBody(harness.signingSecret, encodeSlackBody({ kind: 'form', fields: first }).rawBody, timestamp)}=x`;
    await expectNoEffect(
      first,
      () => harness.post({ kind: 'form', fields: first }, { timestamp, signature }),
      401,
      'refused a Slack request whose signature does not match',
    );
  });

  it('a replay to another process on the same database (or after a restart) is dropped as well', async () => {
    const timestamp = nowSeconds();
    const change = ownerCommand('U0OPS');
    await harness.post({ kind: 'form', fields: change }, { timestamp });
    await harness.fake.waitForResponse((response) => response.id === responseIdOf(change.response_url));
    expect(owner()).toBe('U0OPS');
    harness.store.inventoryService.setOwner(SECRET, 'U0DBA', operator('U0ADMIN'), 'test');

    let log = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString('utf8');
        done();
      },
    });
    const second = await startRotor(
      {
        ...loadBotEnv({
          SLACK_BOT_TOKEN: ['xoxb', randomBytes(6).toString('hex')].join('-'),
          SLACK_SIGNING_SECRET: harness.signingSecret,
          SLACK_API_URL: harness.fake.apiUrl,
          ROTOR_DB: harness.store.path,
          ROTOR_CONFIG: join(harness.store.dir, 'policy.yml'),
          ROTOR_REMINDER_CRON: '0 0 29 2 *',
          ROTOR_FOLLOW_UP_CRON: '0 0 29 2 *',
        }),
        PORT: 0,
      },
      { logger: createLogger('info', sink), clock: harness.store.clock, host: '127.0.0.1' },
    );
    try {
      // Its start-up sweeps write their own bookkeeping; compare once they are over.
      await vi.waitFor(() =>
        expect(log).toMatch(/"job":"reminder-sweep"[\s\S]*"job":"follow-up-sweep"|"job":"follow-up-sweep"[\s\S]*"job":"reminder-sweep"/),
      );
      // Which process publishes the audit log to the log stream is either's to decide: left out.
      const before = everything(harness, ['audit_publication']);
      const replay = await postSignedToSlackApp(
        `http://127.0.0.1:${second.port}/slack/events`,
        { kind: 'form', fields: change },
        { signingSecret: harness.signingSecret, timestamp },
      );
      expect(replay.status).toBe(200);
      await vi.waitFor(() => expect(log).toContain('dropped a replayed Slack request'));
      expect(owner()).toBe('U0DBA');
      expect(everything(harness, ['audit_publication'])).toEqual(before);
      expect(answered(change.response_url)).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });

  for (const [label, offset] of [
    ['10 minutes', 10 * 60],
    ['one day', 24 * 60 * 60],
  ] as const) {
    it(`a correctly signed request dated ${label} in the future is refused with 401 and does nothing`, async () => {
      const before = everything(harness);
      const calls = handledCalls();
      const body = ownerCommand('U0SEC');
      const reply = await harness.post({ kind: 'form', fields: body }, { timestamp: nowSeconds() + offset });
      expect(reply.status).toBe(401);
      expect(owner()).not.toBe('U0SEC');
      expect(everything(harness)).toEqual(before);
      expect(handledCalls()).toBe(calls);
      expect(answered(body.response_url)).toEqual([]);
    });
  }

  it('a request a few minutes ahead (clock skew within the window) is still handled', async () => {
    const body = slashCommand(harness.payloads, { command: '/secrets', text: 'overdue', userId: 'U0SEC' });
    expect((await harness.post({ kind: 'form', fields: body }, { timestamp: nowSeconds() + 4 * 60 })).status).toBe(200);
    await harness.fake.waitForResponse((response) => response.id === responseIdOf(body.response_url));
  });

  for (const [label, context] of [
    ['another workspace (team_id)', () => ({ ...harness.payloads, teamId: 'T0FOREIGN' })],
    ['another app (api_app_id)', () => ({ ...harness.payloads, appId: 'A0FOREIGN' })],
  ] as const) {
    it(`a correctly signed command for ${label} is acknowledged and dropped, with no effect`, async () => {
      const before = everything(harness, ['slack_request_signatures']);
      const calls = handledCalls();
      const body = ownerCommand('U0SEC', context());
      const reply = await harness.post({ kind: 'form', fields: body });
      expect(reply.status).toBe(200);
      await harness.waitForLog(
        (line) =>
          line.msg === 'refused a Slack request for another workspace or app than the bot token' &&
          (line.team === 'T0FOREIGN' || line.app === 'A0FOREIGN'),
      );
      expect(owner()).not.toBe('U0SEC');
      expect(everything(harness, ['slack_request_signatures'])).toEqual(before);
      expect(handledCalls()).toBe(calls);
      expect(answered(body.response_url)).toEqual([]);
    });
  }

  it('a correctly signed button click from another workspace does nothing either', async () => {
    const before = everything(harness, ['slack_request_signatures']);
    const calls = handledCalls();
    const click = buttonClick({ ...harness.payloads, teamId: 'T0ELSEWHERE' }, { actionId: 'list_more', value: '{}', userId: 'U0SEC' });
    expect((await harness.post({ kind: 'payload', payload: click })).status).toBe(200);
    await harness.waitForLog(
      (line) => line.msg === 'refused a Slack request for another workspace or app than the bot token' && line.team === 'T0ELSEWHERE',
    );
    expect(everything(harness, ['slack_request_signatures'])).toEqual(before);
    expect(handledCalls()).toBe(calls);
  });
});

describe('the replay memory', () => {
  it('is shared by two connections to one database, and forgets a signature once it has expired', () => {
    const store = openTempStore();
    const other = openDatabase(store.path);
    try {
      const digest = randomBytes(32);
      const now = nowSeconds();
      expect(new SeenSignatureRepo(store.db).remember(digest, now + 300, now)).toBe(true);
      expect(new SeenSignatureRepo(other).remember(digest, now + 300, now)).toBe(false);
      expect(new SeenSignatureRepo(other).remember(randomBytes(32), now + 600, now + 301)).toBe(true);
      expect(store.db.prepare('SELECT count(*) FROM slack_request_signatures').pluck().get()).toBe(1);
    } finally {
      other.close();
      store.close();
    }
  });
});
