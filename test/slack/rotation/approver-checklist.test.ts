import { afterEach, describe, expect, it } from 'vitest';
import { operator } from '../../support/actors.js';
import {
  ACTION_IDS,
  button,
  buttonsOf,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  pushedSince,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  textOf,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * An approver who opens the checklist (issue 18, item 8) was offered *Continue this rotation*,
 * and pressing it made them a worker who could no longer approve. They now see Approve and
 * Reject there, act on them from the modal, and never see Continue.
 */

const SECRET = 'prod/stripe/api_key';

describe('an approver opening the checklist', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function started(): Promise<{ h: SlackHarness; rotationId: number }> {
    harness = await startRotationHarness({
      seed: (store) =>
        store.inventoryService.create(
          { name: SECRET, type: 'api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const viewId = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await submitTicket(h, 'U0OWNER', viewId, 'SEC-31');
    await followUpsSettled(h);
    return { h, rotationId: metadataOf(modal(h, viewId)).rotationId as number };
  }

  it('sees Approve and Reject, not Continue; approving from the modal records the approval and keeps them out of the work', async () => {
    const { h, rotationId } = await started();
    const secView = (await slashRotate(h, 'U0SEC', SECRET)).viewId as string;
    const offered = modal(h, secView);
    expect(textOf(offered)).toContain('your approval is asked as security lead');
    expect(buttonsOf(offered).map((found) => found.text)).toEqual(expect.arrayContaining(['Approve', 'Reject…']));
    expect(
      buttonsOf(offered)
        .map((found) => found.text)
        .filter((text) => /continue/i.test(text)),
    ).toEqual([]);
    expect(textOf(offered)).not.toContain('You may continue it');
    // Carrying it out instead is there, last, behind a confirmation that says what it costs.
    expect(JSON.stringify(offered.blocks)).toContain('you could no longer approve it as security lead (two-person rule)');

    h.store.clock.advance({ minutes: 1 });
    await press(h, 'U0SEC', secView, ACTION_IDS.rotationApprove);
    const record = rotationRecord(h, rotationId);
    expect(record.approvals.map((approval) => [approval.role, approval.decidedBy, approval.decision])).toEqual([
      ['security_lead', 'U0SEC', 'approved'],
    ]);
    expect(record.rotation.heldBy).toBe('U0OWNER');
    const after = modal(h, secView);
    expect(textOf(after)).toContain(':white_check_mark: security lead by <@U0SEC>');
    expect(textOf(after)).toContain('You approved this rotation, so someone else carries it out (two-person rule).');
    expect(button(after, ACTION_IDS.rotationApprove)).toBeUndefined();
  });

  it('rejects from the modal with a reason: the rotation stops and the modal shows it', async () => {
    const { h, rotationId } = await started();
    const opsView = (await slashRotate(h, 'U0OPS', SECRET)).viewId as string;
    const since = h.fake.calls.length;
    await press(h, 'U0OPS', opsView, ACTION_IDS.rotationReject);
    const form = pushedSince(h, since);
    expect(h.fake.calls.slice(since).some((call) => call.method === 'views.push')).toBe(true);
    expect(await submitReason(h, 'U0OPS', form, 'no change window this week')).toBeNull();
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({
      state: 'rejected',
      endedBy: 'U0OPS',
      endReason: 'no change window this week',
    });
    expect(textOf(modal(h, opsView))).toContain('no change window this week');
    expect(button(modal(h, opsView), ACTION_IDS.rotationApprove)).toBeUndefined();
  });

  it('someone who may rotate it but holds no approver role is still offered Continue', async () => {
    const { h } = await started();
    // U0ADMIN may rotate every secret but is neither a security nor a DevOps lead.
    const adminView = (await slashRotate(h, 'U0ADMIN', SECRET)).viewId as string;
    expect(button(modal(h, adminView), ACTION_IDS.rotationTakeOver)?.text).toBe('Continue this rotation');
    expect(button(modal(h, adminView), ACTION_IDS.rotationApprove)).toBeUndefined();
  });
});
