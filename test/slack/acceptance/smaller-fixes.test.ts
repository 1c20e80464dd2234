import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS, SECRET_FORM_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { runRotor } from '../../support/cli.js';
import {
  button,
  buttonsOf,
  clickInMessage,
  dmsTo,
  driveModal,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  pushedSince,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  textOf,
  waitForDms,
} from '../../support/rotation-slack.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue, submittedView } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';
import { sideRuntime } from '../../support/rotations.js';
import { renderRotationReportCsv, renderRotationReportMarkdown } from '../../../src/rotation/history/rotation-report-text.js';

/**
 * Issue 18, item 10: the smaller things a new team trips over, each through signed Slack
 * requests (or the CLI, for the report and the policy file).
 */

const NOW = '2027-03-10T10:00:00Z';
const TODAY = NOW.slice(0, 10);

describe('lists, the review, the report and /secrets show', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  const replyTo = async (h: SlackHarness, responseUrl: string) =>
    (await h.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl))).body;

  async function start(seed: (create: (fields: Record<string, unknown>) => void) => void): Promise<SlackHarness> {
    harness = await startSlackHarness({
      at: NOW,
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0OWNER', 'U0SEC', 'U0ADMIN', 'U0OPS']) fake.addUser(user, 'UTC');
        seed((fields) => store.inventoryService.create({ owner: 'U0OWNER', ...fields }, operator(), 'test'));
      },
    });
    return harness;
  }

  it('/secrets overdue gives its total and a Start rotation button on every row; so do the App Home rows', async () => {
    const h = await start((create) => {
      for (let n = 0; n < 23; n += 1)
        create({ name: `prod/svc${String(n).padStart(2, '0')}/api_key`, lastRotated: '2026-11-01', intervalDays: 90 });
      create({ name: 'prod/fresh/api_key', lastRotated: '2027-03-01', intervalDays: 90 });
    });
    const overdue = await replyTo(h, (await h.command('/secrets', 'overdue', 'U0SEC')).responseUrl);
    const shown = JSON.stringify(overdue.blocks);
    expect(shown).toContain('Overdue secrets: 23');
    expect(shown).toContain('23 in all. Showing 1–20; more below.');
    const starts = buttonsOf({ blocks: overdue.blocks as unknown[] }).filter((found) => found.actionId === ACTION_IDS.rotationOpen);
    expect(starts).toHaveLength(20);
    expect(starts.every((found) => found.text === 'Start rotation' && /^prod\/svc\d\d\/api_key$/.test(found.value))).toBe(true);

    await h.openHome('U0OWNER');
    const home = (await h.fake.waitForCall('views.publish', (call) => call.args.user_id === 'U0OWNER')).args.view as { blocks: unknown[] };
    const homeStarts = buttonsOf(home).filter((found) => found.actionId === ACTION_IDS.rotationOpen);
    expect(homeStarts.map((found) => found.value)).toContain('prod/fresh/api_key');
    expect(homeStarts.length).toBeGreaterThanOrEqual(24);
  });

  it('a secret due today is "due today" in /secrets review and in rotor report rotations, neither overdue nor missed', async () => {
    const h = await start((create) => {
      create({ name: 'prod/today/api_key', lastRotated: '2026-12-10', intervalDays: 90 });
      create({ name: 'prod/late/api_key', lastRotated: '2026-12-01', intervalDays: 90 });
    });
    expect(h.store.inventory.get('prod/today/api_key')?.nextRotation).toBe(TODAY);
    const review = JSON.stringify((await replyTo(h, (await h.command('/secrets', 'review', 'U0SEC')).responseUrl)).blocks);
    expect(review).toContain('*Overdue* (1)\\n`prod/late/api_key` (9 days)');
    expect(review).toContain('*Due today* (1)\\n`prod/today/api_key`');
    expect(review).not.toContain('`prod/today/api_key` (0 days)');

    // The report `rotor report rotations` prints, on the bot's clock (the CLI's is the machine's).
    const report = sideRuntime(h.store).rotationHistory.report({ since: '2027-03-01', until: TODAY });
    const markdown = renderRotationReportMarkdown(report);
    const todayRow = markdown.split('\n').find((line) => line.includes('prod/today/api_key')) ?? '';
    expect(todayRow).toContain(`due today (${TODAY}), not missed`);
    expect(markdown).toContain('**1** missed.');
    const rows = parse(renderRotationReportCsv(report), { columns: true }) as Record<string, string>[];
    expect(rows.filter((row) => row.secret === 'prod/today/api_key').map((row) => [row.record, row.status, row.due_date])).toEqual([
      ['none', 'due today', TODAY],
    ]);
    expect(rows.filter((row) => row.record === 'missed').map((row) => row.secret)).toEqual(['prod/late/api_key']);
  });

  it('/secrets show with a partial or a mistyped name suggests the closest names; consumers given as channels show as channels', async () => {
    const h = await start((create) => {
      create({ name: 'prod/stripe/api_key', lastRotated: '2027-03-01', consumers: ['checkout', 'C0BILLING01'] });
      create({ name: 'prod/stripe/webhook_secret', type: 'webhook', lastRotated: '2027-03-01' });
      create({ name: 'prod/redis/password', type: 'redis', lastRotated: '2027-03-01' });
    });
    const before = snapshotTables(h.store);
    for (const [typed, expected] of [
      ['stripe', 'Did you mean: prod/stripe/api_key, prod/stripe/webhook_secret?'],
      ['stripe/api_key', 'Did you mean: prod/stripe/api_key'],
      ['strpe', 'Did you mean: prod/stripe/api_key, prod/stripe/webhook_secret?'],
      ['prod/redis/pasword', 'Did you mean: prod/redis/password?'],
    ] as const) {
      const reply = await replyTo(h, (await h.command('/secrets', `show ${typed}`, 'U0SEC')).responseUrl);
      expect(String(reply.text), typed).toContain(expected);
    }
    expect(snapshotTables(h.store)).toEqual(before);
    const shown = JSON.stringify((await replyTo(h, (await h.command('/secrets', 'show prod/stripe/api_key', 'U0SEC')).responseUrl)).blocks);
    expect(shown).toContain('checkout, <#C0BILLING01>');
  });

  it('a digest to one person of thirty unowned secrets is one compact line each, what they share said once', async () => {
    const h = await start((create) => {
      for (let n = 0; n < 30; n += 1)
        create({ name: `prod/orphan${String(n).padStart(2, '0')}/api_key`, owner: null, lastRotated: '2026-11-01', intervalDays: 90 });
    });
    const [digest] = dmsTo(h, 'U0SEC');
    expect(String(digest?.args.text)).toBe('Escalation: 30 secrets need rotating');
    const blocks = digest!.args.blocks as { type: string; text?: { text: string }; elements?: { text: string }[]; accessory?: unknown }[];
    const rows = blocks.filter((block) => block.type === 'section' && block.accessory);
    expect(rows).toHaveLength(30);
    for (const row of rows)
      expect(row.text?.text).toMatch(
        /^`prod\/orphan\d\d\/api_key` · \d+ days overdue \(due 2027-01-30\) · prod · last rotated 2026-11-01$/,
      );
    const shared = JSON.stringify(blocks);
    expect(shared.match(/You are receiving this as its security lead/g)).toHaveLength(1);
    expect(blocks[1]).toMatchObject({
      type: 'context',
      elements: [
        {
          text: expect.stringMatching(
            /^For every secret below: You are receiving this as its security lead\. Owner: none; backup owner: none\./,
          ),
        },
      ],
    });
  });

  it('a policy role or key misspelt gets a did-you-mean', async () => {
    const h = await start(() => undefined);
    const bad = join(h.store.dir, 'bad-policy.yml');
    for (const [yaml, expected] of [
      ['roles:\n  securty_leads: [U0SEC]\n', 'roles (line 2): unknown key securty_leads (did you mean security_leads?)'],
      [
        'approvals:\n  prod: [security_leads, devops_lead]\n',
        // Approvals may name any role the policy defines (issue 24), so the refusal says both what roles: defines and the built-ins.
        'approvals.prod.0 (line 2): `security_leads` is not a role: roles: defines none by that name, and it is not one of security_lead, devops_lead (did you mean security_lead?)',
      ],
      ['rolse:\n  admins: [U0ADMIN]\n', 'unknown key rolse (did you mean roles?)'],
    ] as const) {
      writeFileSync(bad, yaml);
      const result = await runRotor(['--db', h.store.path, '--config', bad, 'list']);
      expect(result.code, yaml).toBe(2);
      expect(result.stderr, yaml).toContain(expected);
    }
  });
});

describe('rotations and owners', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function start(): Promise<SlackHarness> {
    harness = await startRotationHarness({
      people: ['U0OWNER', 'U0BACKUP', 'U0SEC', 'U0OPS', 'U0OPS2', 'U0ADMIN', 'U0NEW'],
      seed: (store) => {
        store.inventoryService.create(
          { name: 'prod/stripe/api_key', type: 'api_key', owner: 'U0OWNER', backupOwner: 'U0BACKUP', lastRotated: '2027-01-01' },
          operator(),
          'test',
        );
        store.inventoryService.create(
          { name: 'dev/mail/smtp_password', type: 'smtp', owner: 'U0OWNER', backupOwner: 'U0BACKUP', lastRotated: '2027-01-01' },
          operator(),
          'test',
        );
      },
    });
    return harness;
  }

  it('a 30-day secret is not due soon the day it is rotated', async () => {
    const h = await start();
    const { viewId } = await slashRotate(h, 'U0OWNER', 'dev/mail/smtp_password');
    await submitTicket(h, 'U0OWNER', viewId as string, 'OPS-1');
    await driveModal(h, 'U0OWNER', viewId as string, null);
    await press(h, 'U0OWNER', viewId as string, ACTION_IDS.rotationComplete);
    expect(h.store.inventory.get('dev/mail/smtp_password')).toMatchObject({ intervalDays: 30, lifecycle: 'active' });
    const { responseUrl } = await h.command('/secrets', 'show dev/mail/smtp_password', 'U0OWNER');
    const shown = JSON.stringify((await h.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl))).body.blocks);
    expect(shown).toContain(':large_green_circle: active');
    expect(shown).not.toContain('due soon');
    // `rotor list --status due_soon` and the metrics ask the same query.
    const dueSoon = h.store.inventory.list({ status: 'due_soon' }, h.store.clock.now(), h.store.policy.reminders.offsetsDays);
    expect(dueSoon.map((secret) => secret.name)).not.toContain('dev/mail/smtp_password');
    expect(h.store.inventory.statusCounts(h.store.clock.now(), h.store.policy.reminders.offsetsDays).due_soon).toBe(0);
  });

  it('a new /rotate after a rejection shows who rejected it and why', async () => {
    const h = await start();
    const { viewId } = await slashRotate(h, 'U0OWNER', 'prod/stripe/api_key');
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-8');
    const [request] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    const { triggerSince } = await clickInMessage(h, 'U0SEC', request!, ACTION_IDS.rotationReject);
    await submitReason(h, 'U0SEC', pushedSince(h, triggerSince), 'not during the payments freeze');
    await followUpsSettled(h);
    h.store.clock.advance({ hours: 2 });
    const again = (await slashRotate(h, 'U0OWNER', 'prod/stripe/api_key')).viewId as string;
    const shown = textOf(modal(h, again));
    expect(shown).toContain(
      'The last rotation (ticket SEC-8, started by <@U0OWNER>) was rejected by <@U0SEC> (security lead) at 2027-02-01 10:00 UTC: “not during the payments freeze”.',
    );
  });

  it('whoever held a rotation is told when someone else takes it over; the owner a secret is taken from is told', async () => {
    const h = await start();
    const { viewId } = await slashRotate(h, 'U0OWNER', 'dev/mail/smtp_password');
    await submitTicket(h, 'U0OWNER', viewId as string, 'OPS-2');
    h.store.clock.advance({ minutes: 5 });
    const backupView = (await slashRotate(h, 'U0BACKUP', 'dev/mail/smtp_password')).viewId as string;
    expect(button(modal(h, backupView), ACTION_IDS.rotationTakeOver)).toBeDefined();
    await press(h, 'U0BACKUP', backupView, ACTION_IDS.rotationTakeOver);
    expect(metadataOf(modal(h, backupView)).rotationId).toBe(metadataOf(modal(h, viewId as string)).rotationId);
    const [told] = await waitForDms(h, 'U0OWNER', /rotation taken over/);
    expect(textOf({ blocks: told!.args.blocks as unknown[] })).toContain(
      '<@U0BACKUP> took over the rotation of `dev/mail/smtp_password` from you',
    );
    await followUpsSettled(h);
    expect(dmsTo(h, 'U0BACKUP').filter((call) => /taken over/.test(String(call.args.text)))).toEqual([]);

    // An admin hands the secret to someone else: the owner it was taken from hears it.
    const { responseUrl } = await h.command('/secrets', 'owner prod/stripe/api_key <@U0NEW>', 'U0ADMIN');
    await h.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl));
    // Told by a durable follow-up, at the next sweep (every minute).
    await h.runtime.runJob('follow-up-sweep');
    const [former] = await waitForDms(h, 'U0OWNER', /instead of you/);
    expect(former?.args.text).toBe(
      ':information_source: <@U0ADMIN> made <@U0NEW> the owner of `prod/stripe/api_key` instead of you: its reminders go to them from now on. `/secrets show prod/stripe/api_key` shows it.',
    );
  });

  it('edit-form errors show under the field they are about', async () => {
    const h = await start();
    const submit = async (userId: string, values: Record<string, ReturnType<typeof stateValue.text>>) => {
      const view = submittedView(h.payloads, {
        callbackId: CALLBACK_IDS.editSecret,
        privateMetadata: await editMetadata(h, userId),
        values: Object.fromEntries(Object.entries(values).map(([block, value]) => [block, { value }])),
      });
      return (await h.submit({ userId, view })).json() as { response_action: string; errors: Record<string, string> };
    };
    const before = snapshotTables(h.store);
    // The backup owner may edit, not hand the secret over: the refusal is on the owner.
    const takeover = await submit('U0BACKUP', { [SECRET_FORM_BLOCKS.owner]: stateValue.user('U0BACKUP') });
    expect(Object.keys(takeover.errors)).toEqual([SECRET_FORM_BLOCKS.owner]);
    expect(takeover.errors[SECRET_FORM_BLOCKS.owner]).toContain('You may not change the owner of `prod/stripe/api_key`');
    const interval = await submit('U0OWNER', { [SECRET_FORM_BLOCKS.intervalDays]: stateValue.text('0') });
    expect(Object.keys(interval.errors)).toEqual([SECRET_FORM_BLOCKS.intervalDays]);
    expect(snapshotTables(h.store, ['secrets'])).toEqual({ secrets: before.secrets });
  });
});

/** The edit form's metadata, as Rotor sends it when `/secrets edit` opens the form. */
async function editMetadata(h: SlackHarness, userId: string): Promise<string> {
  const since = h.fake.calls.length;
  await h.untilHandled(() => h.command('/secrets', 'edit prod/stripe/api_key', userId));
  const opened = h.fake.calls.slice(since).find((call) => call.method === 'views.open');
  return String((opened?.args.view as { private_metadata: string }).private_metadata);
}
