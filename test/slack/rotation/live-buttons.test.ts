import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import type { StoredMessage } from '../../fakes/fake-slack-api.js';
import { operator } from '../../support/actors.js';
import {
  clickOnStatus,
  incidentRecord,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  slashRevoke,
  submitIncidentForm,
  submitRevoke,
} from '../../support/revocation-slack.js';
import {
  buttonsOf,
  clickInMessage,
  driveModal,
  followUpsSettled,
  press,
  pushedSince,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  textOf,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Issue 18, item 7: the messages that asked someone for something are updated in place once the
 * rotation or the incident moved on, so no Approve stays under a rejected or abandoned rotation
 * and no Sign off after the sign-off. What is asserted is what Slack shows now: the message as
 * posted, then as every accepted chat.update left it.
 */

const SECRET = 'prod/payments/stripe_key';

/** What a DM shows now in the fake Slack: the message Rotor posted to `userId` whose text matched, as edited since. */
function shownDm(h: SlackHarness, userId: string, matches: RegExp): StoredMessage {
  const posted = h.fake.callsTo('chat.postMessage').filter((call) => call.args.channel === userId && matches.test(String(call.args.text)));
  expect(posted, `a DM to ${userId} matching ${matches}`).toHaveLength(1);
  const stored = h.fake.messages.find(
    (message) => message.channel === `D${userId.slice(1)}` && JSON.stringify(message.metadata) === JSON.stringify(posted[0]!.args.metadata),
  );
  if (!stored) throw new Error(`The fake holds no DM to ${userId}`);
  return stored;
}

const actionIds = (message: StoredMessage) => buttonsOf({ blocks: message.blocks as unknown[] }).map((found) => found.actionId);

describe('approval requests lose their buttons once their question is over', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function start(): Promise<SlackHarness> {
    harness = await startRotationHarness({
      seed: (store) =>
        store.inventoryService.create(
          { name: SECRET, type: 'api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        ),
    });
    return harness;
  }

  async function startRotation(h: SlackHarness, ticket: string): Promise<string> {
    const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
    await submitTicket(h, 'U0OWNER', viewId as string, ticket);
    await followUpsSettled(h);
    return viewId as string;
  }

  it('a role filled by another approver, then the rotation abandoned', async () => {
    const h = await start();
    const viewId = await startRotation(h, 'SEC-1');
    const asked = /^Approval requested/;
    for (const approver of ['U0SEC', 'U0OPS', 'U0OPS2'])
      expect(actionIds(shownDm(h, approver, asked))).toContain(ACTION_IDS.rotationApprove);

    // U0OPS approves as DevOps lead: U0OPS2, the other DevOps lead, is needed no more.
    const [opsRequest] = await waitForDms(h, 'U0OPS', asked);
    await clickInMessage(h, 'U0OPS', opsRequest!, ACTION_IDS.rotationApprove);
    await followUpsSettled(h);
    const other = shownDm(h, 'U0OPS2', asked);
    expect(actionIds(other)).not.toContain(ACTION_IDS.rotationApprove);
    expect(actionIds(other)).not.toContain(ACTION_IDS.rotationReject);
    expect(textOf({ blocks: other.blocks as unknown[] })).toContain(
      'Nothing more is needed from you for the rotation of `prod/payments/stripe_key`: security lead: waiting · DevOps lead: approved by <@U0OPS>',
    );
    expect(actionIds(shownDm(h, 'U0SEC', asked))).toContain(ACTION_IDS.rotationApprove);

    // The rotator abandons it: the security lead's request says so, with no button left to press.
    const otherEdits = other.edits;
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'wrong key, starting over');
    await followUpsSettled(h);
    const security = shownDm(h, 'U0SEC', asked);
    expect(actionIds(security)).toEqual([]);
    expect(textOf({ blocks: security.blocks as unknown[] })).toContain(
      'was abandoned by <@U0OWNER> at 2027-02-01 10:00 UTC: “wrong key, starting over”. Nothing is left to decide.',
    );
    // A message is redrawn once for good: the abandon left the one already closed alone.
    expect(other.edits).toBe(otherEdits);
  });

  it('a rejection: every other request says who rejected it and why', async () => {
    const h = await start();
    await startRotation(h, 'SEC-3');
    const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    const { triggerSince } = await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationReject);
    await submitReason(h, 'U0SEC', pushedSince(h, triggerSince), 'not during the payments freeze');
    await followUpsSettled(h);
    for (const approver of ['U0OPS', 'U0OPS2']) {
      const shown = shownDm(h, approver, /^Approval requested/);
      expect(actionIds(shown)).toEqual([]);
      expect(textOf({ blocks: shown.blocks as unknown[] })).toContain(
        'was rejected by <@U0SEC> (security lead) at 2027-02-01 10:00 UTC: “not during the payments freeze”. Nothing is left to decide.',
      );
    }
  });
});

describe('sign-off requests and pages lose their buttons once answered', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it("signed off from the status message: both security leads' requests say so; closed: every page says so", async () => {
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          {
            name: SECRET,
            type: 'api_key',
            owner: 'U0OWNER',
            backupOwner: 'U0BACKUP',
            team: 'payments',
            lastRotated: daysAgo(store.clock, 31),
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: SECRET });
    await followUpsSettled(h);
    const rotationView = (await slashRotate(h, 'U0ONCALL', SECRET)).viewId as string;
    await driveModal(h, 'U0ONCALL', rotationView, null);
    await press(h, 'U0ONCALL', rotationView, ACTION_IDS.rotationComplete);
    await followUpsSettled(h);
    for (const lead of ['U0SEC', 'U0SEC2']) expect(actionIds(shownDm(h, lead, /^Sign-off needed/))).toContain(ACTION_IDS.incidentSignOff);

    await clickOnStatus(h, 'U0SEC', ACTION_IDS.incidentSignOff);
    await followUpsSettled(h);
    expect(incidentRecord(h, 1).incident.signedOffBy).toBe('U0SEC');
    for (const lead of ['U0SEC', 'U0SEC2']) {
      const shown = shownDm(h, lead, /^Sign-off needed/);
      expect(actionIds(shown)).toEqual([]);
      expect(textOf({ blocks: shown.blocks as unknown[] })).toContain('its break-glass rotation was signed off by <@U0SEC> at 2027-02-01');
    }

    const close = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentClose);
    expect(await submitIncidentForm(h, 'U0ONCALL', close.since, 'https://wiki.example/postmortems/7')).toBeNull();
    await followUpsSettled(h);
    for (const paged of ['U0OWNER', 'U0BACKUP']) {
      const page = shownDm(h, paged, /^Paged/);
      expect(actionIds(page)).not.toContain(ACTION_IDS.incidentAcknowledge);
      expect(textOf({ blocks: page.blocks as unknown[] })).toContain('was closed by <@U0ONCALL> at 2027-02-01');
    }
  });
});
