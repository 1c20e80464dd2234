import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  clickInMessage,
  clickInModal,
  dmsTo,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  rotationRecord,
  slashRotate,
  startAwsSecretHarness,
  submitTicket,
  textOf,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/**
 * Slack refusing `views.update` (a stale hash, a closed modal, an outage): the database stays the
 * truth, a provider step is never left half-run because its working state could not be shown,
 * and the person learns what happened when the modal cannot show it.
 */

const SECRET = 'prod/app/db';
const TABLES = ['rotations', 'rotation_steps', 'rotation_approvals', 'secrets', 'audit_events', 'follow_ups'];

describe.runIf(shouldRunMotoSuite('the Slack-rejects suite'))('Slack rejecting views.update during a rotation', () => {
  const moto = useMoto();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function start(): Promise<{ h: SlackHarness; viewId: string; rotationId: number }> {
    harness = (await startAwsSecretHarness(moto, { name: SECRET })).harness;
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-9');
    await followUpsSettled(h);
    return { h, viewId: viewId as string, rotationId: metadataOf(modal(h, viewId as string)).rotationId as number };
  }

  const notUpdatedDms = (h: SlackHarness) => dmsTo(h, 'U0OWNER').filter((call) => /could not update/i.test(String(call.args.text)));

  it('/rotate whose modal cannot be filled in: the channel reply names Slack’s answer, nothing is written', async () => {
    harness = (await startAwsSecretHarness(moto, { name: SECRET })).harness;
    const h = harness;
    const before = snapshotTables(h.store, TABLES);
    h.fake.script('views.update', { error: 'invalid_blocks' });
    const responses = h.fake.responses.length;
    await slashRotate(h, 'U0OWNER', SECRET);
    const refused = await h.fake.waitForResponse((response) => h.fake.responses.indexOf(response) >= responses);
    expect(String(refused.body.text)).toContain('invalid_blocks');
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
  });

  it('a stale hash: Slack refuses the update, Rotor redraws from the database', async () => {
    const { h, viewId, rotationId } = await start();
    h.fake.script('views.update', { error: 'hash_conflict' });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(rotationRecord(h, rotationId).steps[0]?.state).toBe('done');
    expect(textOf(modal(h, viewId))).toContain('Done by <@U0OWNER>');
  });

  it('the working state cannot be shown: the provider step still runs to its end instead of staying `running`', async () => {
    const { h, viewId, rotationId } = await start();
    h.fake.script('views.update', { error: 'internal_error' });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    const step = rotationRecord(h, rotationId).steps[0];
    expect(step).toMatchObject({ state: 'done', attempts: 1 });
    expect(rotationRecord(h, rotationId).rotation.newVersionId).not.toBeNull();
    expect(textOf(modal(h, viewId))).toContain('Done by <@U0OWNER>');
  });

  it('the result cannot be shown: what was recorded is kept, and the person is told by DM how to see it', async () => {
    const { h, viewId, rotationId } = await start();
    // Approved first: setting the password on the database waits for the approvals.
    for (const lead of ['U0SEC', 'U0OPS'])
      await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    h.fake.script('views.update', { error: 'internal_error' });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationTickStep);
    expect(rotationRecord(h, rotationId).steps[1]?.state).toBe('done');
    const [told] = notUpdatedDms(h);
    expect(String(told?.args.text)).toContain(SECRET);
    expect(JSON.stringify(told?.args.blocks)).toContain('internal_error');
    expect(JSON.stringify(told?.args.blocks)).toContain(`/rotate ${SECRET}`);

    // A refusal that cannot be shown either: the DM carries the refusal.
    h.fake.script('views.update', { error: 'internal_error' });
    const before = snapshotTables(h.store, TABLES);
    await clickInModal(h, 'U0OWNER', viewId, ACTION_IDS.rotationComplete, `rotation:${rotationId}`);
    expect(notUpdatedDms(h)).toHaveLength(2);
    expect(JSON.stringify(notUpdatedDms(h)[1]?.args.blocks)).toContain('cannot complete yet');
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
  });

  it('the rotation cannot be shown once started from the ticket form: it is started, and the person is told by DM', async () => {
    harness = (await startAwsSecretHarness(moto, { name: SECRET })).harness;
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
    h.fake.script('views.update', { error: 'internal_error' });
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-9');
    await followUpsSettled(h);
    expect(h.store.db.prepare(`SELECT state FROM rotations`).pluck().all()).toEqual(['awaiting_approval']);
    expect(notUpdatedDms(h)).toHaveLength(1);
    expect(JSON.stringify(notUpdatedDms(h)[0]?.args.blocks)).toContain('What you did was recorded');
  });
});
