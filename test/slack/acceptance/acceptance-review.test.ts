import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ACTION_IDS, CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../../src/slack/ids.js';
import { App } from '@slack/bolt';
import { createLogger } from '../../../src/logging/logger.js';
import { registerListeners } from '../../../src/slack/listeners/index.js';
import type { SlackDeps } from '../../../src/slack/slack-deps.js';
import { snapshotTables } from '../../support/temp-db.js';
import { startSlackHarness, responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue, submittedView } from '../../support/slack-payloads.js';
import { sealedFor, unsealed } from '../../support/sealed-metadata.js';
import { REFUSAL_WINDOW_SECONDS } from '../../../src/access/refusal-log.js';
import { operator } from '../../support/actors.js';

type StateValue = ReturnType<(typeof stateValue)['text']>;
const form = (values: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, StateValue>>) =>
  Object.fromEntries(
    Object.entries(values).map(([field, value]) => [
      SECRET_FORM_BLOCKS[field as keyof typeof SECRET_FORM_BLOCKS],
      { [FORM_VALUE_ACTION]: value },
    ]),
  );

/** Bad input found in acceptance review: each gets a clear answer and leaves the database alone. */
describe('acceptance review of the Slack surfaces', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
    const create = (fields: Record<string, unknown>) => harness.store.inventoryService.create(fields, operator('U0ADMIN'), 'test-seed');
    create({
      name: 'prod/postgres/connection_string',
      owner: 'U0DBA',
      backupOwner: 'U0DBA2',
      lastRotated: '2026-11-01',
      description: 'Primary',
      team: 'platform',
    });
    create({ name: 'prod/kafka/password', owner: 'U0DBA', lastRotated: '2026-07-01' });
  });
  afterAll(async () => harness.close());

  const replyTo = async (responseUrl: string) =>
    (await harness.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl))).body;
  const submit = (userId: string, callbackId: string, values: ReturnType<typeof form>, privateMetadata = '') =>
    harness.submit({ userId, view: submittedView(harness.payloads, { callbackId, privateMetadata, values }) });

  describe('secret names as people type them', () => {
    for (const typed of ['`prod/kafka/password`', '"prod/kafka/password"', '“prod/kafka/password”']) {
      it(`\`/secrets show ${typed}\` finds the secret despite the quotes`, async () => {
        const message = await replyTo((await harness.command('/secrets', `show ${typed}`, 'U0SEC')).responseUrl);
        expect(message.text).toContain('prod/kafka/password: overdue');
      });
    }

    it('`/rotate` accepts a name in backticks and explains extra words instead of calling them spaces in the name', async () => {
      await harness.command('/rotate', '`prod/kafka/password`', 'U0DBA');
      // The modal opens for the name without its backticks, and fills in with what starting a rotation would do.
      const update = await harness.fake.waitForCall('views.update', (call) => JSON.stringify(call.args.view).includes('Preflight'));
      expect(JSON.parse(unsealed((update.args.view as { private_metadata: string }).private_metadata))).toMatchObject({
        s: 'prod/kafka/password',
      });
      const extra = await replyTo((await harness.command('/rotate', 'prod/kafka/password now please', 'U0DBA')).responseUrl);
      expect(extra.text).toContain("takes just the secret's name, like `/rotate prod/kafka/password`");
    });
  });

  describe('/revoke outside an incident channel', () => {
    for (const [label, text] of [
      ['with no arguments', ''],
      ['with an unknown name', 'prod/kafak/password leaked'],
      ['with a malformed name', 'PROD leaked'],
    ] as const) {
      it(`${label} answers the refusal (audited), not a hint about the name`, async () => {
        // Each case is the first refusal of its window: repeats within a minute are only counted.
        harness.store.clock.advance({ seconds: REFUSAL_WINDOW_SECONDS });
        const before = snapshotTables(harness.store);
        const message = await replyTo((await harness.command('/revoke', text, 'U0SEC', { channelId: 'C0GENERAL' })).responseUrl);
        expect(message.text).toContain('only allowed in an incident channel (<#C0INCIDENT>)');
        expect(message.text).not.toContain('Did you mean');
        const after = snapshotTables(harness.store) as { secrets: unknown[]; audit_events: { action: string; actor: string }[] };
        expect(after.secrets).toEqual(before.secrets);
        expect(after.audit_events.slice((before.audit_events ?? []).length).map((event) => [event.action, event.actor])).toEqual([
          ['access.denied', 'U0SEC'],
        ]);
      });
    }

    it('names the secret in the refusal audit when it exists', async () => {
      await replyTo((await harness.command('/revoke', '`prod/kafka/password` leaked', 'U0ONCALL', { channelId: 'C0GENERAL' })).responseUrl);
      const last = harness.store.db.prepare('SELECT action, secret FROM audit_events ORDER BY seq DESC LIMIT 1').get();
      expect(last).toEqual({ action: 'access.denied', secret: 'prod/kafka/password' });
    });

    it('in the incident channel, a responder still gets name help', async () => {
      const message = await replyTo(
        (await harness.command('/revoke', 'prod/kafak/password leaked', 'U0ONCALL', { channelId: 'C0INCIDENT' })).responseUrl,
      );
      expect(message.text).toContain('Did you mean: prod/kafka/password');
    });
  });

  describe('Web API failures', () => {
    it('Slack answering HTTP 500 (after the retries) is explained as Slack trouble, not as a Rotor bug', async () => {
      harness.fake.script('views.open', { httpStatus: 500 }, { httpStatus: 500 }, { httpStatus: 500 });
      const message = await replyTo((await harness.command('/secrets', 'add', 'U0ADMIN')).responseUrl);
      expect(message.text).toContain('Slack did not answer me properly (`http_500`)');
      expect(message.text).not.toContain('inside Rotor');
      const line = await harness.waitForLog((entry) => entry.msg === 'a Slack Web API call failed after its retries');
      expect(line).toMatchObject({ level: 'warn', code: 'http_500' });
    });

    it('invalid_auth tells the person to get an admin to fix the token', async () => {
      harness.fake.script('views.open', { error: 'invalid_auth' });
      const message = await replyTo((await harness.command('/secrets', 'add', 'U0ADMIN')).responseUrl);
      expect(message.text).toContain('Slack no longer accepts my token');
      expect(message.text).toContain('SLACK_BOT_TOKEN');
    });

    it('an owner change whose DM fails with HTTP 500 still reports the change that was made', async () => {
      harness.fake.addUser('U0NEWOWNER');
      harness.fake.script('chat.postMessage', { httpStatus: 500 }, { httpStatus: 500 }, { httpStatus: 500 });
      const message = await replyTo(
        (await harness.command('/secrets', 'owner prod/kafka/password <@U0NEWOWNER|new>', 'U0ADMIN')).responseUrl,
      );
      expect(message.text).toContain(':white_check_mark: `prod/kafka/password` now belongs to <@U0NEWOWNER>');
      expect(message.text).toContain('But I could not DM them');
      expect(harness.store.inventory.get('prod/kafka/password')?.owner).toBe('U0NEWOWNER');
      harness.store.inventoryService.setOwner('prod/kafka/password', 'U0DBA', operator('U0ADMIN'), 'test-seed');
    });
  });

  describe('edit modal submissions', () => {
    for (const [label, metadata] of [
      ['garbled', 'not json'],
      ['empty', ''],
      ['JSON null', 'null'],
      ['a number', '42'],
    ] as const) {
      it(`a ${label} private_metadata is answered on the form, not with a failed request`, async () => {
        const before = snapshotTables(harness.store);
        const reply = await submit('U0ADMIN', CALLBACK_IDS.editSecret, form({ intervalDays: stateValue.text('30') }), metadata);
        expect(reply.status).toBe(200);
        const body = reply.json() as { response_action: string; errors: Record<string, string> };
        expect(body.response_action).toBe('errors');
        expect(body.errors[SECRET_FORM_BLOCKS.type]).toContain('run `/secrets edit <name>` again');
        expect(snapshotTables(harness.store)).toEqual(before);
      });
    }

    it('a secret deleted meanwhile (metadata naming an unknown secret) is explained on the form', async () => {
      const before = snapshotTables(harness.store);
      const reply = await submit(
        'U0ADMIN',
        CALLBACK_IDS.editSecret,
        form({ intervalDays: stateValue.text('30') }),
        sealedFor(harness, CALLBACK_IDS.editSecret, JSON.stringify({ name: 'prod/gone/api_key' })),
      );
      const body = reply.json() as { errors: Record<string, string> };
      expect(Object.keys(body.errors)).toEqual([SECRET_FORM_BLOCKS.type]);
      expect(body.errors[SECRET_FORM_BLOCKS.type]).toContain('No secret named');
      expect(snapshotTables(harness.store)).toEqual(before);
    });

    it('emptying the owner is refused on that field, and nothing is saved', async () => {
      const before = snapshotTables(harness.store);
      const reply = await submit(
        'U0DBA',
        CALLBACK_IDS.editSecret,
        form({ description: stateValue.text(null), owner: stateValue.user(null), intervalDays: stateValue.text('90') }),
        sealedFor(harness, CALLBACK_IDS.editSecret, JSON.stringify({ name: 'prod/postgres/connection_string' })),
      );
      const body = reply.json() as { response_action: string; errors: Record<string, string> };
      expect(body.response_action).toBe('errors');
      expect(body.errors[SECRET_FORM_BLOCKS.owner]).toContain('Owner cannot be emptied');
      expect(body.errors[SECRET_FORM_BLOCKS.owner]).toContain('Nothing was saved');
      expect(snapshotTables(harness.store)).toEqual(before);
    });

    it('emptying other stored fields clears them (the edit form shows every field), with the change audited', async () => {
      const stored = harness.store.inventory.get('prod/postgres/connection_string');
      expect(stored?.description ?? stored?.team ?? stored?.backupOwner).toBeTruthy();
      const reply = await submit(
        'U0DBA',
        CALLBACK_IDS.editSecret,
        form({
          description: stateValue.text(null),
          team: stateValue.text('  '),
          backupOwner: stateValue.user(null),
          owner: stateValue.user(stored?.owner ?? 'U0DBA'),
          intervalDays: stateValue.text('90'),
        }),
        sealedFor(harness, CALLBACK_IDS.editSecret, JSON.stringify({ name: 'prod/postgres/connection_string' })),
      );
      expect(reply.text).toBe('');
      expect(harness.store.inventory.get('prod/postgres/connection_string')).toMatchObject({
        description: null,
        team: null,
        backupOwner: null,
      });
      const event = harness.store.db
        .prepare(
          `SELECT details FROM audit_events WHERE action = 'secret.updated' AND secret = 'prod/postgres/connection_string' ORDER BY seq DESC LIMIT 1`,
        )
        .get() as { details: string };
      expect(Object.keys(JSON.parse(event.details).changes)).toEqual(
        expect.arrayContaining(
          Object.entries({ description: stored?.description, team: stored?.team, backupOwner: stored?.backupOwner })
            .filter(([, value]) => value)
            .map(([key]) => key),
        ),
      );
    });

    it('an empty field that was empty before is fine', async () => {
      const reply = await submit(
        'U0DBA',
        CALLBACK_IDS.editSecret,
        form({
          description: stateValue.text(null),
          team: stateValue.text(null),
          backupOwner: stateValue.user(null),
          intervalDays: stateValue.text('60'),
        }),
        sealedFor(harness, CALLBACK_IDS.editSecret, JSON.stringify({ name: 'prod/kafka/password' })),
      );
      expect(reply.text).toBe('');
      expect(harness.store.inventory.get('prod/kafka/password')).toMatchObject({ intervalDays: 60 });
    });
  });

  describe('add modal submissions', () => {
    for (const interval of ['1.5', '30.0', '2,5', '1e2']) {
      it(`a fractional or odd interval \`${interval}\` is refused on the interval field, nothing written`, async () => {
        const before = snapshotTables(harness.store);
        const reply = await submit(
          'U0ADMIN',
          CALLBACK_IDS.addSecret,
          form({
            name: stateValue.text('dev/fraction/api_key'),
            provider: stateValue.select('manual'),
            intervalDays: stateValue.text(interval),
          }),
        );
        const body = reply.json() as { response_action: string; errors: Record<string, string> };
        expect(body.response_action).toBe('errors');
        expect(body.errors[SECRET_FORM_BLOCKS.intervalDays]).toContain('is not a whole number of days');
        expect(snapshotTables(harness.store)).toEqual(before);
      });
    }

    it('"45 days" is still accepted', async () => {
      const reply = await submit(
        'U0ADMIN',
        CALLBACK_IDS.addSecret,
        form({
          name: stateValue.text('dev/days/api_key'),
          provider: stateValue.select('manual'),
          intervalDays: stateValue.text('45 days'),
        }),
      );
      expect(reply.text).toBe('');
      expect(harness.store.inventory.get('dev/days/api_key')).toMatchObject({ intervalDays: 45 });
    });
  });
});

describe('request logs', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
  });
  afterAll(async () => harness.close());

  it('never carry a word typed after a command, unless it is a known /secrets subcommand', async () => {
    const typed = () => 'pasted' + randomBytes(6).toString('hex');
    const words: [string, string, string] = [typed(), typed(), typed()];
    for (const [command, text] of [
      ['/secrets', `${words[0]} more`],
      ['/rotate', words[1]],
      ['/revoke', `${words[2]} because`],
    ] as const) {
      const reply = await harness.command(command, text, 'U0LOGCHECK');
      await harness.fake.waitForResponse((response) => response.id === responseIdOf(reply.responseUrl));
    }
    await harness.command('/secrets', 'OVERDUE', 'U0LOGKNOWN');
    const known = await harness.waitForLog((line) => line.msg === 'slack request handled' && line.user === 'U0LOGKNOWN');
    expect(known.name).toBe('/secrets overdue');
    const lines = harness.logLines.filter((line) => line.msg === 'slack request handled' && line.user === 'U0LOGCHECK');
    expect(lines.map((line) => line.name).sort()).toEqual(['/revoke', '/rotate', '/secrets']);
    for (const word of words) expect(harness.rawLog()).not.toContain(word);
  });
});

describe('audit lines in the log stream', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
  });
  afterAll(async () => harness.close());

  it('never carry retrieval instructions typed into the form (where a value gets pasted by mistake), on add or edit', async () => {
    const pasted = () => 'pasted' + randomBytes(6).toString('hex');
    const first = pasted();
    const second = pasted();
    const add = await harness.submit({
      userId: 'U0ADMIN',
      view: submittedView(harness.payloads, {
        callbackId: CALLBACK_IDS.addSecret,
        values: form({
          name: stateValue.text('dev/pasted/api_key'),
          provider: stateValue.select('manual'),
          retrievalInstructions: stateValue.text(first),
        }),
      }),
    });
    expect(add.text).toBe('');
    const edit = await harness.submit({
      userId: 'U0ADMIN',
      view: submittedView(harness.payloads, {
        callbackId: CALLBACK_IDS.editSecret,
        privateMetadata: sealedFor(harness, CALLBACK_IDS.editSecret, JSON.stringify({ name: 'dev/pasted/api_key' })),
        values: form({ retrievalInstructions: stateValue.text(second) }),
      }),
    });
    expect(edit.text).toBe('');
    await harness.waitForLog((line) => (line.audit as { action?: string } | undefined)?.action === 'secret.updated');
    expect(harness.store.inventory.get('dev/pasted/api_key')?.retrievalInstructions).toBe(second);
    expect(harness.rawLog()).not.toContain(first);
    expect(harness.rawLog()).not.toContain(second);
  });
});

describe('buttons no listener handles', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
  });
  afterAll(async () => harness.close());

  it('are acknowledged and explained instead of left for Slack to time out', async () => {
    const before = snapshotTables(harness.store);
    const reply = await harness.click({ actionId: 'home_edit_secret', value: 'prod/kafka/password', userId: 'U0SEC' });
    expect(reply.status).toBe(200);
    const message = (await harness.fake.waitForResponse((response) => response.id === responseIdOf(reply.responseUrl))).body;
    expect(message.text).toContain('not one this Rotor handles');
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('the catch-all never matches an action another listener handles', () => {
    // The real listener table, registered on an app that never listens: only the ids matter here.
    const app = new App({
      token: ['xoxb', randomBytes(6).toString('hex')].join('-'),
      signingSecret: randomBytes(8).toString('hex'),
      tokenVerificationEnabled: false,
      receiver: { init: () => undefined, start: async () => undefined, stop: async () => undefined },
    });
    const pattern = registerListeners(app, { logger: createLogger('silent') } as SlackDeps).unhandledPattern();
    const unhandled = (id: string) => pattern.test(id);
    expect(
      [ACTION_IDS.listMore, ACTION_IDS.notMine, ACTION_IDS.digestItemMenu, 'reminder_snooze_1', 'reminder_snooze_7'].filter(unhandled),
    ).toEqual([]);
    expect(['home_edit_secret', 'reminder_snooze_x', 'secrets_list_more_old'].every(unhandled)).toBe(true);
  });
});
