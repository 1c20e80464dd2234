import { afterEach, describe, expect, it } from 'vitest';
import { operator } from '../../support/actors.js';
import { incidentRecord, slashRevoke, submitRevoke } from '../../support/revocation-slack.js';
import {
  ACTION_IDS,
  clickInMessage,
  dmsTo,
  followUpsSettled,
  metadataOf,
  modal,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitTicket,
  waitForDms,
} from '../../support/rotation-slack.js';
import { responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/**
 * Issue 24 item 2: the built-in role lists (admins, security_leads, responders…) take Slack user
 * groups like the roles the policy defines, and a group counts its members as Slack last said
 * (usergroups.list at the fake Slack, read at start-up). Driven through signed Slack requests.
 */

const INCIDENT_CHANNEL = 'C0INCIDENT';
const POLICY = `
environments: [prod, staging, dev]
channels:
  announce: C0ANNOUNCE
  incident: [${INCIDENT_CHANNEL}]
roles:
  admins: [S0ADMINS]
  security_leads: [S0SECURITY]
  devops_leads: [U0OPS]
  responders: [S0ONCALL]
approvals:
  prod: [security_lead, devops_lead]
incident:
  paging: [owner, security]
`;
const GROUPS = [
  { id: 'S0ADMINS', users: ['U0ADA'] },
  { id: 'S0SECURITY', users: ['U0SECA', 'U0SECB'] },
  { id: 'S0ONCALL', users: ['U0ONCALL'] },
];
const PEOPLE = ['U0OWNER', 'U0SECA', 'U0SECB', 'U0OPS', 'U0ADA', 'U0ONCALL', 'U0OUTSIDER'];
const SECRET = 'prod/payments/stripe_key';
const OTHER = 'prod/ledger/db_password';
/** What a refusal may change: only the audit log records it. */
const TABLES = ['secrets', 'rotations', 'rotation_steps', 'rotation_approvals', 'incidents', 'incident_pages', 'follow_ups'];

async function started(): Promise<SlackHarness> {
  const harness = await startRotationHarness({
    policy: POLICY,
    people: PEOPLE,
    seed: (store, fake) => {
      // Read at start-up (the role lists name groups) and again by a read once stale: the same answer each time.
      for (let call = 0; call < 5; call++) fake.script('usergroups.list', { body: { ok: true, usergroups: GROUPS } });

      const lastRotated = store.clock.now().minus({ days: 30 }).toISODate() as string;
      store.inventoryService.create({ name: SECRET, type: 'api_key', owner: 'U0OWNER', lastRotated }, operator(), 'test');
      store.inventoryService.create({ name: OTHER, type: 'api_key', owner: 'U0OWNER', lastRotated }, operator(), 'test');
    },
  });
  return harness;
}

/** The ephemeral answer to a slash command. */
async function answer(h: SlackHarness, command: string, text: string, userId: string): Promise<string> {
  const reply = await h.command(command, text, userId);
  expect(reply.status).toBe(200);
  const id = responseIdOf(reply.responseUrl);
  return JSON.stringify((await h.fake.waitForResponse((response) => response.id === id)).body);
}

describe('user groups in the built-in role lists', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('start-up caches the groups the built-in lists name', async () => {
    harness = await started();
    expect(harness.store.userGroups.membersOf('S0SECURITY')).toEqual(['U0SECA', 'U0SECB']);
    expect(harness.store.userGroups.membersOf('S0ADMINS')).toEqual(['U0ADA']);
  });

  it('a security lead given only as a user group is asked for and gives the approval; someone outside it is refused and nothing changes', async () => {
    const h = (harness = await started());
    const viewId = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await submitTicket(h, 'U0OWNER', viewId, 'SEC-24');
    await followUpsSettled(h);
    const rotationId = metadataOf(modal(h, viewId)).rotationId as number;
    expect(rotationRecord(h, rotationId).rotation.requiredApprovals).toEqual(['security_lead', 'devops_lead']);
    // Both members of the security group are asked, each once.
    const [request] = await waitForDms(h, 'U0SECA', /prod\/payments\/stripe_key/);
    await waitForDms(h, 'U0SECB', /prod\/payments\/stripe_key/);

    const before = snapshotTables(h.store, TABLES);
    h.store.clock.advance({ minutes: 1 });
    await clickInMessage(h, 'U0OUTSIDER', request as NonNullable<typeof request>, ACTION_IDS.rotationApprove);
    await followUpsSettled(h);
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    expect(rotationRecord(h, rotationId).approvals).toEqual([]);

    await clickInMessage(h, 'U0SECA', request as NonNullable<typeof request>, ACTION_IDS.rotationApprove);
    await followUpsSettled(h);
    expect(rotationRecord(h, rotationId).approvals.map((approval) => [approval.role, approval.decidedBy])).toEqual([
      ['security_lead', 'U0SECA'],
    ]);
  });

  it('under visibility: restricted a security lead by group sees every secret; an outsider sees none', async () => {
    const h = (harness = await started());
    const lead = await answer(h, '/secrets', 'list', 'U0SECB');
    expect(lead).toContain(SECRET);
    expect(lead).toContain(OTHER);
    const outsider = await answer(h, '/secrets', 'list', 'U0OUTSIDER');
    expect(outsider).not.toContain(SECRET);
    expect(outsider).not.toContain(OTHER);
    // Who can help names the group, as Slack mentions it.
    expect(outsider).toContain('<!subteam^S0SECURITY>');
  });

  it('an admin by group may add a secret (the form opens); an outsider is refused and nothing changes', async () => {
    const h = (harness = await started());
    await h.untilHandled(() => h.command('/secrets', 'add', 'U0ADA'));
    expect(h.fake.callsTo('views.open')).toHaveLength(1);

    const before = snapshotTables(h.store, TABLES);
    const refused = await answer(h, '/secrets', 'add', 'U0OUTSIDER');
    expect(refused).toContain('You may not add secrets');
    expect(h.fake.callsTo('views.open')).toHaveLength(1);
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
  });

  it('/revoke by a responder by group pages the security group’s members, each once; an outsider is refused and nothing changes', async () => {
    const h = (harness = await started());
    const before = snapshotTables(h.store, TABLES);
    const outsider = await slashRevoke(h, 'U0OUTSIDER', `${SECRET} pasted in a public channel`);
    expect(outsider.viewId).toBeNull();
    expect(String(outsider.reply?.text)).toContain('You may not revoke');
    expect(snapshotTables(h.store, TABLES)).toEqual(before);

    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} pasted in a public channel`);
    expect(viewId).not.toBeNull();
    // The confirmation names the people who will be paged, the group resolved.
    const preview = JSON.stringify(modal(h, viewId as string));
    expect(preview).toContain('<@U0SECA> (security)');
    expect(preview).toContain('<@U0SECB> (security)');
    await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: SECRET, severity: 'SEV3', reason: 'pasted in a public channel' });
    await followUpsSettled(h);
    const paged = (user: string) => dmsTo(h, user).filter((call) => /^Paged: Incident #1/.test(String(call.args.text))).length;
    expect(['U0OWNER', 'U0SECA', 'U0SECB', 'U0OUTSIDER', 'U0ADA'].map(paged)).toEqual([1, 1, 1, 0, 0]);
    expect(incidentRecord(h, 1).pages.map((page) => [page.userId, page.level])).toEqual(
      expect.arrayContaining([
        ['U0OWNER', 'owner'],
        ['U0SECA', 'security'],
        ['U0SECB', 'security'],
      ]),
    );
  });
});
