import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import { CALLBACK_IDS, FUNCTIONS } from '../../../src/slack/ids.js';
import { StepRunRepo } from '../../../src/workflow-steps/step-run-repo.js';
import { operator } from '../../support/actors.js';
import {
  ACTION_IDS,
  callsSince,
  clickInMessage,
  dmsTo,
  driveModal,
  FAST_RETRY,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  pushedSince,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  waitForDms,
  waitForPosts,
} from '../../support/rotation-slack.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { functionExecuted, functionScopedClick, newFunctionExecution, type FunctionExecution } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';
import { useFakeVault } from '../../support/vault.js';

/**
 * Rotor's Workflow Builder steps, as Slack runs them: a signed function_executed event starts a
 * step, clicks on the messages the step posted come back with its function_data, and what
 * counts is what Slack receives: functions.completeSuccess / completeError at the fake Web API,
 * which, like Slack, takes one completion per execution.
 */

const SECRET = 'staging/cache/redis_password';
/** Rotated by hand, in production: approvals by a security lead and a DevOps lead. */
const PROD_SECRET = 'prod/payments/partner_api_key';
const TABLES = ['workflow_step_runs', 'rotations', 'rotation_steps', 'secrets', 'audit_events', 'follow_ups'];

describe('Workflow Builder steps, through signed requests', () => {
  const vault = useFakeVault();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function start(): Promise<SlackHarness> {
    vault.fake.putSecret('secret', SECRET, { value: randomBytes(8).toString('hex') });
    harness = await startRotationHarness({
      vault: () => new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY }),
      seed: (store) => {
        const lastRotated = store.clock.now().minus({ days: 100 }).toISODate() as string;
        store.inventoryService.create(
          { name: SECRET, type: 'redis', owner: 'U0OWNER', provider: 'vault', providerRef: `secret/${SECRET}`, lastRotated },
          operator(),
          'test',
        );
        store.inventoryService.create({ name: 'staging/other/api_key', type: 'api_key', owner: 'U0OPS', lastRotated }, operator(), 'test');
        store.inventoryService.create({ name: PROD_SECRET, type: 'api_key', owner: 'U0OWNER', lastRotated }, operator(), 'test');
      },
    });
    return harness;
  }

  /** Slack runs the step: the execution exists at the fake, then its event reaches Rotor, signed. */
  async function run(h: SlackHarness, callbackId: string, inputs: Record<string, unknown>): Promise<FunctionExecution> {
    const execution = newFunctionExecution(callbackId, inputs);
    h.fake.startFunctionExecution(execution.executionId);
    const reply = await h.untilHandled(() => h.post({ kind: 'json', json: functionExecuted(h.payloads, execution) }));
    expect(reply.status).toBe(200);
    return execution;
  }

  /** The requester opens the rotation from the step's DM; the modal's view id. */
  async function openFromDm(h: SlackHarness, execution: FunctionExecution, userId = 'U0OWNER'): Promise<string> {
    const [dm] = await waitForDms(h, userId, /asks you to rotate/);
    // Posted with the execution's own token: that is what makes Slack send its clicks with function_data.
    expect(dm!.token).toBe(execution.botAccessToken);
    const since = h.fake.calls.length;
    await h.untilHandled(() =>
      h.post({
        kind: 'payload',
        payload: functionScopedClick(h.payloads, execution, {
          actionId: ACTION_IDS.workflowRotationOpen,
          value: SECRET,
          userId,
          channelId: 'D' + userId.slice(1),
        }),
      }),
    );
    const update = callsSince(h, 'views.update', since)[0];
    expect(update, 'the rotation modal opened').toBeDefined();
    return String(update!.args.view_id);
  }

  const stepRun = (h: SlackHarness, execution: FunctionExecution) => new StepRunRepo(h.store.db).get(execution.executionId);
  const completions = (h: SlackHarness) => [...h.fake.callsTo('functions.completeSuccess'), ...h.fake.callsTo('functions.completeError')];

  it('Rotate secret: function_executed → the requester rotates from the DM → completeSuccess with the rotation id and the new version id, once, across a restart', async () => {
    const h = await start();
    const execution = await run(h, FUNCTIONS.rotateSecret, {
      secret_name: SECRET,
      reason: 'Quarterly rotation asked by the access review',
      requester: 'U0OWNER',
    });
    expect(stepRun(h, execution)).toMatchObject({ state: 'waiting', rotationId: null, requestedBy: 'U0OWNER' });
    expect(completions(h)).toEqual([]);

    const viewId = await openFromDm(h, execution);
    await submitTicket(h, 'U0OWNER', viewId, 'OPS-12');
    const rotationId = metadataOf(modal(h, viewId)).rotationId as number;
    expect(stepRun(h, execution)).toMatchObject({ state: 'waiting', rotationId });
    await driveModal(h, 'U0OWNER', viewId, null);
    expect(completions(h)).toEqual([]);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationComplete);

    const completion = await h.fake.waitForCall('functions.completeSuccess');
    expect(completion.args).toEqual({
      function_execution_id: execution.executionId,
      outputs: { rotation_id: String(rotationId), outcome: 'completed', new_version_id: '2' },
    });
    expect(vault.fake.version('secret', SECRET, 2)).toBeDefined();
    await followUpsSettled(h);
    expect(stepRun(h, execution)).toMatchObject({ state: 'completed', note: null });
    expect(h.fake.functionExecutions.get(execution.executionId)).toBe('completed');

    // The execution's token is Slack's credential: it is in no log line and not in the database.
    expect(h.rawLog()).not.toContain(execution.botAccessToken);
    expect(JSON.stringify(h.store.db.prepare('SELECT * FROM workflow_step_runs').all())).not.toContain(execution.botAccessToken);

    h.store.clock.advance({ hours: 1 });
    await h.restart();
    await followUpsSettled(h);
    expect(completions(h)).toHaveLength(1);
  });

  it('Rotate secret: an abandoned rotation fails the step with who abandoned it and why', async () => {
    const h = await start();
    const execution = await run(h, FUNCTIONS.rotateSecret, {
      secret_name: SECRET,
      reason: 'Rotate after the contractor left',
      requester: 'U0OWNER',
    });
    const viewId = await openFromDm(h, execution);
    await submitTicket(h, 'U0OWNER', viewId, 'OPS-13');
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'The cache is being decommissioned this week');

    const failure = await h.fake.waitForCall('functions.completeError');
    expect(failure.args.function_execution_id).toBe(execution.executionId);
    expect(String(failure.args.error)).toMatch(
      /^The rotation of staging\/cache\/redis_password \(#\d+\) was abandoned by U0OWNER: The cache is being decommissioned this week$/,
    );
    await followUpsSettled(h);
    expect(stepRun(h, execution)).toMatchObject({ state: 'failed' });
    expect(h.fake.callsTo('functions.completeSuccess')).toEqual([]);
  });

  it('Rotate secret: a step started while a rotation is open follows it, and fails when an approver rejects it', async () => {
    const h = await start();
    const { viewId } = await slashRotate(h, 'U0OWNER', PROD_SECRET);
    await submitTicket(h, 'U0OWNER', viewId as string, 'OPS-15');
    const rotationId = metadataOf(modal(h, viewId as string)).rotationId as number;
    const execution = await run(h, FUNCTIONS.rotateSecret, {
      secret_name: PROD_SECRET,
      reason: 'Track the rotation in the change workflow',
      requester: 'U0OWNER',
    });
    expect(stepRun(h, execution)).toMatchObject({ state: 'waiting', rotationId });

    const [request] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    const { triggerSince } = await clickInMessage(h, 'U0SEC', request!, ACTION_IDS.rotationReject);
    await submitReason(h, 'U0SEC', pushedSince(h, triggerSince), 'Not during the payments freeze');
    const failure = await h.fake.waitForCall('functions.completeError');
    expect(failure.args).toEqual({
      function_execution_id: execution.executionId,
      error: `The rotation of ${PROD_SECRET} (#${rotationId}) was rejected by U0SEC: Not during the payments freeze`,
    });
    await followUpsSettled(h);
    expect(stepRun(h, execution)).toMatchObject({ state: 'failed' });
  });

  it('Rotate secret: a completion Slack did not answer is sent again after a restart, and Slack takes it once', async () => {
    const h = await start();
    const execution = await run(h, FUNCTIONS.rotateSecret, {
      secret_name: SECRET,
      reason: 'Rotation from the workflow',
      requester: 'U0OWNER',
    });
    const viewId = await openFromDm(h, execution);
    await submitTicket(h, 'U0OWNER', viewId, 'OPS-14');
    h.fake.script('functions.completeError', { httpStatus: 503 });
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'Wrong secret picked');
    await h.fake.waitForCall('functions.completeError');
    // Slack did not answer: the run keeps its result and the follow-up its claim.
    expect(stepRun(h, execution)).toMatchObject({ state: 'settling', result: { kind: 'error' } });
    expect(h.fake.functionExecutions.get(execution.executionId)).toBe('running');

    h.store.clock.advance({ minutes: 11 });
    await h.restart();
    await followUpsSettled(h);
    expect(stepRun(h, execution)).toMatchObject({ state: 'failed' });
    expect(h.fake.functionExecutions.get(execution.executionId)).toBe('failed');
    const sent = h.fake.callsTo('functions.completeError');
    expect(sent).toHaveLength(2);
    expect(sent[1]!.args).toEqual(sent[0]!.args);
  });

  it('a Rotate secret step whose requester Rotor cannot DM fails, saying so, instead of waiting for ever', async () => {
    const h = await start();
    h.fake.script('chat.postMessage', { error: 'messages_tab_disabled' });
    const execution = await run(h, FUNCTIONS.rotateSecret, { secret_name: SECRET, reason: 'Please rotate', requester: 'U0OWNER' });
    const failure = await h.fake.waitForCall('functions.completeError');
    expect(failure.args).toEqual({
      function_execution_id: execution.executionId,
      error: `Rotor could not send U0OWNER the rotation of ${SECRET}: the person's DMs with Rotor are closed (messages_tab_disabled).`,
    });
    await followUpsSettled(h);
    expect(stepRun(h, execution)).toMatchObject({ state: 'failed', rotationId: null });
  });

  it('Secret status: completes at once with the status, the owner, the last rotation and the next due date', async () => {
    const h = await start();
    // Asked by the secret's owner: under the default `visibility: restricted` a step that names nobody reads nothing.
    const execution = await run(h, FUNCTIONS.secretStatus, { secret_name: SECRET, asked_by: 'U0OWNER' });
    const completion = await h.fake.waitForCall('functions.completeSuccess');
    const secret = h.store.inventory.get(SECRET)!;
    // Bolt's complete() answers with the execution's token and names the workspace (team_id).
    expect(completion.token).toBe(execution.botAccessToken);
    expect(completion.args).toEqual({
      team_id: h.payloads.teamId,
      function_execution_id: execution.executionId,
      outputs: { status: 'overdue', owner: 'U0OWNER', last_rotated: secret.lastRotated?.slice(0, 10), next_due: secret.nextRotation },
    });
  });

  it('Report a compromised secret: posted to the incident channel; a non-responder is refused; a responder gets the /revoke confirmation and the step completes naming them', async () => {
    const h = await start();
    const execution = await run(h, FUNCTIONS.reportCompromisedSecret, {
      secret_name: SECRET,
      reason: 'Seen in a public CI log',
      reporter: 'U0BACKUP',
    });
    const [post] = await waitForPosts(h, 'C0INCIDENT', /reports/);
    expect(post!.token).toBe(execution.botAccessToken);
    const click = (userId: string) =>
      functionScopedClick(h.payloads, execution, {
        actionId: ACTION_IDS.workflowRevocationOpen,
        value: SECRET,
        userId,
        channelId: 'C0INCIDENT',
      });

    const refused = click('U0OWNER');
    const before = h.fake.calls.length;
    await h.untilHandled(() => h.post({ kind: 'payload', payload: refused }));
    const refusal = await h.fake.waitForResponse((response) => response.id === responseIdOf(refused.response_url), 2_000);
    expect(JSON.stringify(refusal.body)).toMatch(/responder|security lead|DevOps lead/i);
    expect(callsSince(h, 'views.open', before)).toEqual([]);
    expect(completions(h)).toEqual([]);

    const since = h.fake.calls.length;
    await h.untilHandled(() => h.post({ kind: 'payload', payload: click('U0SEC') }));
    const opened = callsSince(h, 'views.open', since);
    expect(opened).toHaveLength(1);
    const confirmation = modal(h, String(callsSince(h, 'views.update', since)[0]?.args.view_id));
    expect(confirmation.callback_id).toBe(CALLBACK_IDS.revokeConfirm);
    expect(JSON.stringify(confirmation.blocks)).toContain('Seen in a public CI log');
    const completion = await h.fake.waitForCall('functions.completeSuccess');
    expect(completion.args).toEqual({ function_execution_id: execution.executionId, outputs: { responder: 'U0SEC', secret_name: SECRET } });
    // Nothing is revoked until the responder confirms in the modal.
    expect(h.store.inventory.get(SECRET)?.lifecycle).toBe('active');
  });

  describe('bad input: a clear error through completeError, and the database unchanged', () => {
    it('a Rotate secret step whose requester may not rotate the secret (one access.denied row, as for /rotate)', async () => {
      const h = await start();
      const before = snapshotTables(h.store, TABLES);
      const execution = await run(h, FUNCTIONS.rotateSecret, { secret_name: SECRET, reason: 'Please rotate', requester: 'U0OUTSIDER' });
      const failure = await h.fake.waitForCall('functions.completeError');
      expect(failure.args.function_execution_id).toBe(execution.executionId);
      expect(String(failure.args.error)).toContain('Who may:');
      expect(String(failure.args.error)).toContain('<@U0OWNER>');
      const after = snapshotTables(h.store, TABLES);
      expect({ ...after, audit_events: undefined }).toEqual({ ...before, audit_events: undefined });
      const added = (after.audit_events as { action: string; actor: string }[])
        .slice(before.audit_events!.length)
        .map(({ action, actor }) => ({ action, actor }));
      expect(added).toEqual([{ action: 'access.denied', actor: 'U0OUTSIDER' }]);
      expect(dmsTo(h, 'U0OUTSIDER')).toEqual([]);
    });

    it('a Rotate secret step for an unknown secret, answered with names the requester may rotate', async () => {
      const h = await start();
      const before = snapshotTables(h.store, TABLES);
      await run(h, FUNCTIONS.rotateSecret, { secret_name: 'staging/cache/redis_pasword', reason: 'Please rotate', requester: 'U0OWNER' });
      const failure = await h.fake.waitForCall('functions.completeError');
      expect(String(failure.args.error)).toBe('No secret named `staging/cache/redis_pasword`. Did you mean: staging/cache/redis_password?');
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
    });

    it('a Rotate secret step without a reason, or with a requester that is not a Slack user', async () => {
      const h = await start();
      const before = snapshotTables(h.store, TABLES);
      await run(h, FUNCTIONS.rotateSecret, { secret_name: SECRET, reason: '  ', requester: 'U0OWNER' });
      await run(h, FUNCTIONS.rotateSecret, { secret_name: SECRET, reason: 'Please rotate', requester: 'someone' });
      const errors = h.fake.callsTo('functions.completeError').map((call) => String(call.args.error));
      expect(errors).toHaveLength(2);
      expect(errors[0]).toContain('The reason is missing');
      expect(errors[1]).toContain('The requester must be a Slack user');
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
    });

    it('a step the manifest declares but this Rotor does not implement fails, saying so', async () => {
      const h = await start();
      const before = snapshotTables(h.store, TABLES);
      const execution = await run(h, 'rotate_everything', { secret_name: SECRET });
      const failure = await h.fake.waitForCall('functions.completeError');
      expect(failure.args).toMatchObject({
        function_execution_id: execution.executionId,
        error: expect.stringContaining('Rotor does not implement the step "rotate_everything"'),
      });
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
    });

    it('a Secret status step asked by nobody, or by a member who may not read the secret, is answered as if the secret did not exist', async () => {
      const h = await start();
      const before = snapshotTables(h.store, TABLES);
      await run(h, FUNCTIONS.secretStatus, { secret_name: SECRET });
      await run(h, FUNCTIONS.secretStatus, { secret_name: SECRET, asked_by: 'U0STRANGER' });
      const errors = h.fake.callsTo('functions.completeError').map((call) => String(call.args.error));
      expect(errors).toHaveLength(2);
      for (const error of errors) expect(error).toMatch(new RegExp(`^No secret named \\\`?${SECRET}`));
      expect(h.fake.callsTo('functions.completeSuccess')).toEqual([]);
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
    });

    it('a Secret status or a report step for an unknown secret', async () => {
      const h = await start();
      const before = snapshotTables(h.store, TABLES);
      await run(h, FUNCTIONS.secretStatus, { secret_name: 'staging/nothing/here' });
      await run(h, FUNCTIONS.reportCompromisedSecret, {
        secret_name: 'staging/nothing/here',
        reason: 'Seen in a log',
        reporter: 'U0OWNER',
      });
      const errors = h.fake.callsTo('functions.completeError').map((call) => String(call.args.error));
      expect(errors).toHaveLength(2);
      for (const error of errors) expect(error).toMatch(/^No secret named staging\/nothing\/here\./);
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
      expect(h.fake.callsTo('chat.postMessage').filter((call) => call.args.channel === 'C0INCIDENT')).toEqual([]);
    });
  });

  it('an organisation-level install takes the steps of every workspace of its organisation, and no other', async () => {
    const enterpriseId = 'E' + randomBytes(4).toString('hex').toUpperCase();
    harness = await startSlackHarness({
      beforeStart: ({ fake, store }) => {
        fake.enterpriseId = enterpriseId;
        fake.addUser('U0OWNER');
        store.inventoryService.create(
          { name: SECRET, type: 'api_key', owner: 'U0OWNER', lastRotated: store.clock.now().minus({ days: 10 }).toISODate() as string },
          operator(),
          'test',
        );
      },
    });
    const h = harness;
    const fromWorkspace = async (teamId: string, enterprise: string) => {
      const execution = newFunctionExecution(FUNCTIONS.secretStatus, { secret_name: SECRET, asked_by: 'U0OWNER' });
      h.fake.startFunctionExecution(execution.executionId);
      await h.untilHandled(() =>
        h.post({ kind: 'json', json: { ...functionExecuted(h.payloads, execution), team_id: teamId, enterprise_id: enterprise } }),
      );
      return execution;
    };
    const sibling = await fromWorkspace('T' + randomBytes(4).toString('hex').toUpperCase(), enterpriseId);
    expect((await h.fake.waitForCall('functions.completeSuccess')).args.function_execution_id).toBe(sibling.executionId);

    const foreign = await fromWorkspace(
      'T' + randomBytes(4).toString('hex').toUpperCase(),
      'E' + randomBytes(4).toString('hex').toUpperCase(),
    );
    await h.waitForLog((line) => line.msg === 'refused a Slack request for another workspace or app than the bot token');
    expect(completions(h).map((call) => call.args.function_execution_id)).not.toContain(foreign.executionId);
  });
});
