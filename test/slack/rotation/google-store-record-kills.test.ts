import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { googleAccessTokenSourceFromEnv } from '../../../src/providers/google-secret-manager/google-access-token.js';
import { GoogleSecretManagerProvider } from '../../../src/providers/google-secret-manager/google-secret-manager-provider.js';
import { FakeGoogleSecretManager } from '../../fakes/google-secret-manager-server.js';
import { operator } from '../../support/actors.js';
import { killInChild } from '../../support/rotor-child-process.js';
import {
  ACTION_IDS,
  button,
  clickInMessage,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  modalClickPayload,
  press,
  pushedSince,
  ROTATION_POLICY,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  textOf,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/**
 * Google's AddSecretVersion has no request id, so the create step must recognise a version it
 * added when Rotor died (or lost the answer) before recording it: by the version number and the
 * value's fingerprint it recorded before the call. The bot is SIGKILLed the moment the fake has
 * added the version (before Rotor parks it under rotor-pending), or the answer is dropped; the
 * rotation must then finish with exactly one version added, or stop when the only version added
 * since is someone else's. The AWS cases are in store-record-kills.test.ts.
 */

const SECRET = 'prod/app/db';
const PROJECT = 'acme-prod';
const REF = `projects/${PROJECT}/secrets/app-db`;
const POLICY = `${ROTATION_POLICY}google_secret_manager:\n  version_alias: current\n`;
const token = `ya29.${randomBytes(12).toString('hex')}`;
const fake = new FakeGoogleSecretManager({ token, projects: { [PROJECT]: '314159265358' } });
const ADD_VERSION = /:addVersion$/;
const TABLES = ['secrets', 'rotations', 'rotation_steps', 'rotation_approvals', 'audit_events'];

beforeAll(async () => {
  await fake.start();
});
afterAll(async () => fake.stop());
beforeEach(() => fake.reset());

// A bot started in a process of its own, killed, and the harness's bot restarted: slow on a loaded machine.
describe('Google Secret Manager: a kill or a lost answer between addVersion and Rotor’s record', { timeout: 60_000 }, () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start(): Promise<SlackHarness> {
    fake.createSecret(REF, { labels: { team: 'payments' } });
    fake.addVersion(REF, randomBytes(16).toString('hex'));
    fake.setAlias(REF, 'current', 1);
    harness = await startRotationHarness({
      google: () =>
        new GoogleSecretManagerProvider(
          {
            tokens: googleAccessTokenSourceFromEnv({ GOOGLE_OAUTH_ACCESS_TOKEN: token }, systemClock),
            endpoint: fake.address,
            retry: FAST_RETRY,
          },
          'current',
        ),
      policy: POLICY,
      seed: (store) =>
        store.inventoryService.create(
          {
            name: SECRET,
            type: 'database',
            owner: 'U0OWNER',
            provider: 'google',
            providerRef: REF,
            lastRotated: store.clock.now().minus({ days: 31 }).toISODate() as string,
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    fake.now = () => h.store.clock.now().toJSDate();
    return h;
  }

  async function startRotation(h: SlackHarness): Promise<{ viewId: string; rotationId: number }> {
    const viewId = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await submitTicket(h, 'U0OWNER', viewId, 'SEC-22');
    return { viewId, rotationId: metadataOf(modal(h, viewId)).rotationId as number };
  }

  const clickCreate = (h: SlackHarness, viewId: string) => () => {
    const run = button(modal(h, viewId), ACTION_IDS.rotationRunStep);
    expect(run, 'the modal has a step button').toBeDefined();
    return h.post({ kind: 'payload', payload: modalClickPayload(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep, run?.value as string) });
  };
  const createStep = (h: SlackHarness, rotationId: number) =>
    rotationRecord(h, rotationId).steps.find((step) => step.id === 'create_version');
  const versions = () => fake.secret(REF).versions.map((version) => `${version.number}:${version.state}`);

  /** Approvals, the remaining steps, Complete: the alias names the one version Rotor added, nothing is left pending. */
  async function finish(h: SlackHarness, viewId: string, rotationId: number, adopted: string): Promise<void> {
    for (const lead of ['U0SEC', 'U0OPS'])
      await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    await driveModal(h, 'U0OWNER', viewId, null);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationComplete);
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({ state: 'completed', newVersionId: adopted });
    expect(versions()).toEqual(['1:ENABLED', `${adopted}:ENABLED`]);
    expect(fake.secret(REF)).toMatchObject({ versionAliases: { current: Number(adopted) }, annotations: {} });
    expect(h.store.inventory.get(SECRET)).toMatchObject({ currentVersionId: adopted, lifecycle: 'active' });
  }

  async function killAtAddVersion(h: SlackHarness, viewId: string): Promise<void> {
    await killInChild(
      h,
      { GOOGLE_OAUTH_ACCESS_TOKEN: token, GOOGLE_SECRET_MANAGER_ENDPOINT: fake.address },
      'addVersion',
      (kill) => {
        fake.loseNextAnswer({ matching: ADD_VERSION, method: 'POST', hold: true, then: kill });
        return () => undefined;
      },
      clickCreate(h, viewId),
    );
  }

  it('killed after addVersion, before the version was parked: "Check the store" finds it by the fingerprint noted before the call, and the rotation finishes with one version added', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await killAtAddVersion(h, viewId);

    const intent = createStep(h, rotationId)?.result?.writeIntent as { versionId: string; fingerprint: string };
    expect(createStep(h, rotationId)).toMatchObject({ state: 'running', attempts: 1 });
    expect(intent).toEqual({ versionId: '2', fingerprint: expect.stringMatching(/^(sha256|hmac-sha256):/) });
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBeNull();
    expect(versions()).toEqual(['1:ENABLED', '2:ENABLED']);
    expect(fake.secret(REF).versionAliases).toEqual({ current: 1 });

    h.store.clock.advance({ minutes: 3, seconds: 30 });
    const later = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(textOf(modal(h, later))).toContain('Rotor stopped while doing this');
    await press(h, 'U0OWNER', later, ACTION_IDS.rotationCheckStep);
    expect(createStep(h, rotationId)).toMatchObject({
      state: 'done',
      result: expect.objectContaining({ versionId: '2', fingerprint: intent.fingerprint, recognised: true, reconciled: true }),
    });
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({ newVersionId: '2', newFingerprint: intent.fingerprint });
    await finish(h, later, rotationId, '2');
  });

  it('killed after addVersion, then abandoned: the version Rotor added and never recorded is disabled, and the next /rotate starts', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await killAtAddVersion(h, viewId);
    h.store.clock.advance({ minutes: 3, seconds: 30 });

    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'the bot died mid-step; starting over');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('abandoned');
    expect(versions()).toEqual(['1:ENABLED', '2:DISABLED']);
    expect(fake.secret(REF).versionAliases).toEqual({ current: 1 });
    const cleanup = h.store.db
      .prepare(`SELECT json_extract(details, '$.cleanup') FROM audit_events WHERE action = 'rotation.abandoned'`)
      .pluck()
      .get() as string;
    expect(JSON.parse(cleanup)).toEqual({ action: 'discarded_pending', versionId: '2' });

    const next = await startRotation(h);
    expect(rotationRecord(h, next.rotationId).rotation.state).toBe('awaiting_approval');
  });

  it('Google unreachable at Abandon after an addVersion whose answer was lost: the modal offers "Abandon: cleaned up by hand…", which abandons without asking Google', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    fake.loseNextAnswer({ matching: ADD_VERSION, method: 'POST' });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBeNull();
    expect(versions()).toEqual(['1:ENABLED', '2:ENABLED']);
    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    const before = rotationRecord(h, rotationId).rotation.state;
    const versionBefore = h.store.inventory.get(SECRET)?.currentVersionId;

    // Every call to Google fails from here on, the by-hand abandon included.
    fake.failNext(10_000, 503, 'UNAVAILABLE');
    let since = h.fake.calls.length;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'Google is down; starting over later');
    expect(rotationRecord(h, rotationId).rotation.state).toBe(before);
    const refused = modal(h, reopened);
    expect(textOf(refused)).toContain('Could not check whether Rotor added a new version of prod/app/db to Google Secret Manager');
    expect(textOf(refused)).toContain(`gcloud secrets versions disable 2 --secret=app-db --project=${PROJECT}`);
    expect(button(refused, ACTION_IDS.rotationAbandonByHand)?.text).toBe('Abandon: cleaned up by hand…');

    since = h.fake.calls.length;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationAbandonByHand);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'disabled version 2 with gcloud as shown');
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({
      state: 'abandoned',
      endReason: 'disabled version 2 with gcloud as shown',
    });
    const cleanups = h.store.db
      .prepare(`SELECT json_extract(details, '$.cleanup') FROM audit_events WHERE action = 'rotation.abandoned'`)
      .pluck()
      .all() as string[];
    expect(cleanups.map((cleanup) => JSON.parse(cleanup))).toEqual([{ action: 'by_hand', versionId: '2' }]);
    expect(h.store.inventory.get(SECRET)).toMatchObject({ lifecycle: 'active', currentVersionId: versionBefore });
    expect(fake.secret(REF).versionAliases).toEqual({ current: 1 });
  });

  it('a Reject whose cleanup Google refuses: the approver is told the rotator was asked to clean up; the rotator gets the by-hand way, and Abandon offers it', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBe('2');
    const [request] = await waitForDms(h, 'U0SEC', /^Approval requested/);

    fake.failNext(10_000, 503, 'UNAVAILABLE');
    const before = snapshotTables(h.store, TABLES);
    const { triggerSince } = await clickInMessage(h, 'U0SEC', request!, ACTION_IDS.rotationReject);
    await submitReason(h, 'U0SEC', pushedSince(h, triggerSince), 'not during the payments freeze');
    expect(snapshotTables(h.store, TABLES)).toEqual(before);

    const [approverTold] = await waitForDms(h, 'U0SEC', /Nothing was recorded/);
    const told = String(approverTold?.args.text);
    expect(told).toContain('Could not clean up what this rotation left at the provider');
    expect(told).toContain(
      'the rotation of `prod/app/db` is still open. <@U0OWNER>, who runs it, was asked to clean up at the provider and abandon it.',
    );
    expect(told).not.toContain('cleaned up by hand');

    const [asked] = await waitForDms(h, 'U0OWNER', /^Rejected, not cleaned up/);
    const askedText = textOf({ blocks: asked?.args.blocks as unknown[] });
    expect(askedText).toContain('<@U0SEC> rejected the rotation of `prod/app/db`: “not during the payments freeze”.');
    expect(askedText).toContain(`gcloud secrets update app-db --project=${PROJECT} --remove-version-aliases=`);
    expect(askedText).toContain('“Abandon: cleaned up by hand…”');
    expect(button({ blocks: asked?.args.blocks as unknown[] }, ACTION_IDS.rotationOpen)).toBeDefined();

    // The rotator abandons; Google still refuses, so the by-hand choice is offered, to them.
    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'rejected; cleaning up by hand');
    expect(button(modal(h, reopened), ACTION_IDS.rotationAbandonByHand)?.text).toBe('Abandon: cleaned up by hand…');
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
  });

  it('the answer of addVersion lost: it is not sent again, the outcome is unknown, and "Check the store" adopts the version it added', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    fake.loseNextAnswer({ matching: ADD_VERSION, method: 'POST' });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);

    expect(fake.requests.filter((request) => ADD_VERSION.test(request.path))).toHaveLength(1);
    expect(createStep(h, rotationId)).toMatchObject({
      state: 'running',
      result: expect.objectContaining({ outcomeUnknown: true }),
      lastError: expect.stringContaining('whether Google added the version is unknown'),
    });
    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(button(modal(h, reopened), ACTION_IDS.rotationCheckStep)?.text).toBe('Check the store');
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationCheckStep);
    expect(createStep(h, rotationId)).toMatchObject({
      state: 'done',
      result: expect.objectContaining({ versionId: '2', recognised: true }),
    });
    await finish(h, reopened, rotationId, '2');
  });

  it('an addVersion lost on its way in, and a version someone else added meanwhile: "Check the store" does not take it, and the step stops naming it', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    fake.loseNextAnswer({ matching: ADD_VERSION, method: 'POST', carriedOut: false });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(createStep(h, rotationId)).toMatchObject({ state: 'running', result: expect.objectContaining({ outcomeUnknown: true }) });
    expect(versions()).toEqual(['1:ENABLED']);
    fake.addVersion(REF, randomBytes(16).toString('hex'));

    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationCheckStep);
    expect(createStep(h, rotationId)).toMatchObject({
      state: 'pending',
      lastError: expect.stringContaining('Google now holds version 2, added since, none of which holds the value Rotor generated'),
    });
    // The step's finding names the action to take; the modal says it as its button.
    expect(textOf(modal(h, reopened))).toContain('Find out who. Then press “Abandon…” and start a new rotation.');
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBeNull();
    expect(versions()).toEqual(['1:ENABLED', '2:ENABLED']);
    expect(fake.secret(REF)).toMatchObject({ versionAliases: { current: 1 }, annotations: {} });
  });

  it('a version someone else added after Rotor noted its write is not adopted: Create again is refused, naming it, and adds nothing', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    // Google answers every attempt with an error: Rotor noted its write, and nothing was added.
    fake.failNext(FAST_RETRY.attempts, 503, 'UNAVAILABLE', ADD_VERSION, 'POST');
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(createStep(h, rotationId)).toMatchObject({
      state: 'pending',
      result: expect.objectContaining({ writeIntent: expect.anything() }),
    });
    fake.addVersion(REF, randomBytes(16).toString('hex'));

    const reopened = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await press(h, 'U0OWNER', reopened, ACTION_IDS.rotationRunStep);
    expect(createStep(h, rotationId)).toMatchObject({
      state: 'pending',
      lastError: expect.stringContaining(
        'Version 2 was added to prod/app/db in Google Secret Manager after Rotor began adding its new version (it expected version 2), and none holds the value Rotor generated',
      ),
    });
    expect(textOf(modal(h, reopened))).toContain('none holds the value Rotor generated');
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBeNull();
    expect(versions()).toEqual(['1:ENABLED', '2:ENABLED']);
    expect(fake.secret(REF).versionAliases).toEqual({ current: 1 });
  });
});
