import { afterEach, describe, expect, it } from 'vitest';
import { operator } from '../../support/actors.js';
import {
  ACTION_IDS,
  clickInMessage,
  currentStepOf,
  dmsTo,
  driveModal,
  followUpsSettled,
  metadataOf,
  modal,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitTicket,
  textOf,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { missingApprovals } from '../../../src/rotation/rotation-rules.js';

/**
 * Issue 24 item 2: a role the policy defines (privacy_counsel) is asked for by a secret class
 * (the tag dsar_signing) besides the environment's security and DevOps leads. Driven through
 * signed Slack requests; what the approvers are sent is read at the fake Web API.
 */

const POLICY = `
environments: [prod, staging, dev]
channels:
  announce: C0ANNOUNCE
  incident: [C0INCIDENT]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
  privacy_counsel: [U0PRIV]
approvals:
  prod: [security_lead, devops_lead]
  by_tag:
    dsar_signing: [privacy_counsel]
`;
const PEOPLE = ['U0OWNER', 'U0SEC', 'U0OPS', 'U0PRIV', 'U0ADMIN'];
const TAGGED = 'prod/dsar/signing_key';
const PLAIN = 'prod/stripe/api_key';

describe('approvals a defined role gives, by secret class', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function started(): Promise<SlackHarness> {
    harness = await startRotationHarness({
      policy: POLICY,
      people: PEOPLE,
      seed: (store) => {
        const lastRotated = store.clock.now().minus({ days: 30 }).toISODate() as string;
        store.inventoryService.create(
          { name: TAGGED, type: 'jwt', owner: 'U0OWNER', lastRotated, tags: { dsar_signing: 'true' } },
          operator(),
          'test',
        );
        store.inventoryService.create({ name: PLAIN, type: 'api_key', owner: 'U0OWNER', lastRotated }, operator(), 'test');
      },
    });
    return harness;
  }

  async function startRotation(h: SlackHarness, name: string): Promise<{ viewId: string; rotationId: number }> {
    const viewId = (await slashRotate(h, 'U0OWNER', name)).viewId as string;
    await submitTicket(h, 'U0OWNER', viewId, 'SEC-24');
    await followUpsSettled(h);
    return { viewId, rotationId: metadataOf(modal(h, viewId)).rotationId as number };
  }

  async function approveFromDm(h: SlackHarness, approver: string, secret: string): Promise<void> {
    const [request] = await waitForDms(h, approver, new RegExp(secret.replaceAll('/', '\\/')));
    h.store.clock.advance({ minutes: 1 });
    await clickInMessage(h, approver, request as NonNullable<typeof request>, ACTION_IDS.rotationApprove);
    await followUpsSettled(h);
  }

  it('a secret tagged dsar_signing: promote stays locked until privacy counsel approves, after the security and DevOps leads', async () => {
    const h = await started();
    const { viewId, rotationId } = await startRotation(h, TAGGED);
    expect(rotationRecord(h, rotationId).rotation.requiredApprovals).toEqual(['security_lead', 'devops_lead', 'privacy_counsel']);
    // Every role is asked in Slack, privacy counsel included.
    for (const approver of ['U0SEC', 'U0OPS', 'U0PRIV']) await waitForDms(h, approver, /prod\/dsar\/signing_key/);

    await driveModal(h, 'U0OWNER', viewId, null);
    const gated = rotationRecord(h, rotationId).steps.find((step) => step.gate === 'approval');
    expect(gated?.state).toBe('pending');

    await approveFromDm(h, 'U0SEC', TAGGED);
    await approveFromDm(h, 'U0OPS', TAGGED);
    const waiting = rotationRecord(h, rotationId);
    expect(missingApprovals(waiting)).toEqual(['privacy_counsel']);
    expect(waiting.steps.find((step) => step.id === gated?.id)?.state).toBe('pending');
    // Still locked: the owner's modal offers no way past the gate and names the role it waits for.
    const reopened = (await slashRotate(h, 'U0OWNER', TAGGED)).viewId as string;
    const ownerView = modal(h, reopened);
    expect(currentStepOf(ownerView)).toBeNull();
    expect(textOf(ownerView)).toContain('privacy counsel');

    await approveFromDm(h, 'U0PRIV', TAGGED);
    const approved = rotationRecord(h, rotationId);
    expect(missingApprovals(approved)).toEqual([]);
    expect(approved.approvals.map((approval) => [approval.role, approval.decidedBy])).toEqual(
      expect.arrayContaining([
        ['security_lead', 'U0SEC'],
        ['devops_lead', 'U0OPS'],
        ['privacy_counsel', 'U0PRIV'],
      ]),
    );
    const unlocked = (await slashRotate(h, 'U0OWNER', TAGGED)).viewId as string;
    expect(currentStepOf(modal(h, unlocked))).toBe(gated?.id);
  });

  it('a secret without the tag does not ask privacy counsel', async () => {
    const h = await started();
    const { rotationId } = await startRotation(h, PLAIN);
    expect(rotationRecord(h, rotationId).rotation.requiredApprovals).toEqual(['security_lead', 'devops_lead']);
    await waitForDms(h, 'U0SEC', /prod\/stripe\/api_key/);
    await waitForDms(h, 'U0OPS', /prod\/stripe\/api_key/);
    expect(dmsTo(h, 'U0PRIV')).toEqual([]);
  });
});
