import { afterEach, describe, expect, it } from 'vitest';
import { operator } from '../../support/actors.js';
import { slashRevoke } from '../../support/revocation-slack.js';
import {
  ACTION_IDS,
  clickInMessage,
  followUpsSettled,
  metadataOf,
  modal,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitTicket,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/**
 * Issue 24 (review): a role held through a Slack user group follows Slack's membership before a
 * decision that grants power, not only after a `/secrets` read. Slack's answers are scripted at
 * the fake's usergroups.list; nothing but the decision itself is sent in between.
 */

const POLICY = `
environments: [prod, staging, dev]
channels:
  announce: C0ANNOUNCE
  incident: [C0INCIDENT]
roles:
  admins: [U0ADA]
  security_leads: [S0SECURITY]
  devops_leads: [U0OPS]
  responders: [S0ONCALL]
approvals:
  prod: [security_lead, devops_lead]
incident:
  paging: [owner, security]
`;
const AT_START = [
  { id: 'S0SECURITY', users: ['U0SECA', 'U0SECB'] },
  { id: 'S0ONCALL', users: ['U0ONCALL'] },
];
const PEOPLE = ['U0OWNER', 'U0SECA', 'U0SECB', 'U0OPS', 'U0ADA', 'U0ONCALL', 'U0NEWCALL'];
const SECRET = 'prod/payments/stripe_key';
const TABLES = ['secrets', 'rotations', 'rotation_steps', 'rotation_approvals', 'incidents', 'incident_pages', 'follow_ups'];

async function started(): Promise<SlackHarness> {
  return startRotationHarness({
    policy: POLICY,
    people: PEOPLE,
    seed: (store, fake) => {
      // Read at start-up only; each test scripts what Slack says after.
      fake.script('usergroups.list', { body: { ok: true, usergroups: AT_START } });
      const lastRotated = store.clock.now().minus({ days: 30 }).toISODate() as string;
      store.inventoryService.create({ name: SECRET, type: 'api_key', owner: 'U0OWNER', lastRotated }, operator(), 'test');
    },
  });
}

/** A prod rotation waiting for its approvals, and the request U0SECA got. */
async function awaitingApproval(h: SlackHarness) {
  const viewId = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
  await submitTicket(h, 'U0OWNER', viewId, 'SEC-24');
  await followUpsSettled(h);
  const rotationId = metadataOf(modal(h, viewId)).rotationId as number;
  const [request] = await waitForDms(h, 'U0SECA', /prod\/payments\/stripe_key/);
  return { rotationId, request: request as NonNullable<typeof request> };
}

const groupListsAsked = (h: SlackHarness) => h.fake.callsTo('usergroups.list').length;

describe('user group membership is read again before a role decision', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('a member taken out of the security group in Slack after start-up is refused Approve, with no /secrets read between; nothing changes', async () => {
    const h = (harness = await started());
    const { rotationId, request } = await awaitingApproval(h);
    expect(h.store.userGroups.membersOf('S0SECURITY')).toEqual(['U0SECA', 'U0SECB']);

    h.fake.script('usergroups.list', { body: { ok: true, usergroups: [{ id: 'S0SECURITY', users: ['U0SECB'] }, AT_START[1]] } });
    h.store.clock.advance({ minutes: 2 });
    const listsBefore = groupListsAsked(h);
    const before = snapshotTables(h.store, TABLES);
    await clickInMessage(h, 'U0SECA', request, ACTION_IDS.rotationApprove);
    await followUpsSettled(h);
    expect(groupListsAsked(h)).toBe(listsBefore + 1);
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    expect(rotationRecord(h, rotationId).approvals).toEqual([]);

    // Still in the group: approves, on the answer just read (not asked again within the minute).
    await clickInMessage(h, 'U0SECB', request, ACTION_IDS.rotationApprove);
    await followUpsSettled(h);
    expect(groupListsAsked(h)).toBe(listsBefore + 1);
    expect(rotationRecord(h, rotationId).approvals.map((approval) => [approval.role, approval.decidedBy])).toEqual([
      ['security_lead', 'U0SECB'],
    ]);
  });

  it('a member just added to the responders group in Slack may /revoke', async () => {
    const h = (harness = await started());
    h.fake.script('usergroups.list', {
      body: { ok: true, usergroups: [AT_START[0], { id: 'S0ONCALL', users: ['U0ONCALL', 'U0NEWCALL'] }] },
    });
    h.store.clock.advance({ minutes: 2 });
    const { viewId } = await slashRevoke(h, 'U0NEWCALL', `${SECRET} pasted in a public channel`);
    expect(viewId).not.toBeNull();
    expect(h.store.userGroups.membersOf('S0ONCALL')).toEqual(['U0NEWCALL', 'U0ONCALL']);
  });

  it('when Slack cannot list the groups, the decision goes on with the last membership it gave, and the bot says so', async () => {
    const h = (harness = await started());
    const { rotationId, request } = await awaitingApproval(h);
    h.fake.script('usergroups.list', { error: 'fatal_error' });
    h.store.clock.advance({ minutes: 2 });
    await clickInMessage(h, 'U0SECA', request, ACTION_IDS.rotationApprove);
    await followUpsSettled(h);
    expect(rotationRecord(h, rotationId).approvals.map((approval) => approval.decidedBy)).toEqual(['U0SECA']);
    await h.waitForLog((line) => String(line.msg).includes('could not read Slack user groups'));
  });
});
