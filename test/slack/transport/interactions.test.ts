import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../../src/slack/ids.js';
import { snapshotTables } from '../../support/temp-db.js';
import { unsealed } from '../../support/sealed-metadata.js';
import { startSlackHarness, responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue, submittedView } from '../../support/slack-payloads.js';
import { operator, slackActor } from '../../support/actors.js';
import { startRotation } from '../../support/rotations.js';

const form = (values: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ReturnType<(typeof stateValue)['text']>>>) =>
  Object.fromEntries(
    Object.entries(values).map(([field, value]) => [
      SECRET_FORM_BLOCKS[field as keyof typeof SECRET_FORM_BLOCKS],
      { [FORM_VALUE_ACTION]: value },
    ]),
  );

describe('modals, buttons and App Home over HTTP', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
    const create = (fields: Record<string, unknown>) => harness.store.inventoryService.create(fields, operator('U0ADMIN'), 'test-seed');
    for (let index = 0; index < 45; index += 1) {
      create({ name: `dev/svc${String(index).padStart(2, '0')}/api_key`, owner: 'U0BULK', lastRotated: '2026-01-01' });
    }
    create({ name: 'prod/postgres/connection_string', owner: 'U0DBA', backupOwner: 'U0DBA2', lastRotated: '2026-11-01' });
    create({ name: 'prod/kafka/password', owner: 'U0DBA', lastRotated: '2026-07-01', lifecycle: 'active' });
    await startRotation(harness.store, slackActor('U0DBA'), 'prod/postgres/connection_string');
  });
  afterAll(async () => harness.close());

  const replyTo = async (responseUrl: string) =>
    (await harness.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl))).body;

  it('paginates a long list within 50 blocks and fetches the next page with "Show more"', async () => {
    const first = await replyTo((await harness.command('/secrets', 'list dev', 'U0SEC')).responseUrl);
    const blocks = first.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(blocks)).toContain('dev/svc00/api_key');
    expect(JSON.stringify(blocks)).not.toContain('dev/svc20/api_key');
    const more = blocks.find((block) => block.type === 'actions')?.elements?.[0];
    expect(more?.action_id).toBe(ACTION_IDS.listMore);

    const second = await replyTo(
      (await harness.click({ actionId: ACTION_IDS.listMore, value: more?.value ?? '', userId: 'U0SEC' })).responseUrl,
    );
    expect(JSON.stringify(second.blocks)).toContain('dev/svc20/api_key');
    expect(JSON.stringify(second.blocks)).toContain('Showing 21–40');
  });

  it('a tampered "Show more" value is explained, not crashed on', async () => {
    const reply = await replyTo(
      (await harness.click({ actionId: ACTION_IDS.listMore, value: '{"kind":"drop table"}', userId: 'U0SEC' })).responseUrl,
    );
    expect(reply.text).toContain('run the command again');
  });

  it('App Home shows my secrets by urgency, my rotations in progress and says nothing awaits approval', async () => {
    await harness.openHome('U0DBA');
    const call = await harness.fake.waitForCall('views.publish', (recorded) => recorded.args.user_id === 'U0DBA');
    const view = call.args.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe('home');
    const text = JSON.stringify(view.blocks);
    expect(text.indexOf('prod/kafka/password')).toBeLessThan(text.indexOf('Rotations in progress'));
    expect(text.indexOf('prod/kafka/password')).toBeLessThan(text.indexOf('prod/postgres/connection_string'));
    expect(text.slice(text.indexOf('Rotations in progress'))).toContain('prod/postgres/connection_string');
    expect(text).toContain('Nothing awaits your approval');
  });

  it('`/secrets add` opens the add modal with the trigger_id, for a DevOps lead', async () => {
    const reply = await harness.command('/secrets', 'add', 'U0OPS');
    const call = await harness.fake.waitForCall(
      'views.open',
      (recorded) => (recorded.args.view as { callback_id: string }).callback_id === CALLBACK_IDS.addSecret,
    );
    expect(typeof call.args.trigger_id).toBe('string');
    expect(reply.status).toBe(200);
  });

  it('a Slack error code from a listener is turned into advice by the global error handler', async () => {
    harness.fake.script('views.open', { error: 'expired_trigger_id' });
    const reply = await replyTo((await harness.command('/secrets', 'add', 'U0OPS')).responseUrl);
    expect(reply.text).toContain('Run the command again');
  });

  it('`/secrets add` by someone who may not add is refused with who may, and audited', async () => {
    const reply = await replyTo((await harness.command('/secrets', 'add', 'U0NOBODY')).responseUrl);
    expect(reply.text).toContain('You may not add secrets');
    expect(reply.text).toContain('DevOps leads (<@U0OPS>)');
    const last = harness.store.db.prepare('SELECT action, actor FROM audit_events ORDER BY seq DESC LIMIT 1').get();
    expect(last).toEqual({ action: 'access.denied', actor: 'U0NOBODY' });
  });

  it('an add submission with bad fields answers response_action errors on those fields and writes nothing', async () => {
    const before = snapshotTables(harness.store);
    const view = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.addSecret,
      values: form({
        name: stateValue.text('Prod/Bad Name'),
        provider: stateValue.select('aws'),
        intervalDays: stateValue.text('soon'),
      }),
    });
    const reply = await harness.submit({ userId: 'U0OPS', view });
    expect(reply.status).toBe(200);
    const body = reply.json() as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors).sort()).toEqual(
      [SECRET_FORM_BLOCKS.intervalDays, SECRET_FORM_BLOCKS.name, SECRET_FORM_BLOCKS.providerRef].sort(),
    );
    expect(body.errors[SECRET_FORM_BLOCKS.name]).toContain('contains spaces');
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('a valid add submission creates the secret through the audit and confirms by DM', async () => {
    harness.fake.addUser('U0MAIL');
    const view = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.addSecret,
      values: form({
        name: stateValue.text('prod/sendgrid/api_key'),
        type: stateValue.select('smtp'),
        owner: stateValue.user('U0MAIL'),
        provider: stateValue.select('manual'),
        description: stateValue.text('Mail <!here> key'),
      }),
    });
    const reply = await harness.submit({ userId: 'U0OPS', view });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
    const secret = harness.store.inventory.get('prod/sendgrid/api_key');
    expect(secret).toMatchObject({ type: 'smtp', owner: 'U0MAIL', intervalDays: 30, description: 'Mail <!here> key' });
    await harness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === 'U0OPS' && String(call.args.text).includes('prod/sendgrid/api_key'),
    );
  });

  it('`/secrets edit` opens the edit modal filled in; its submission saves; a backup owner may not hand the secret over', async () => {
    await harness.command('/secrets', 'edit prod/postgres/connection_string', 'U0DBA2');
    const opened = await harness.fake.waitForCall(
      'views.open',
      (call) => (call.args.view as { callback_id: string }).callback_id === CALLBACK_IDS.editSecret,
    );
    const modal = opened.args.view as { private_metadata: string };
    expect(JSON.parse(unsealed(modal.private_metadata))).toEqual({ name: 'prod/postgres/connection_string' });

    const before = snapshotTables(harness.store, ['secrets']);
    const takeover = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.editSecret,
      privateMetadata: modal.private_metadata,
      values: form({ owner: stateValue.user('U0DBA2') }),
    });
    const refused = (await harness.submit({ userId: 'U0DBA2', view: takeover })).json() as { errors: Record<string, string> };
    expect(refused.errors[SECRET_FORM_BLOCKS.owner]).toContain('You may not change the owner');
    expect(snapshotTables(harness.store, ['secrets'])).toEqual(before);

    const edit = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.editSecret,
      privateMetadata: modal.private_metadata,
      values: form({
        owner: stateValue.user('U0DBA'),
        description: stateValue.text('Primary database'),
        intervalDays: stateValue.text('60'),
      }),
    });
    const saved = await harness.submit({ userId: 'U0DBA2', view: edit });
    expect(saved.text).toBe('');
    expect(harness.store.inventory.get('prod/postgres/connection_string')).toMatchObject({
      description: 'Primary database',
      intervalDays: 60,
    });
  });
});
