import { randomBytes } from 'node:crypto';
import type { ViewStateValue } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCredentialShape } from '../../../src/inventory/credential-shapes.js';
import { CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { startSlackHarness, TEST_POLICY, type SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue, submittedView } from '../../support/slack-payloads.js';
import { sealedFor } from '../../support/sealed-metadata.js';
import { snapshotTables } from '../../support/temp-db.js';

const POLICY = `${TEST_POLICY}intervals:
  database: 60
`;
const NAME = 'prod/postgres/password';
const date = (value: string | null): ViewStateValue => ({ type: 'datepicker', selected_date: value });

interface ModalBlock {
  type: string;
  block_id?: string;
  hint?: { text: string };
  element?: {
    type: string;
    initial_value?: string;
    initial_date?: string;
    initial_option?: { value: string };
    options?: { value: string }[];
  };
  elements?: { text: string }[];
}

/** The edit form as it should be: every field it shows does what its hint says, and the README's claims about it hold. */
describe('the edit form: consumers, status and last rotated; its hints hold', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z', policy: POLICY });
    for (const user of ['U0DBA', 'U0DBA2', 'U0NEW', 'U0ADMIN']) harness.fake.addUser(user, 'UTC');
    harness.fake.users.set('U0BOT', { tz: 'UTC', is_bot: true });
    harness.fake.users.set('U0LEFT', { tz: 'UTC', deleted: true });
  });
  afterAll(async () => harness.close());

  const seed = (name: string, fields: Record<string, unknown> = {}) =>
    harness.store.inventoryService.create(
      {
        name,
        owner: 'U0DBA',
        backupOwner: 'U0DBA2',
        type: 'database',
        intervalDays: 45,
        lastRotated: '2026-10-01',
        consumers: ['checkout'],
        ...fields,
      },
      operator('U0ADMIN'),
      'test-seed',
    );

  async function openForm(name: string): Promise<{ blocks: ModalBlock[]; metadata: string }> {
    const before = harness.fake.callsTo('views.open').length;
    await harness.command('/secrets', `edit ${name}`, 'U0DBA');
    await harness.fake.waitForCall('views.open', () => harness.fake.callsTo('views.open').length > before);
    const view = harness.fake.callsTo('views.open').at(-1)!.args.view as { blocks: ModalBlock[]; private_metadata: string };
    return { blocks: view.blocks, metadata: view.private_metadata };
  }

  /** Submits the form as Slack would: every input the modal shows, with its value, changed where given. */
  async function submit(name: string, changes: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>>, userId = 'U0DBA') {
    const secret = harness.store.inventory.get(name)!;
    const shown: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>> = {
      type: stateValue.select(secret.type),
      description: stateValue.text(secret.description),
      owner: stateValue.user(secret.owner),
      backupOwner: stateValue.user(secret.backupOwner),
      team: stateValue.text(secret.team),
      consumers: stateValue.text(secret.consumers.join(', ') || null),
      provider: stateValue.select(secret.provider),
      providerRef: stateValue.text(secret.providerRef),
      intervalDays: stateValue.text(String(secret.intervalDays)),
      ...(secret.lifecycle === 'rotating'
        ? {}
        : { lastRotated: date(secret.lastRotated?.slice(0, 10) ?? null), status: stateValue.select(secret.lifecycle) }),
      retrievalInstructions: stateValue.text(secret.retrievalInstructions),
      ...changes,
    };
    const values = Object.fromEntries(
      Object.entries(shown).map(([field, value]) => [
        SECRET_FORM_BLOCKS[field as keyof typeof SECRET_FORM_BLOCKS],
        { [FORM_VALUE_ACTION]: value },
      ]),
    );
    const view = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.editSecret,
      privateMetadata: sealedFor(harness, CALLBACK_IDS.editSecret, JSON.stringify({ name })),
      values,
    });
    const reply = await harness.submit({ userId, view });
    expect(reply.status).toBe(200);
    return reply.text === '' ? null : (reply.json() as { response_action: string; errors: Record<string, string> });
  }

  const confirmationTo = (userId: string, name: string) =>
    harness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === userId && String(call.args.text).startsWith(`:white_check_mark: Saved \`${name}\``),
    );

  it('shows consumers, last rotated and status filled in, and an interval hint naming the policy default', async () => {
    seed(NAME);
    const { blocks } = await openForm(NAME);
    const block = (id: string) => blocks.find((candidate) => candidate.block_id === id);
    expect(block(SECRET_FORM_BLOCKS.consumers)?.element?.initial_value).toBe('checkout');
    expect(block(SECRET_FORM_BLOCKS.lastRotated)?.element).toMatchObject({ type: 'datepicker', initial_date: '2026-10-01' });
    expect(block(SECRET_FORM_BLOCKS.status)?.element?.initial_option?.value).toBe('active');
    expect(block(SECRET_FORM_BLOCKS.status)?.element?.options?.map((option) => option.value)).toEqual(['active', 'retired', 'compromised']);
    expect(block(SECRET_FORM_BLOCKS.intervalDays)?.hint?.text).toBe('Leave empty for the policy default for database: 60 days.');
    expect(block(SECRET_FORM_BLOCKS.owner)?.hint?.text).toContain('A new owner is told by DM.');
  });

  it('a new last-rotated day records a rotation done by hand: the schedule restarts from it, audited as such', async () => {
    const name = 'prod/postgres/replica_password';
    seed(name);
    expect(await submit(name, { lastRotated: date('2026-11-20') })).toBeNull();
    expect(harness.store.inventory.get(name)).toMatchObject({
      lastRotated: '2026-11-20T00:00:00.000Z',
      nextRotation: '2027-01-04',
      lifecycle: 'active',
    });
    const event = harness.store.db
      .prepare(`SELECT actor, details FROM audit_events WHERE action = 'secret.rotated_by_hand' AND secret = ?`)
      .get(name) as { actor: string; details: string };
    expect(event.actor).toBe('U0DBA');
    expect(JSON.parse(event.details)).toMatchObject({
      source: 'slack',
      rotatedAt: '2026-11-20T00:00:00.000Z',
      nextRotation: '2027-01-04',
      previousLastRotated: '2026-10-01T00:00:00.000Z',
    });
    expect((await confirmationTo('U0DBA', name)).args.text).toBe(`:white_check_mark: Saved \`${name}\`: next rotation 2027-01-04.`);
    // The same day again is no rotation: nothing more is recorded.
    const before = snapshotTables(harness.store);
    expect(await submit(name, {})).toBeNull();
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('a rotation recorded by hand on a compromised secret makes it active again', async () => {
    const name = 'prod/postgres/leaked_password';
    seed(name, { lifecycle: 'compromised' });
    expect(await submit(name, { lastRotated: date('2026-11-21') })).toBeNull();
    expect(harness.store.inventory.get(name)).toMatchObject({ lifecycle: 'active', nextRotation: '2027-01-05' });
  });

  it('retires a secret from Slack, audited as a status change', async () => {
    const name = 'prod/postgres/old_password';
    seed(name);
    expect(await submit(name, { status: stateValue.select('retired') })).toBeNull();
    expect(harness.store.inventory.get(name)?.lifecycle).toBe('retired');
    const event = harness.store.db
      .prepare(`SELECT details FROM audit_events WHERE action = 'secret.updated' AND secret = ? ORDER BY seq DESC LIMIT 1`)
      .get(name) as { details: string };
    expect(JSON.parse(event.details).changes.lifecycle).toEqual({ from: 'active', to: 'retired' });
  });

  it('emptying the interval falls back to the policy default, as its hint says; consumers can be set and emptied', async () => {
    const name = 'prod/postgres/admin_password';
    seed(name);
    expect(await submit(name, { intervalDays: stateValue.text(null), consumers: stateValue.text('checkout, billing') })).toBeNull();
    expect(harness.store.inventory.get(name)).toMatchObject({
      intervalDays: 60,
      nextRotation: '2026-11-30',
      consumers: ['checkout', 'billing'],
    });
    expect(await submit(name, { consumers: stateValue.text(null) })).toBeNull();
    expect(harness.store.inventory.get(name)?.consumers).toEqual([]);
  });

  it('a new owner is told by DM, and the person who saved is told they were', async () => {
    const name = 'prod/postgres/reporting_password';
    seed(name);
    expect(await submit(name, { owner: stateValue.user('U0NEW') })).toBeNull();
    expect(harness.store.inventory.get(name)?.owner).toBe('U0NEW');
    const dm = await harness.fake.waitForCall('chat.postMessage', (call) => call.args.channel === 'U0NEW');
    expect(dm.args.text).toBe(`<@U0DBA> made you the owner of \`${name}\`. \`/secrets show ${name}\` shows what you now look after.`);
    expect((await confirmationTo('U0DBA', name)).args.text).toBe(
      `:white_check_mark: Saved \`${name}\`: next rotation 2026-11-15. I told <@U0NEW> in a DM that they own it now.`,
    );
  });

  it('refuses on their fields: owner equal to backup owner, people Slack does not know, bots, deactivated accounts, an emptied or future last rotation; nothing changes', async () => {
    const name = 'prod/postgres/audit_password';
    seed(name);
    const before = snapshotTables(harness.store, ['secrets', 'audit_events']);
    const lookupsBefore = harness.fake.callsTo('users.info').length;
    expect(await submit(name, { backupOwner: stateValue.user('U0DBA') })).toEqual({
      response_action: 'errors',
      errors: {
        [SECRET_FORM_BLOCKS.backupOwner]:
          'The backup owner must be someone other than the owner: a second person to remind when the owner does not act.',
      },
    });
    // A form wrong anyway is refused without asking Slack about anyone.
    expect(harness.fake.callsTo('users.info').length).toBe(lookupsBefore);
    expect(await submit(name, { owner: stateValue.user('U0GHOST'), backupOwner: stateValue.user('U0BOT') })).toEqual({
      response_action: 'errors',
      errors: {
        [SECRET_FORM_BLOCKS.owner]: 'Slack does not know U0GHOST; pick a member of this workspace.',
        [SECRET_FORM_BLOCKS.backupOwner]: 'A bot cannot be a backup owner; pick a person.',
      },
    });
    expect(await submit(name, { owner: stateValue.user('U0LEFT') })).toEqual({
      response_action: 'errors',
      errors: { [SECRET_FORM_BLOCKS.owner]: 'U0LEFT is deactivated; pick someone who is still here.' },
    });
    expect((await submit(name, { lastRotated: date(null) }))?.errors).toEqual({
      [SECRET_FORM_BLOCKS.lastRotated]:
        'Last rotated cannot be emptied: it is when the secret was last rotated. Pick the day it was rotated instead. Nothing was saved.',
    });
    expect((await submit(name, { lastRotated: date('2026-12-01') }))?.errors[SECRET_FORM_BLOCKS.lastRotated]).toContain('is in the future');
    expect(snapshotTables(harness.store, ['secrets', 'audit_events'])).toEqual(before);
    expect(
      harness.fake.callsTo('chat.postMessage').filter((call) => ['U0GHOST', 'U0BOT', 'U0LEFT'].includes(String(call.args.channel))),
    ).toEqual([]);
  });

  const ALTERNATING = {
    engine: 'postgres',
    host: 'db.internal',
    dbname: 'app',
    roles: ['app_a', 'app_b'],
    managing_ref: 'prod/app/db_admin',
  };
  const targetBlock = (blocks: ModalBlock[]) => blocks.find((block) => block.block_id === SECRET_FORM_BLOCKS.target);

  it('an admin sets the target from the form, every default filled in, audited; the form shows it; saved again unchanged, nothing changes', async () => {
    const name = 'prod/app/db_password';
    seed(name);
    const opened = await openForm(name);
    expect(targetBlock(opened.blocks)).toMatchObject({ optional: true, element: { type: 'plain_text_input', multiline: true } });
    expect(targetBlock(opened.blocks)?.element?.initial_value).toBeUndefined();
    expect(await submit(name, { target: stateValue.text(JSON.stringify(ALTERNATING)) }, 'U0ADMIN')).toBeNull();
    const stored = { ...ALTERNATING, port: 5432, tls: 'require' };
    expect(harness.store.inventory.get(name)?.target).toEqual(stored);
    const event = harness.store.db
      .prepare(`SELECT details FROM audit_events WHERE action = 'secret.updated' AND secret = ? ORDER BY seq DESC LIMIT 1`)
      .get(name) as { details: string };
    expect(JSON.parse(event.details).changes.target).toEqual({ from: null, to: stored });

    const shown = targetBlock((await openForm(name)).blocks)?.element?.initial_value;
    expect(JSON.parse(shown as string)).toEqual(stored);
    const before = snapshotTables(harness.store, ['secrets', 'audit_events']);
    expect(await submit(name, { target: stateValue.text(shown as string) }, 'U0ADMIN')).toBeNull();
    expect(snapshotTables(harness.store, ['secrets', 'audit_events'])).toEqual(before);
  });

  it('the owner may not set, change or clear the target (it names the host Rotor logs in at and the managing secret it reads), but saves the rest of the form with it unchanged', async () => {
    const name = 'prod/app/ledger_password';
    seed(name, { target: ALTERNATING });
    const before = snapshotTables(harness.store, ['secrets']);
    const refusal = async (text: string | null) => {
      const reply = await submit(name, { target: stateValue.text(text) });
      expect(Object.keys(reply?.errors ?? {})).toEqual([SECRET_FORM_BLOCKS.target]);
      return reply?.errors[SECRET_FORM_BLOCKS.target] as string;
    };
    const elsewhere = JSON.stringify({ ...ALTERNATING, host: 'attacker.example', managing_ref: 'prod/other/db_admin' });
    expect(await refusal(elsewhere)).toContain('change where Rotor sets the credential (the target) of');
    expect(await refusal(null)).toContain('change where Rotor sets the credential (the target) of');
    expect(snapshotTables(harness.store, ['secrets'])).toEqual(before);
    const shown = targetBlock((await openForm(name)).blocks)?.element?.initial_value as string;
    expect(await submit(name, { description: stateValue.text('Ledger service login'), target: stateValue.text(shown) })).toBeNull();
    expect(harness.store.inventory.get(name)).toMatchObject({
      description: 'Ledger service login',
      target: { ...ALTERNATING, port: 5432, tls: 'require' },
    });
  });

  it('an admin changes the target to a single role and clears it by emptying the field', async () => {
    const name = 'prod/app/reports_password';
    seed(name, { target: ALTERNATING });
    const single =
      '{\n  "engine": "postgres",\n  "host": "10.0.0.7",\n  "port": "6432",\n  "dbname": "reports",\n  "tls": "verify-full",\n  "role": "reporter"\n}';
    expect(await submit(name, { target: stateValue.text(single) }, 'U0ADMIN')).toBeNull();
    expect(harness.store.inventory.get(name)?.target).toEqual({
      engine: 'postgres',
      host: '10.0.0.7',
      port: 6432,
      dbname: 'reports',
      tls: 'verify-full',
      role: 'reporter',
    });
    expect(await submit(name, { target: stateValue.text(null) }, 'U0ADMIN')).toBeNull();
    expect(harness.store.inventory.get(name)?.target).toBeNull();
  });

  it('sets a Redis target on a new secret from /secrets add', async () => {
    const name = 'prod/cache/redis_password';
    const target = { engine: 'redis', host: 'cache.internal', user: 'app', managing_ref: 'secret/prod/cache/redis_admin' };
    const fields: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>> = {
      name: stateValue.text(name),
      type: stateValue.select('redis'),
      owner: stateValue.user('U0DBA'),
      provider: stateValue.select('manual'),
      target: stateValue.text(JSON.stringify(target)),
    };
    const values = Object.fromEntries(
      Object.entries(fields).map(([field, value]) => [
        SECRET_FORM_BLOCKS[field as keyof typeof SECRET_FORM_BLOCKS],
        { [FORM_VALUE_ACTION]: value },
      ]),
    );
    const view = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.addSecret,
      privateMetadata: sealedFor(harness, CALLBACK_IDS.addSecret, '{}'),
      values,
    });
    const reply = await harness.submit({ userId: 'U0ADMIN', view });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
    expect(harness.store.inventory.get(name)?.target).toEqual({ ...target, port: 6379, tls: 'require' });
  });

  it('refuses a target that is not JSON, holds a password, or is not a valid target, on the target field; nothing changes', async () => {
    const name = 'prod/app/billing_password';
    seed(name, { target: ALTERNATING });
    const before = snapshotTables(harness.store, ['secrets', 'audit_events']);
    const targetError = async (text: string) => {
      const reply = await submit(name, { target: stateValue.text(text) });
      expect(reply?.response_action).toBe('errors');
      expect(Object.keys(reply?.errors ?? {})).toEqual([SECRET_FORM_BLOCKS.target]);
      return reply?.errors[SECRET_FORM_BLOCKS.target] as string;
    };
    expect(await targetError('{"engine":"postgres","host":"db.internal","role":"app"')).toMatch(
      /^The target is not JSON: write it as a JSON object/,
    );
    // A target holds no value: a password key is refused, and a random-looking one by the inventory's value guard too.
    const shortPassword = randomBytes(4).toString('hex');
    expect(await targetError(JSON.stringify({ ...ALTERNATING, password: shortPassword }))).toBe('unknown key password');
    // A random draw the inventory's value guard takes for a key (about 2 in 100 draws read as words to it: not this test's case).
    let password = randomBytes(18).toString('base64url');
    while (findCredentialShape(password) === null) password = randomBytes(18).toString('base64url');
    const longRefusal = await targetError(JSON.stringify({ ...ALTERNATING, password }));
    expect(longRefusal).toContain("Rotor never keeps a secret's value");
    expect(longRefusal).not.toContain(password);
    expect(await targetError(JSON.stringify({ ...ALTERNATING, port: 70000 }))).toBe('port: must be 1 to 65535');
    expect(await targetError(JSON.stringify({ ...ALTERNATING, role: 'app' }))).toBe(
      'role: name either `role` (one role, single-user strategy) or `roles` (two alternating roles), not both or neither',
    );
    expect(await targetError(JSON.stringify({ ...ALTERNATING, engine: 'mysql' }))).toContain('engine must be postgres or redis');
    expect(await targetError(JSON.stringify({ ...ALTERNATING, host: 'https://db.internal:5432' }))).toBe(
      'host: must be a host name or an IP address, without a scheme, port or path',
    );
    expect(snapshotTables(harness.store, ['secrets', 'audit_events'])).toEqual(before);
    const posted = JSON.stringify(harness.fake.callsTo('chat.postMessage'));
    expect(posted).not.toContain(password);
    expect(posted).not.toContain(shortPassword);
  });

  it('a secret being rotated shows no status or last-rotated input and says why; a forged status change is refused on the field', async () => {
    const name = 'prod/postgres/busy_password';
    seed(name);
    harness.store.inventoryService.setLifecycle(name, 'rotating', operator('U0DBA'));
    const { blocks } = await openForm(name);
    expect(blocks.some((block) => block.block_id === SECRET_FORM_BLOCKS.status || block.block_id === SECRET_FORM_BLOCKS.lastRotated)).toBe(
      false,
    );
    expect(JSON.stringify(blocks)).toContain('Status: rotating. A rotation is in progress');
    const before = snapshotTables(harness.store, ['secrets']);
    expect((await submit(name, { status: stateValue.select('retired') }))?.errors[SECRET_FORM_BLOCKS.status]).toContain(
      `A rotation of ${name} is in progress`,
    );
    expect(snapshotTables(harness.store, ['secrets'])).toEqual(before);
  });
});
