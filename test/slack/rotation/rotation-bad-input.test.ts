import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { ACTION_IDS, encodeRotationMetadata } from '../../../src/slack/ids.js';
import { AwsFaultServer } from '../../fakes/aws-fault-server.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  button,
  clickInMessage,
  clickInModal,
  FAST_RETRY,
  followUpsSettled,
  metadataOf,
  modal,
  modalClickPayload,
  press,
  pushedSince,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  textOf,
  waitForDms,
  ROTATION_POLICY,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Every bad input of the issue, through signed Slack requests: the reply is clear, and the
 * database is unchanged. A refusal by the permission check writes one `access.denied` audit row
 * by design; where that happens it is asserted, not hidden by leaving the audit table out.
 */

const SECRET = 'prod/app/db';
const TABLES = ['rotations', 'rotation_steps', 'rotation_approvals', 'secrets', 'audit_events', 'follow_ups'];

describe.runIf(shouldRunMotoSuite('the rotation bad-input suite'))('guided rotation refuses bad input clearly and changes nothing', () => {
  const moto = useMoto();
  let faults: AwsFaultServer;
  let harness: SlackHarness | undefined;
  beforeAll(async () => {
    // Faults are queued per test; everything else goes through to moto.
    faults = new AwsFaultServer(moto.endpoint);
    await faults.start();
  });
  afterAll(async () => faults.stop());
  afterEach(async () => {
    faults.clear();
    await harness?.close();
  });

  async function start(options: { throughFaults?: boolean; timeoutMs?: number; policy?: string } = {}): Promise<SlackHarness> {
    await moto.sdk.send(new CreateSecretCommand({ Name: SECRET, SecretString: randomBytes(12).toString('hex') }));
    harness = await startRotationHarness({
      ...(options.policy ? { policy: options.policy } : {}),
      aws: () =>
        new AwsSecretsManagerProvider({
          retry: { ...FAST_RETRY, ...(options.timeoutMs ? { attempts: 1, timeoutMs: options.timeoutMs } : {}) },
          endpoint: options.throughFaults ? faults.endpoint : moto.endpoint,
        }),
      seed: (store) => {
        const create = (fields: Record<string, unknown>) =>
          store.inventoryService.create({ owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31), ...fields }, operator(), 'test');
        create({ name: SECRET, type: 'database', backupOwner: 'U0BACKUP', provider: 'aws', providerRef: SECRET });
        create({ name: 'prod/old/api_key', lifecycle: 'retired' });
        create({ name: 'prod/leaked/api_key', lifecycle: 'compromised' });
        create({ name: 'staging/stripe/api_key', type: 'api_key' });
      },
    });
    return harness;
  }

  const snapshot = () => snapshotTables(harness!.store, TABLES);
  /** The audit rows written since `before` was taken. */
  const newAuditRows = (before: Record<string, unknown[]>) =>
    (snapshot().audit_events as { action: string; actor: string }[])
      .slice((before.audit_events as unknown[]).length)
      .map(({ action, actor }) => ({ action, actor }));
  const withoutAudit = (tables: Record<string, unknown[]>) => ({ ...tables, audit_events: undefined });

  async function startRotation(h: SlackHarness, userId = 'U0OWNER', name = SECRET): Promise<{ viewId: string; rotationId: number }> {
    const { viewId } = await slashRotate(h, userId, name);
    await submitTicket(h, userId, viewId as string, 'SEC-9');
    await followUpsSettled(h);
    return { viewId: viewId as string, rotationId: metadataOf(modal(h, viewId as string)).rotationId as number };
  }

  it('/rotate on an unknown secret is answered in the channel, with no modal', async () => {
    const h = await start();
    const before = snapshot();
    const { viewId, reply } = await slashRotate(h, 'U0OWNER', 'prod/app/nope');
    expect(viewId).toBeNull();
    expect(h.fake.callsTo('views.open')).toEqual([]);
    expect(String(reply?.text)).toContain('prod/app/nope');
    expect(snapshot()).toEqual(before);
  });

  it('/rotate on a retired or a compromised secret says why it is not rotated this way', async () => {
    const h = await start();
    const before = snapshot();
    const retired = await slashRotate(h, 'U0OWNER', 'prod/old/api_key');
    expect(textOf(modal(h, retired.viewId as string))).toContain('is retired, so it is not rotated any more');
    const compromised = await slashRotate(h, 'U0OWNER', 'prod/leaked/api_key');
    expect(textOf(modal(h, compromised.viewId as string))).toContain('is marked compromised');
    expect(textOf(modal(h, compromised.viewId as string))).toContain('/revoke');
    expect(modal(h, compromised.viewId as string).submit).toBeUndefined();
    expect(snapshot()).toEqual(before);
  });

  it('/rotate by someone who may not rotate the secret is refused with who may; only the access.denied row is written', async () => {
    // Everyone may read the inventory here, so the refusal may name the secret's people.
    const h = await start({ policy: `${ROTATION_POLICY}visibility: workspace\n` });
    const before = snapshot();
    const { viewId, reply } = await slashRotate(h, 'U0STRANGER', SECRET);
    expect(viewId).toBeNull();
    expect(String(reply?.text)).toContain('You may not rotate');
    expect(String(reply?.text)).toContain('<@U0OWNER>');
    expect(withoutAudit(snapshot())).toEqual(withoutAudit(before));
    expect(newAuditRows(before)).toEqual([{ action: 'access.denied', actor: 'U0STRANGER' }]);
  });

  it('/rotate by someone who may neither rotate nor read the secret is refused without naming its people; only the access.denied rows are written', async () => {
    const h = await start();
    const before = snapshot();
    const { viewId, reply } = await slashRotate(h, 'U0STRANGER', SECRET);
    expect(viewId).toBeNull();
    expect(String(reply?.text)).toContain(`There is no secret named \`${SECRET}\` that you may see`);
    expect(String(reply?.text)).not.toContain('<@U0OWNER>');
    expect(String(reply?.text)).not.toContain('<@U0BACKUP>');
    expect(withoutAudit(snapshot())).toEqual(withoutAudit(before));
    // The refusal to rotate, then the refusal to read that answers it.
    expect(newAuditRows(before)).toEqual([
      { action: 'access.denied', actor: 'U0STRANGER' },
      { action: 'access.denied', actor: 'U0STRANGER' },
    ]);
  });

  it('a ticket that is empty, 500 characters long or holds <!channel> is refused on the field', async () => {
    const h = await start();
    const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
    const before = snapshot();
    for (const [ticket, expected] of [
      ['', 'is required'],
      ['SEC-1'.padEnd(500, '9'), 'is 500 characters long'],
      ['<!channel>', 'may not contain < or >'],
    ] as const) {
      const ack = await submitTicket(h, 'U0OWNER', viewId as string, ticket);
      expect(ack.response_action).toBe('errors');
      expect(String((ack.errors as Record<string, string>).rotation_ticket)).toContain(expected);
    }
    expect(snapshot()).toEqual(before);
  });

  it('completing with required steps pending, or skipping a required step, is refused in the modal', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    const before = snapshot();
    // No Complete button is shown yet; a forged click is refused all the same.
    expect(button(modal(h, viewId), ACTION_IDS.rotationComplete)).toBeUndefined();
    await clickInModal(h, 'U0OWNER', viewId, ACTION_IDS.rotationComplete, `rotation:${rotationId}`);
    expect(textOf(modal(h, viewId))).toContain('cannot complete yet: 10 steps still to do, starting with “Create the new version”');

    const since = h.fake.calls.length;
    await clickInModal(h, 'U0OWNER', viewId, ACTION_IDS.rotationSkipStep, 'create_version');
    const skip = await submitReason(h, 'U0OWNER', pushedSince(h, since), 'no time');
    expect(skip).toMatchObject({ response_action: 'errors' });
    expect(JSON.stringify(skip)).toContain('is required and cannot be skipped');
    expect(snapshot()).toEqual(before);
  });

  it("approving one's own rotation, approving twice, or approving as someone without the role is refused", async () => {
    const h = await start();
    const { rotationId } = await startRotation(h, 'U0OPS2');
    const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    const [opsRequest] = await waitForDms(h, 'U0OPS', /^Approval requested/);

    let before = snapshot();
    const own = await clickInMessage(h, 'U0OPS2', opsRequest!, ACTION_IDS.rotationApprove);
    expect(String(own.reply?.text)).toContain('cannot also approve it (two-person rule)');
    const owner = await clickInMessage(h, 'U0OWNER', opsRequest!, ACTION_IDS.rotationApprove);
    expect(String(owner.reply?.text)).toContain('You may not approve');
    expect(withoutAudit(snapshot())).toEqual(withoutAudit(before));
    expect(newAuditRows(before)).toEqual([
      { action: 'access.denied', actor: 'U0OPS2' },
      { action: 'access.denied', actor: 'U0OWNER' },
    ]);

    await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationApprove);
    await waitForDms(h, 'U0OPS2', /^Approved/);
    before = snapshot();
    const twice = await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationApprove);
    expect(String(twice.reply?.text)).toContain('You already approved this rotation as security lead');
    expect(snapshot()).toEqual(before);
    expect(rotationRecord(h, rotationId).approvals).toHaveLength(1);
  });

  it('the two-person rule holds both ways: whoever worked on the rotation may not approve it, whoever approved it may not carry it out', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    const [opsRequest] = await waitForDms(h, 'U0OPS', /^Approval requested/);
    const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    // The DevOps lead continues the rotation for a step, then hands it back to the owner.
    const opsView = (await slashRotate(h, 'U0OPS', SECRET)).viewId as string;
    await press(h, 'U0OPS', opsView, ACTION_IDS.rotationTakeOver);
    await press(h, 'U0OPS', opsView, ACTION_IDS.rotationRunStep);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationTakeOver);
    expect(rotationRecord(h, rotationId).rotation.heldBy).toBe('U0OWNER');

    let before = snapshot();
    const worked = await clickInMessage(h, 'U0OPS', opsRequest!, ACTION_IDS.rotationApprove);
    expect(String(worked.reply?.text)).toContain('you did “Create the new version”');
    expect(String(worked.reply?.text)).toContain('two-person rule');
    expect(snapshot()).toEqual(before);

    // The security lead approves, then tries to carry the rotation out: refused, and not offered.
    await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationApprove);
    const secView = (await slashRotate(h, 'U0SEC', SECRET)).viewId as string;
    expect(button(modal(h, secView), ACTION_IDS.rotationTakeOver)).toBeUndefined();
    expect(textOf(modal(h, secView))).toContain('You approved this rotation');
    before = snapshot();
    await clickInModal(h, 'U0SEC', secView, ACTION_IDS.rotationTakeOver, `rotation:${rotationId}`);
    expect(textOf(modal(h, secView))).toContain(
      'You approved this rotation as security lead, so you cannot also carry it out (two-person rule)',
    );
    await clickInModal(h, 'U0SEC', secView, ACTION_IDS.rotationTickStep, 'set_new_value');
    expect(textOf(modal(h, secView))).toContain('cannot also carry it out');
    expect(snapshot()).toEqual(before);
  });

  it('Approve from the App Home: the tab is redrawn without it, and a second press (from a tab not yet redrawn) is answered by DM', async () => {
    const h = await start();
    const { rotationId } = await startRotation(h);
    await h.untilHandled(() => h.openHome('U0SEC'));
    const home = h.fake
      .callsTo('views.publish')
      .filter((call) => call.args.user_id === 'U0SEC')
      .at(-1)?.args.view as { blocks: unknown[] };
    const approve = button(home, ACTION_IDS.rotationApprove);
    expect(approve?.value).toBe(`rotation:${rotationId}`);
    const homeClick = () => ({
      type: 'block_actions',
      actions: [
        {
          type: 'button',
          action_id: ACTION_IDS.rotationApprove,
          block_id: 'b1',
          value: approve?.value,
          text: { type: 'plain_text', text: 'Approve' },
          action_ts: '1.000100',
        },
      ],
      team: { id: h.payloads.teamId, domain: 'rotor-test' },
      user: { id: 'U0SEC', username: 'u0sec', name: 'u0sec', team_id: h.payloads.teamId },
      view: {
        id: 'VHOME0001',
        type: 'home',
        blocks: home.blocks,
        private_metadata: '',
        callback_id: '',
        hash: '1.a',
        state: { values: {} },
      },
      container: { type: 'view', view_id: 'VHOME0001' },
      token: 'legacy',
      trigger_id: `${Date.now()}.1.${randomBytes(8).toString('hex')}`,
      api_app_id: 'A0ROTOR',
    });
    const published = h.fake.callsTo('views.publish').length;
    await h.untilHandled(() => h.post({ kind: 'payload', payload: homeClick() }));
    expect(rotationRecord(h, rotationId).approvals.map((approval) => approval.decidedBy)).toEqual(['U0SEC']);
    const redrawn = h.fake
      .callsTo('views.publish')
      .slice(published)
      .filter((call) => call.args.user_id === 'U0SEC')
      .at(-1)?.args.view as { blocks: unknown[] } | undefined;
    expect(redrawn && button(redrawn, ACTION_IDS.rotationApprove)).toBeUndefined();
    expect(textOf(redrawn ?? { blocks: [] })).toContain('Nothing awaits your approval');

    await followUpsSettled(h);
    const before = snapshot();
    await h.untilHandled(() => h.post({ kind: 'payload', payload: homeClick() }));
    const told = h.fake
      .callsTo('chat.postMessage')
      .filter((call) => call.args.channel === 'U0SEC' && /already approved/.test(JSON.stringify(call.args)));
    expect(told).toHaveLength(1);
    expect(snapshot()).toEqual(before);
  });

  it('Reject from the App Home for a rotation that does not exist is answered by DM, and opens nothing', async () => {
    const h = await start();
    await startRotation(h);
    const before = snapshot();
    const opened = h.fake.callsTo('views.open').length;
    await h.untilHandled(() =>
      h.post({
        kind: 'payload',
        payload: {
          type: 'block_actions',
          actions: [
            {
              type: 'button',
              action_id: ACTION_IDS.rotationReject,
              block_id: 'b1',
              value: 'rotation:99999',
              text: { type: 'plain_text', text: 'Reject' },
              action_ts: '1.000100',
            },
          ],
          team: { id: h.payloads.teamId, domain: 'rotor-test' },
          user: { id: 'U0SEC', username: 'u0sec', name: 'u0sec', team_id: h.payloads.teamId },
          view: { id: 'VHOME0001', type: 'home', blocks: [], private_metadata: '', callback_id: '', hash: '1.a', state: { values: {} } },
          container: { type: 'view', view_id: 'VHOME0001' },
          token: 'legacy',
          trigger_id: `${Date.now()}.1.${randomBytes(8).toString('hex')}`,
          api_app_id: 'A0ROTOR',
        },
      }),
    );
    const told = h.fake
      .callsTo('chat.postMessage')
      .filter((call) => call.args.channel === 'U0SEC' && /:warning:/.test(String(call.args.text)));
    expect(told).toHaveLength(1);
    expect(h.fake.callsTo('views.open')).toHaveLength(opened);
    expect(snapshot()).toEqual(before);
  });

  it('a rejected rotation cannot be continued: its modal shows the rejection, and a click on a step is refused', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    const { triggerSince } = await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationReject);
    await submitReason(h, 'U0SEC', pushedSince(h, triggerSince), 'wrong change window');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('rejected');
    await waitForDms(h, 'U0OWNER', /^Rejected/);
    const shown = modal(h, viewId);
    expect(textOf(shown)).toContain('rejected by <@U0SEC>');
    expect(button(shown, ACTION_IDS.rotationRunStep)).toBeUndefined();

    await followUpsSettled(h);
    const before = snapshot();
    await clickInModal(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep, 'create_version');
    expect(textOf(modal(h, viewId))).toContain('was rejected by U0SEC: wrong change window; nothing more can be done in it');
    const approve = await clickInMessage(h, 'U0OPS', (await waitForDms(h, 'U0OPS', /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    expect(String(approve.reply?.text)).toContain('was rejected');
    expect(snapshot()).toEqual(before);
  });

  it('an expired view, a replayed click and tampered metadata or button values are refused', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    // Approved first: setting the password on the database waits for the approvals.
    for (const lead of ['U0SEC', 'U0OPS'])
      await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    const expired = modal(h, viewId);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    const replayed = modal(h, viewId);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationTickStep);
    await followUpsSettled(h);
    const before = snapshot();

    // A click from the view as it was two changes ago, and the last click sent again.
    await clickInModal(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep, 'create_version', expired);
    expect(textOf(modal(h, viewId))).toContain('Someone changed the rotation of prod/app/db while you were looking');
    await clickInModal(h, 'U0OWNER', viewId, ACTION_IDS.rotationTickStep, 'set_new_value', replayed);
    expect(textOf(modal(h, viewId))).toContain('Someone changed the rotation of prod/app/db while you were looking');

    // A step that does not exist, and private_metadata that is not Rotor's.
    await clickInModal(h, 'U0OWNER', viewId, ACTION_IDS.rotationTickStep, 'drop_tables');
    expect(textOf(modal(h, viewId))).toContain('has no step `drop_tables`');
    for (const metadata of [
      '{"s":"prod/app/db","r":"1 OR 1=1","v":3}',
      'not json',
      encodeRotationMetadata({ secret: SECRET, rotationId: 999, version: 1 }),
    ]) {
      const since = h.fake.calls.length;
      const payload = modalClickPayload(h, 'U0OWNER', viewId, ACTION_IDS.rotationTickStep, 'update_staging', {
        ...modal(h, viewId),
        private_metadata: metadata,
      });
      await h.untilHandled(() => h.post({ kind: 'payload', payload }));
      const answer = h.fake.calls
        .slice(since)
        .filter((call) => call.method === 'views.update' && call.args.view_id === viewId)
        .at(-1);
      expect(answer, `a reply to ${metadata}`).toBeDefined();
      expect(JSON.stringify(answer?.args.view)).toMatch(/lost track of its secret|No rotation #999/);
    }

    // A note form whose metadata is not Rotor's, or names a version the rotation has left.
    const fresh = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', fresh, ACTION_IDS.rotationNoteStep);
    const noteForm = pushedSince(h, since);
    for (const metadata of ['{"purpose":"drop"}', noteForm.private_metadata?.replace(/"version":\d+/, '"version":1') ?? '']) {
      const answer = await submitReason(h, 'U0OWNER', { ...noteForm, private_metadata: metadata }, 'done');
      expect(answer).toMatchObject({ response_action: 'errors' });
      expect(JSON.stringify(answer)).toMatch(/lost track of its rotation|Someone changed the rotation/);
    }

    // Tampered button values on the DM buttons.
    const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    for (const value of ['rotation:abc', 'rotation:999']) {
      const tampered = {
        ...secRequest!,
        args: {
          ...secRequest!.args,
          blocks: JSON.parse(JSON.stringify(secRequest!.args.blocks).replace(`rotation:${rotationId}`, value)) as unknown[],
        },
      };
      const { reply } = await clickInMessage(h, 'U0SEC', tampered, ACTION_IDS.rotationApprove);
      expect(String(reply?.text)).toMatch(/not one Rotor offers|No rotation #999/);
    }
    expect(snapshot()).toEqual(before);
  });

  it('a note, a click or a submission for a rotation someone else already completed or abandoned is refused, with the rotation as it now stands', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h, 'U0OWNER', 'staging/stripe/api_key');
    const backup = await slashRotate(h, 'U0OPS', 'staging/stripe/api_key');
    await press(h, 'U0OPS', backup.viewId as string, ACTION_IDS.rotationTakeOver);
    // The owner opens the note form on a step, and meanwhile the DevOps lead abandons the rotation.
    const stale = modal(h, viewId);
    const since = h.fake.calls.length;
    await clickInModal(h, 'U0OWNER', viewId, ACTION_IDS.rotationNoteStep, 'create_version', stale);
    const noteForm = pushedSince(h, since);
    const abandonSince = h.fake.calls.length;
    await press(h, 'U0OPS', backup.viewId as string, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OPS', pushedSince(h, abandonSince), 'wrong secret');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('abandoned');

    await followUpsSettled(h);
    const before = snapshot();
    const note = await submitReason(h, 'U0OWNER', noteForm, 'done at the issuer');
    expect(note).toMatchObject({ response_action: 'errors' });
    // The modal under the form shows where the rotation stands.
    expect(textOf(modal(h, viewId))).toContain('abandoned by <@U0OPS>');
    await clickInModal(h, 'U0OWNER', viewId, ACTION_IDS.rotationTickStep, 'create_version', stale);
    expect(textOf(modal(h, viewId))).toContain('abandoned by <@U0OPS>');
    expect(snapshot()).toEqual(before);
  });

  it('a provider that fails mid-step: the modal shows the error with what to do and Try again; nothing is recorded as done', async () => {
    const h = await start({ throughFaults: true });
    const { viewId, rotationId } = await startRotation(h);
    const before = snapshot();
    faults.queue({
      kind: 'error',
      status: 400,
      type: 'AccessDeniedException',
      message: 'User is not authorized to perform: secretsmanager:PutSecretValue',
    });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    const failed = modal(h, viewId);
    expect(textOf(failed)).toContain(
      "access denied (AccessDeniedException). Grant Rotor's role the Secrets Manager permissions listed in the README",
    );
    expect(button(failed, ACTION_IDS.rotationRunStep)?.text).toBe('Try again: Create new version');
    const record = rotationRecord(h, rotationId);
    expect(record.rotation.newVersionId).toBeNull();
    expect(record.steps[0]).toMatchObject({ state: 'pending', doneBy: null });
    expect(newAuditRows(before)).toEqual([{ action: 'rotation.step_failed', actor: 'U0OWNER' }]);
    expect(snapshot().secrets).toEqual(before.secrets);
    const labels = (await moto.sdk.send(new DescribeSecretCommand({ SecretId: SECRET }))).VersionIdsToStages ?? {};
    expect(Object.values(labels).flat()).not.toContain('AWSPENDING');

    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(rotationRecord(h, rotationId).steps[0]?.state).toBe('done');
  });

  it('a provider that times out mid-step: the working state, then the error and Try again', async () => {
    const h = await start({ throughFaults: true, timeoutMs: 1_000 });
    const { viewId, rotationId } = await startRotation(h);
    faults.queue({ kind: 'hang' }, 3);
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    const updates = h.fake.calls.slice(since).filter((call) => call.method === 'views.update' && call.args.view_id === viewId);
    expect(JSON.stringify(updates[0]?.args.view)).toContain('Creating the new version…');
    expect(textOf(modal(h, viewId))).toMatch(/did not answer|timed out|cannot be reached/);
    expect(button(modal(h, viewId), ACTION_IDS.rotationRunStep)?.text).toBe('Try again: Create new version');
    expect(rotationRecord(h, rotationId).steps[0]).toMatchObject({ state: 'pending' });
  });
});
