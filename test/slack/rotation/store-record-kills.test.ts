import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import type { ViewOutput } from '@slack/bolt';
import { ACTION_IDS, FORM_VALUE_ACTION, ROTATION_BLOCKS } from '../../../src/slack/ids.js';
import { AwsFaultServer } from '../../fakes/aws-fault-server.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  INCIDENT_CHANNEL,
  incidentRecord,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  revokeValues,
  slashRevoke,
} from '../../support/revocation-slack.js';
import { killBetweenStoreAndRecord, useSpareRotorChildren } from '../../support/rotor-child-process.js';
import {
  button,
  clickInMessage,
  confirmationsOf,
  driveModal,
  dmsTo,
  echoed,
  FAST_RETRY,
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
} from '../../support/rotation-slack.js';
import { responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import { buttonClick, stateValue } from '../../support/slack-payloads.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * A crash between a store's change and Rotor's record of it: the bot runs in its own process, its
 * AWS calls pass a proxy in front of moto, and the process is SIGKILLed the moment moto has
 * answered the call that changes the store (Create, Promote, Verify, Remove previous, Disable).
 * The bot then starts again on the same database, and the flow must finish, or be abandoned
 * cleanly, with moto and the database agreeing.
 */

const SECRET = 'dev/app/db';

describe.runIf(shouldRunMotoSuite('the store/record kill suite'))('SIGKILL between the store and the record, then a restart', () => {
  const moto = useMoto();
  useSpareRotorChildren();
  let proxy: AwsFaultServer;
  let harness: SlackHarness | undefined;
  let initialVersion: string;
  beforeAll(async () => {
    proxy = new AwsFaultServer(moto.endpoint);
    await proxy.start();
  });
  afterAll(() => proxy.stop());
  afterEach(async () => {
    proxy.clear();
    await harness?.close();
    harness = undefined;
  });

  async function start(options: { policy?: string; people?: readonly string[] } = {}): Promise<SlackHarness> {
    const created = await moto.sdk.send(new CreateSecretCommand({ Name: SECRET, SecretString: randomBytes(12).toString('hex') }));
    initialVersion = created.VersionId as string;
    harness = await startRotationHarness({
      // Through the proxy, which forwards everything unless a test queues a fault.
      aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: proxy.endpoint }),
      ...options,
      seed: (store) =>
        store.inventoryService.create(
          {
            name: SECRET,
            type: 'database',
            owner: 'U0OWNER',
            backupOwner: 'U0BACKUP',
            team: 'payments',
            provider: 'aws',
            providerRef: SECRET,
            lastRotated: daysAgo(store.clock, 31),
          },
          operator(),
          'test',
        ),
    });
    return harness;
  }

  /** Every version moto holds with its labels (versions without labels included). */
  async function versions(): Promise<Record<string, string[]>> {
    const listed = await moto.sdk.send(new ListSecretVersionIdsCommand({ SecretId: SECRET, IncludeDeprecated: true }));
    return Object.fromEntries(
      (listed.Versions ?? []).map((version) => [version.VersionId as string, [...(version.VersionStages ?? [])].sort()]),
    );
  }
  const current = async () =>
    Object.entries((await moto.sdk.send(new DescribeSecretCommand({ SecretId: SECRET }))).VersionIdsToStages ?? {}).find(([, stages]) =>
      stages.includes('AWSCURRENT'),
    )?.[0];

  async function startRotation(h: SlackHarness): Promise<{ viewId: string; rotationId: number }> {
    const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-19');
    return { viewId: viewId as string, rotationId: metadataOf(modal(h, viewId as string)).rotationId as number };
  }

  /** A click on the current step's button, sent to whichever bot `h.eventsUrl` names now (the ack only). */
  const clickStep = (h: SlackHarness, viewId: string) => () => {
    const run = button(modal(h, viewId), ACTION_IDS.rotationRunStep);
    expect(run, 'the modal has a step button').toBeDefined();
    return h.post({ kind: 'payload', payload: modalClickPayload(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep, run?.value as string) });
  };
  const stepOf = (h: SlackHarness, rotationId: number, id: string) => rotationRecord(h, rotationId).steps.find((step) => step.id === id);

  /** The store and the database agree on a completed rotation: its version is current, it is the only one Rotor made, nothing is left pending. */
  async function expectCompletedAndAgreeing(h: SlackHarness, rotationId: number): Promise<void> {
    const { rotation } = rotationRecord(h, rotationId);
    expect(rotation.state).toBe('completed');
    const held = await versions();
    expect(Object.keys(held).sort()).toEqual([initialVersion, rotation.newVersionId as string].sort());
    expect(held[rotation.newVersionId as string]).toEqual(['AWSCURRENT']);
    expect(held[initialVersion]).toEqual(['AWSPREVIOUS']);
    expect(h.store.inventory.get(SECRET)).toMatchObject({ currentVersionId: rotation.newVersionId, lifecycle: 'active' });
  }

  it('killed at Create: within the lease the step offers nothing; then "Check the store" finds the version under its request token, and the rotation finishes with one version', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await killBetweenStoreAndRecord(h, proxy, { operation: 'PutSecretValue' }, clickStep(h, viewId));

    const token = stepOf(h, rotationId, 'create_version')?.result?.requestToken as string;
    expect(stepOf(h, rotationId, 'create_version')).toMatchObject({ state: 'running', attempts: 1 });
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBeNull();
    expect((await versions())[token]).toEqual(['AWSPENDING']);

    // Within the lease it may still be running somewhere: nothing to press on it.
    const early = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(button(modal(h, early), ACTION_IDS.rotationCheckStep)).toBeUndefined();
    expect(button(modal(h, early), ACTION_IDS.rotationRunStep)).toBeUndefined();

    h.store.clock.advance({ minutes: 3, seconds: 30 });
    const later = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(textOf(modal(h, later))).toContain('Rotor stopped while doing this');
    await press(h, 'U0OWNER', later, ACTION_IDS.rotationCheckStep);
    expect(stepOf(h, rotationId, 'create_version')).toMatchObject({
      state: 'done',
      doneBy: 'U0OWNER',
      result: expect.objectContaining({ versionId: token, reconciled: true }),
    });
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({
      newVersionId: token,
      newFingerprint: expect.stringMatching(/^sha256:/),
    });

    await driveModal(h, 'U0OWNER', later, null);
    await press(h, 'U0OWNER', later, ACTION_IDS.rotationComplete);
    await expectCompletedAndAgreeing(h, rotationId);
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBe(token);
  });

  it('killed at Create, then abandoned: the AWSPENDING version Rotor never recorded is removed, and the next /rotate starts', async () => {
    const h = await start();
    const { rotationId } = await startRotation(h).then(async (started) => {
      await killBetweenStoreAndRecord(h, proxy, { operation: 'PutSecretValue' }, clickStep(h, started.viewId));
      return started;
    });
    const token = stepOf(h, rotationId, 'create_version')?.result?.requestToken as string;
    expect((await versions())[token]).toEqual(['AWSPENDING']);

    const viewId = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'the bot died mid-step; starting over');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('abandoned');
    expect((await versions())[token] ?? []).toEqual([]);
    expect(await current()).toBe(initialVersion);
    expect(h.store.inventory.get(SECRET)?.lifecycle).toBe('active');
    const cleanup = h.store.db
      .prepare(`SELECT json_extract(details, '$.cleanup') FROM audit_events WHERE action = 'rotation.abandoned'`)
      .pluck()
      .get() as string;
    expect(JSON.parse(cleanup)).toEqual({ action: 'discarded_pending', versionId: token });

    // Nothing is left to block the next rotation: its preflight passes and it starts.
    const next = await startRotation(h);
    expect(next.rotationId).not.toBe(rotationId);
    expect(rotationRecord(h, next.rotationId).rotation.state).toBe('in_progress');
  });

  it('killed at Promote: the lease follow-up finds the new version current, records the step and clears what the promote left (AWSPENDING); the rotation finishes', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await driveModal(h, 'U0OWNER', viewId, 'promote');
    const newVersionId = rotationRecord(h, rotationId).rotation.newVersionId as string;
    await killBetweenStoreAndRecord(h, proxy, { operation: 'UpdateSecretVersionStage' }, clickStep(h, viewId));

    expect(stepOf(h, rotationId, 'promote')).toMatchObject({ state: 'running' });
    expect(rotationRecord(h, rotationId).rotation.promotedAt).toBeNull();
    expect((await versions())[newVersionId]).toEqual(['AWSCURRENT', 'AWSPENDING']);

    h.store.clock.advance({ minutes: 5 });
    await h.runtime.runJob('follow-up-sweep');
    expect(stepOf(h, rotationId, 'promote')).toMatchObject({
      state: 'done',
      doneBy: 'rotor',
      result: expect.objectContaining({ reconciled: true }),
    });
    expect(rotationRecord(h, rotationId).rotation.promotedAt).not.toBeNull();
    expect((await versions())[newVersionId]).toEqual(['AWSCURRENT']);
    // Rotor's own check leaves the rotation with the person driving it.
    expect(rotationRecord(h, rotationId).rotation.heldBy).toBe('U0OWNER');

    const resumed = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await driveModal(h, 'U0OWNER', resumed, null);
    await press(h, 'U0OWNER', resumed, ACTION_IDS.rotationComplete);
    await expectCompletedAndAgreeing(h, rotationId);
  });

  it('killed at Promote, then abandoned: the previous version is current again, nothing of the rotation is left labelled, the secret is active', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await driveModal(h, 'U0OWNER', viewId, 'promote');
    const newVersionId = rotationRecord(h, rotationId).rotation.newVersionId as string;
    await killBetweenStoreAndRecord(h, proxy, { operation: 'UpdateSecretVersionStage' }, clickStep(h, viewId));
    expect(await current()).toBe(newVersionId);

    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'the bot died while promoting');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('abandoned');
    expect(await current()).toBe(initialVersion);
    expect((await versions())[newVersionId] ?? []).toEqual([]);
    expect(h.store.inventory.get(SECRET)).toMatchObject({ lifecycle: 'active', currentVersionId: initialVersion });
    const next = await startRotation(h);
    expect(rotationRecord(h, next.rotationId).rotation.state).toBe('in_progress');
  });

  it('killed at Promote, and someone moved AWSCURRENT meanwhile: "Check the store" says what it shows and leaves the choice (Try again, Abandon) to the person', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await driveModal(h, 'U0OWNER', viewId, 'promote');
    const newVersionId = rotationRecord(h, rotationId).rotation.newVersionId as string;
    await killBetweenStoreAndRecord(h, proxy, { operation: 'UpdateSecretVersionStage' }, clickStep(h, viewId));
    const someoneElses = (
      await moto.sdk.send(
        new PutSecretValueCommand({ SecretId: SECRET, SecretString: randomBytes(12).toString('hex'), VersionStages: ['MANUAL'] }),
      )
    ).VersionId as string;
    await moto.sdk.send(
      new UpdateSecretVersionStageCommand({
        SecretId: SECRET,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: someoneElses,
        RemoveFromVersionId: newVersionId,
      }),
    );
    expect(await current()).toBe(someoneElses);

    h.store.clock.advance({ minutes: 3, seconds: 30 });
    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationCheckStep);
    expect(stepOf(h, rotationId, 'promote')).toMatchObject({
      state: 'pending',
      lastError: expect.stringContaining(`The store's current version is ${someoneElses}`),
    });
    expect(rotationRecord(h, rotationId).rotation.promotedAt).toBeNull();
    const shown = modal(h, reopened);
    expect(textOf(shown)).toContain(`neither the new version ${newVersionId}`);
    // The finding names the two actions to choose from; the modal says them as its buttons.
    expect(textOf(shown)).toContain(
      `Someone changed it meanwhile: run \`rotor sync\` and look. Then press “Abandon…”, or press “Try again: Promote” only if ${newVersionId} must be current.`,
    );
    expect(button(shown, ACTION_IDS.rotationRunStep)?.text).toBe('Try again: Promote');
    expect(button(shown, ACTION_IDS.rotationAbandon)).toBeDefined();
    expect(await current()).toBe(someoneElses);
    expect(
      h.store.db
        .prepare(`SELECT json_extract(details, '$.outcome') FROM audit_events WHERE action = 'rotation.step_reconciled'`)
        .pluck()
        .all(),
    ).toEqual(['ask']);
  });

  it('Abandon whose cleanup the store refuses: the modal offers "Abandon: cleaned up by hand…", a real choice with its own reason, recorded as such', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await killBetweenStoreAndRecord(h, proxy, { operation: 'PutSecretValue' }, clickStep(h, viewId));
    const token = stepOf(h, rotationId, 'create_version')?.result?.requestToken as string;

    proxy.queue(
      { kind: 'error', status: 400, type: 'AccessDeniedException', message: 'not allowed to move labels' },
      5,
      'UpdateSecretVersionStage',
    );
    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(button(modal(h, reopened), ACTION_IDS.rotationAbandonByHand)).toBeUndefined();
    let since = h.fake.calls.length;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'starting over');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('in_progress');
    const refused = modal(h, reopened);
    expect(textOf(refused)).toContain(`--remove-from-version-id ${token}`);
    expect(button(refused, ACTION_IDS.rotationAbandonByHand)?.text).toBe('Abandon: cleaned up by hand…');
    proxy.clear();

    // Done by hand at the store, then said so in Slack.
    await moto.sdk.send(new UpdateSecretVersionStageCommand({ SecretId: SECRET, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }));
    since = h.fake.calls.length;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationAbandonByHand);
    const form = pushedSince(h, since);
    expect(form.title.text).toBe('Abandon (by hand)');
    await submitReason(h, 'U0OWNER', form, 'removed AWSPENDING with the CLI as shown');
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({
      state: 'abandoned',
      endReason: 'removed AWSPENDING with the CLI as shown',
    });
    const cleanup = h.store.db
      .prepare(`SELECT json_extract(details, '$.cleanup') FROM audit_events WHERE action = 'rotation.abandoned'`)
      .pluck()
      .get() as string;
    expect(JSON.parse(cleanup)).toEqual({ action: 'by_hand', versionId: token });
    expect(h.store.inventory.get(SECRET)?.lifecycle).toBe('active');
  });

  it('AWS unreachable at Abandon after a PutSecretValue whose answer was lost: the modal offers "Abandon: cleaned up by hand…", which abandons without asking AWS', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    // moto stores the version; its answer is lost, and from then on every call to AWS fails.
    const unavailable = { kind: 'error' as const, status: 503, type: 'ServiceUnavailableException', message: 'unavailable' };
    proxy.queue({ kind: 'forward-then-hang', then: () => proxy.queue(unavailable, 10_000) }, 1, 'PutSecretValue');
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    const token = stepOf(h, rotationId, 'create_version')?.result?.requestToken as string;
    expect(token).toBeTruthy();
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBeNull();
    expect(Object.keys(await versions())).toContain(token);

    const before = rotationRecord(h, rotationId).rotation;
    let since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'AWS is down; starting over later');
    expect(rotationRecord(h, rotationId).rotation).toEqual(before);
    const refused = modal(h, viewId);
    expect(textOf(refused)).toContain('Could not clean up what this rotation left at the provider');
    expect(button(refused, ACTION_IDS.rotationAbandonByHand)?.text).toBe('Abandon: cleaned up by hand…');

    const asked = proxy.operations.length;
    since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandonByHand);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'removed AWSPENDING with the CLI as shown');
    expect(proxy.operations.length).toBe(asked);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('abandoned');
    const cleanup = h.store.db
      .prepare(`SELECT json_extract(details, '$.cleanup') FROM audit_events WHERE action = 'rotation.abandoned'`)
      .pluck()
      .get() as string;
    expect(JSON.parse(cleanup)).toEqual({ action: 'by_hand', versionId: token });
  });

  it('killed at Verify: the lease follow-up reads the store again and records the step; the rotation completes', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await driveModal(h, 'U0OWNER', viewId, 'verify');
    await killBetweenStoreAndRecord(h, proxy, { operation: 'GetSecretValue' }, clickStep(h, viewId));
    expect(stepOf(h, rotationId, 'verify')).toMatchObject({ state: 'running' });
    expect(rotationRecord(h, rotationId).rotation.verifiedAt).toBeNull();

    h.store.clock.advance({ minutes: 5 });
    await h.runtime.runJob('follow-up-sweep');
    expect(stepOf(h, rotationId, 'verify')).toMatchObject({
      state: 'done',
      doneBy: 'rotor',
      result: expect.objectContaining({ matches: true }),
    });
    expect(rotationRecord(h, rotationId).rotation.verifiedAt).not.toBeNull();

    const resumed = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await driveModal(h, 'U0OWNER', resumed, null);
    await press(h, 'U0OWNER', resumed, ACTION_IDS.rotationComplete);
    await expectCompletedAndAgreeing(h, rotationId);
  });

  it('killed at Remove previous: the button pressed again after the restart records the removal once, as the store shows it', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await driveModal(h, 'U0OWNER', viewId, null);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationComplete);
    await expectCompletedAndAgreeing(h, rotationId);
    const { promotedAt } = rotationRecord(h, rotationId).rotation;
    h.store.clock.set(new Date(Date.parse(promotedAt as string) + 49 * 3_600_000).toISOString());
    await h.runtime.runJob('follow-up-sweep');
    const [removalDm] = await waitForDms(h, 'U0OWNER', /^Remove the previous version/);
    const removal = button({ blocks: removalDm?.args.blocks as unknown[] }, ACTION_IDS.rotationRemovePrevious);

    await killBetweenStoreAndRecord(h, proxy, { operation: 'UpdateSecretVersionStage' }, () =>
      h.click({ actionId: ACTION_IDS.rotationRemovePrevious, value: removal?.value as string, userId: 'U0OWNER', channelId: 'D0OWNER' }),
    );
    const removed = () =>
      h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'rotation.previous_removed'`).pluck().get() as number;
    expect((await versions())[initialVersion] ?? []).toEqual([]);
    expect(removed()).toBe(0);

    const again = await clickInMessage(h, 'U0OWNER', removalDm!, ACTION_IDS.rotationRemovePrevious);
    expect(again.reply).toBeNull();
    expect(removed()).toBe(1);
    expect((await versions())[initialVersion] ?? []).toEqual([]);
    expect(await current()).toBe(rotationRecord(h, rotationId).rotation.newVersionId);
    expect(dmsTo(h, 'U0OWNER').length).toBeGreaterThan(0);
  });

  /** A completed rotation, an hour old, and its rollback form submitted to a bot SIGKILLed right after moto moved AWSCURRENT back. */
  async function killedDuringRollback(h: SlackHarness): Promise<{ rotationId: number; newVersionId: string }> {
    const { viewId, rotationId } = await startRotation(h);
    await driveModal(h, 'U0OWNER', viewId, null);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationComplete);
    await expectCompletedAndAgreeing(h, rotationId);
    const newVersionId = rotationRecord(h, rotationId).rotation.newVersionId as string;
    h.store.clock.advance({ hours: 1 });
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRollback);
    const form = pushedSince(h, since);
    const values: Record<string, Record<string, unknown>> = {
      [ROTATION_BLOCKS.reason]: { [FORM_VALUE_ACTION]: stateValue.text('the new password breaks the reporting job') },
    };
    const confirmations = confirmationsOf(form);
    if (confirmations.length > 0)
      values[ROTATION_BLOCKS.rollbackConfirmations] = {
        [FORM_VALUE_ACTION]: {
          type: 'checkboxes',
          selected_options: confirmations.map((value) => ({ text: { type: 'plain_text', text: value }, value })),
        },
      };
    const submitted = { ...echoed(h, 'VROLLBACK1', form, values as never), blocks: form.blocks } as ViewOutput;
    await killBetweenStoreAndRecord(h, proxy, { operation: 'UpdateSecretVersionStage' }, () =>
      h.submit({ userId: 'U0OWNER', view: submitted }),
    );
    // The store moved back; nothing of it is recorded yet but the intent.
    expect(await current()).toBe(initialVersion);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    expect(h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'rotation.rollback_started'`).pluck().get()).toBe(1);
    return { rotationId, newVersionId };
  }

  /** The store and the database agree on a rolled-back rotation: the version before it is current, and the inventory points at it. */
  async function expectRolledBackAndAgreeing(h: SlackHarness, rotationId: number): Promise<void> {
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({
      state: 'rolled_back',
      endedBy: 'U0OWNER',
      endReason: 'the new password breaks the reporting job',
    });
    expect(await current()).toBe(initialVersion);
    expect(h.store.inventory.get(SECRET)).toMatchObject({ currentVersionId: initialVersion, lifecycle: 'active' });
    expect(h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'rotation.rolled_back'`).pluck().get()).toBe(1);
  }

  it('killed during a rollback, after the store moved back: the modal says the rollback is in progress, then offers "Check the store", which records the rotation rolled back', async () => {
    const h = await start();
    const { rotationId } = await killedDuringRollback(h);

    // Within the lease it may still be running somewhere: said so, and nothing to press on it.
    const early = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(textOf(modal(h, early))).toContain('Whether the store moved back is unknown');
    // Nor does a new rotation start on top of it.
    expect(textOf(modal(h, early))).toContain('is not settled: whether the store moved back is unknown. Press “Check the store” first.');
    expect(button(modal(h, early), ACTION_IDS.rotationRollback)).toBeUndefined();
    expect(button(modal(h, early), ACTION_IDS.rotationCheckRollback)).toBeUndefined();

    h.store.clock.advance({ minutes: 3, seconds: 30 });
    const later = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(button(modal(h, later), ACTION_IDS.rotationRollback)).toBeUndefined();
    await press(h, 'U0OWNER', later, ACTION_IDS.rotationCheckRollback);
    await expectRolledBackAndAgreeing(h, rotationId);
    expect(textOf(modal(h, later))).toContain('The store had moved back');
  });

  it('killed during a rollback, after the store moved back: the follow-up after the lease records the rotation rolled back', async () => {
    const h = await start();
    const { rotationId } = await killedDuringRollback(h);
    h.store.clock.advance({ minutes: 10 });
    await h.runtime.runJob('follow-up-sweep');
    await expectRolledBackAndAgreeing(h, rotationId);
    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(textOf(modal(h, reopened))).not.toContain('Whether the store moved back is unknown');
  });

  it('killed during a rollback whose store change did not hold (the new version is current again): "Check the store" leaves the rotation completed, and Roll back is offered again', async () => {
    const h = await start();
    const { rotationId, newVersionId } = await killedDuringRollback(h);
    await moto.sdk.send(
      new UpdateSecretVersionStageCommand({
        SecretId: SECRET,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: newVersionId,
        RemoveFromVersionId: initialVersion,
      }),
    );
    h.store.clock.advance({ minutes: 3, seconds: 30 });
    const later = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await press(h, 'U0OWNER', later, ACTION_IDS.rotationCheckRollback);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    expect(h.store.inventory.get(SECRET)?.currentVersionId).toBe(newVersionId);
    expect(textOf(modal(h, later))).toContain('The store did not move back');
    expect(button(modal(h, later), ACTION_IDS.rotationRollback)).toBeDefined();
    expect(h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'rotation.rollback_not_done'`).pluck().get()).toBe(1);
  });

  it.each([
    ['after the placeholder was written', { operation: 'PutSecretValue' }],
    ['after AWSCURRENT moved to the placeholder', { operation: 'UpdateSecretVersionStage' }],
    ['after the compromised version lost its labels', { operation: 'UpdateSecretVersionStage', skip: 2 }],
  ] as const)(
    'killed at Disable (disable now, %s): the lease follow-up settles it from the store and drives it until the compromised version is out of service',
    async (_when, at) => {
      const h = await start({ policy: REVOCATION_POLICY, people: REVOCATION_PEOPLE });
      const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} pasted into a public channel`);
      const form = revokeValues({ confirm: SECRET, reason: 'pasted into a public channel', severity: 'SEV1', order: 'disable_now' });
      await killBetweenStoreAndRecord(h, proxy, at, () =>
        h.submit({ userId: 'U0ONCALL', view: echoed(h, viewId as string, modal(h, viewId as string), form) }),
      );

      const { incident } = incidentRecord(h, 1);
      expect(incident).toMatchObject({ state: 'open', compromisedVersionId: initialVersion, provider: 'aws', providerRef: SECRET });
      const rotationId = incident.rotationId as number;
      const disable = () => stepOf(h, rotationId, 'disable_compromised');
      expect(disable()).toMatchObject({ state: 'running' });
      const token = disable()?.result?.requestToken as string;

      h.store.clock.advance({ minutes: 5 });
      await h.runtime.runJob('follow-up-sweep');
      expect(disable()).toMatchObject({ state: 'done' });
      const held = await versions();
      // The compromised version is out of service, the one placeholder (the token's) is current, and nothing else was written.
      expect(held[initialVersion] ?? []).toEqual([]);
      expect(held[token]).toEqual(['AWSCURRENT']);
      expect(Object.keys(held).sort()).toEqual([initialVersion, token].sort());
      expect(rotationRecord(h, rotationId).rotation.placeholderVersionId).toBe(token);
      expect(incidentRecord(h, 1).events.some((event) => /disabled the compromised version/.test(event.summary))).toBe(true);
    },
  );

  it('killed at Disable: Retry from the status message, once the lease is over, settles the step from the store instead of saying there is nothing to retry', async () => {
    const h = await start({ policy: REVOCATION_POLICY, people: REVOCATION_PEOPLE });
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} pasted into a public channel`);
    const form = revokeValues({ confirm: SECRET, reason: 'pasted into a public channel', severity: 'SEV1', order: 'disable_now' });
    await killBetweenStoreAndRecord(h, proxy, { operation: 'PutSecretValue' }, () =>
      h.submit({ userId: 'U0ONCALL', view: echoed(h, viewId as string, modal(h, viewId as string), form) }),
    );
    const rotationId = incidentRecord(h, 1).incident.rotationId as number;
    expect(await current()).toBe(initialVersion);

    const retry = async () => {
      const payload = buttonClick(h.payloads, {
        actionId: ACTION_IDS.incidentRetry,
        value: 'incident:1',
        userId: 'U0ONCALL',
        channelId: INCIDENT_CHANNEL,
      });
      const responses = h.fake.responses.length;
      await h.untilHandled(() => h.post({ kind: 'payload', payload }));
      return h.fake.responses.slice(responses).find((response) => response.id === responseIdOf(payload.response_url))?.body ?? null;
    };
    // Within the lease the run may still be going: Retry says so, and when to look again.
    expect(String((await retry())?.text)).toMatch(/is being done right now .*check the store then/);
    expect(stepOf(h, rotationId, 'disable_compromised')).toMatchObject({ state: 'running' });

    h.store.clock.advance({ minutes: 3, seconds: 30 });
    await retry();
    expect(stepOf(h, rotationId, 'disable_compromised')).toMatchObject({ state: 'done', doneBy: 'U0ONCALL' });
    expect((await versions())[initialVersion] ?? []).toEqual([]);
    expect(await current()).toBe(rotationRecord(h, rotationId).rotation.placeholderVersionId);
  });
});
