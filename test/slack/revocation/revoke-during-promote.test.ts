import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { ModalView } from '@slack/types';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { ACTION_IDS, CALLBACK_IDS } from '../../../src/slack/ids.js';
import { AwsFaultServer } from '../../fakes/aws-fault-server.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  INCIDENT_CHANNEL,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  REVOCATION_TABLES,
  revokeValues,
  submitRevoke,
} from '../../support/revocation-slack.js';
import {
  button,
  driveModal,
  echoed,
  metadataOf,
  modal,
  modalClickPayload,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitTicket,
  textOf,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

/** Polls `found` until it gives something, for at most 10 s. */
async function until<T>(found: () => T | null, what: string): Promise<T> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    const value = found();
    if (value !== null && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** `/revoke` in the incident channel; the confirmation modal's view id once Rotor has filled it in. */
async function openConfirmation(h: SlackHarness, name = SECRET): Promise<string> {
  const since = h.fake.calls.length;
  await h.command('/revoke', `${name} leaked in a public gist`, 'U0ONCALL', { channelId: INCIDENT_CHANNEL });
  return until(() => {
    const filled = h.fake.calls
      .slice(since)
      .filter(
        (call) =>
          call.method === 'views.update' &&
          (call.args.view as ModalView).submit !== undefined &&
          (call.args.view as ModalView).callback_id === CALLBACK_IDS.revokeConfirm,
      );
    return filled.length > 0 ? String(filled.at(-1)?.args.view_id) : null;
  }, 'the confirmation modal');
}

/**
 * Issue 19, finding 9: `/revoke` confirmed while the owner's Promote was moving `AWSCURRENT`
 * recorded the fresh version as the compromised one. The two are serialised on the secret: a
 * confirmation that finds a provider step running at the store is refused (nothing written),
 * and a scheduled step does not start once the secret is compromised.
 */

const SECRET = 'dev/payments/stripe_key';

describe.runIf(shouldRunMotoSuite('the revoke-during-promote suite'))('/revoke and a Promote in flight, on one secret', () => {
  const moto = useMoto();
  let faults: AwsFaultServer;
  let harness: SlackHarness | undefined;
  beforeAll(async () => {
    faults = new AwsFaultServer(moto.endpoint);
    await faults.start();
  });
  afterAll(async () => faults.stop());
  afterEach(async () => {
    faults.clear();
    await harness?.close();
  });

  it('a confirmation while Promote runs at the store is refused and writes nothing; once Promote is over it goes ahead', {
    timeout: 45_000,
  }, async () => {
    await moto.sdk.send(new CreateSecretCommand({ Name: SECRET, SecretString: randomBytes(12).toString('hex') }));
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      aws: () =>
        new AwsSecretsManagerProvider({
          retry: { attempts: 1, timeoutMs: 6_000, baseDelayMs: 1, maxDelayMs: 2 },
          endpoint: faults.endpoint,
        }),
      seed: (store) =>
        store.inventoryService.create(
          {
            name: SECRET,
            type: 'api_key',
            owner: 'U0OWNER',
            provider: 'aws',
            providerRef: SECRET,
            lastRotated: daysAgo(store.clock, 31),
            tags: { 'rotor:value_source': 'generate' },
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-1');
    await driveModal(h, 'U0OWNER', viewId as string, 'promote');
    const rotationId = metadataOf(modal(h, viewId as string)).rotationId as number;

    // The owner presses Promote; the store takes its time answering the label move.
    faults.queue({ kind: 'hang' }, 1, 'UpdateSecretVersionStage');
    const promote = button(modal(h, viewId as string), ACTION_IDS.rotationRunStep);
    expect(promote?.value).toBe('promote');
    const pressed = h.untilHandled(() =>
      h.post({ kind: 'payload', payload: modalClickPayload(h, 'U0OWNER', viewId as string, ACTION_IDS.rotationRunStep, 'promote') }),
    );
    for (let waited = 0; rotationRecord(h, rotationId).steps.find((step) => step.id === 'promote')?.state !== 'running'; waited += 20) {
      if (waited > 5_000) throw new Error('Promote never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Meanwhile a responder confirms a revocation of the same secret: refused, nothing written.
    // (Requests run side by side here, so each answer is waited for by what Slack shows.)
    const before = snapshotTables(
      h.store,
      REVOCATION_TABLES.filter((table) => table !== 'follow_ups'),
    );
    const revoke = await openConfirmation(h);
    const submitted = echoed(h, revoke, modal(h, revoke), revokeValues({ confirm: SECRET }));
    expect((await h.submit({ userId: 'U0ONCALL', view: submitted })).json()).toMatchObject({ response_action: 'update' });
    const refusal = await until(
      () => (textOf(modal(h, revoke)).includes('nothing was revoked') ? textOf(modal(h, revoke)) : null),
      'the refusal',
    );
    expect(refusal).toContain(`“Promote the new version to dev” of the rotation of ${SECRET} is running at the store right now`);
    expect(
      snapshotTables(
        h.store,
        REVOCATION_TABLES.filter((table) => table !== 'follow_ups'),
      ),
    ).toEqual(before);
    expect(h.store.db.prepare('SELECT count(*) FROM incidents').pluck().get()).toBe(0);

    // Promote ends (here: the store never answered, so its outcome is unknown: issue 19 re-probe F);
    // the confirmation then asks the store first (the label never moved: Promote is not done) and goes ahead.
    await pressed;
    await until(
      () => rotationRecord(h, rotationId).steps.find((step) => step.id === 'promote')?.result?.outcomeUnknown === true || null,
      'Promote to end with its outcome unknown',
    );
    expect(await submitRevoke(h, 'U0ONCALL', await openConfirmation(h), { confirm: SECRET })).toMatchObject({ response_action: 'update' });
    await until(() => h.store.db.prepare('SELECT count(*) FROM incidents').pluck().get() === 1 || null, 'the incident');
    expect(rotationRecord(h, rotationId).steps.find((step) => step.id === 'promote')?.state).toBe('pending');
    expect(h.store.db.prepare('SELECT count(*) FROM incidents').pluck().get()).toBe(1);
    // And the scheduled rotation is over: the emergency rotation replaced it (right after the confirmation's answer).
    for (let waited = 0; rotationRecord(h, rotationId).rotation.state !== 'abandoned'; waited += 20) {
      if (waited > 5_000) throw new Error(`the scheduled rotation is still ${rotationRecord(h, rotationId).rotation.state}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('a Promote whose answer never came back is not "not done": its outcome is unknown until the store is asked, the modal offers Check the store, and /revoke settles it from the store first', {
    timeout: 60_000,
  }, async () => {
    const name = `dev/payments/unknown_${randomBytes(3).toString('hex')}`;
    const initial = (await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: randomBytes(12).toString('hex') })))
      .VersionId as string;
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      aws: () =>
        new AwsSecretsManagerProvider({
          retry: { attempts: 1, timeoutMs: 2_500, baseDelayMs: 1, maxDelayMs: 2 },
          endpoint: faults.endpoint,
        }),
      seed: (store) =>
        store.inventoryService.create(
          { name, type: 'database', owner: 'U0OWNER', provider: 'aws', providerRef: name, lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', name);
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-1');
    await driveModal(h, 'U0OWNER', viewId as string, 'promote');
    const rotationId = metadataOf(modal(h, viewId as string)).rotationId as number;
    const fresh = rotationRecord(h, rotationId).rotation.newVersionId as string;

    // The label move reaches the store, and its answer is lost.
    faults.queue({ kind: 'forward-then-hang', then: () => undefined }, 1, 'UpdateSecretVersionStage');
    await h.untilHandled(() =>
      h.post({ kind: 'payload', payload: modalClickPayload(h, 'U0OWNER', viewId as string, ACTION_IDS.rotationRunStep, 'promote') }),
    );
    const promote = () => rotationRecord(h, rotationId).steps.find((step) => step.id === 'promote');
    await until(() => promote()?.result?.outcomeUnknown === true || null, 'Promote to end with its outcome unknown');
    expect((await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages?.[fresh]).toContain('AWSCURRENT');
    expect(promote()).toMatchObject({ state: 'running', lastError: expect.stringContaining('happened at the store is unknown') });
    expect(promote()?.lastError).not.toContain('Nothing was recorded');

    // The modal says so and offers to ask the store.
    const reopened = (await slashRotate(h, 'U0OWNER', name)).viewId as string;
    expect(textOf(modal(h, reopened))).toContain('happened at the store is unknown');
    // The step names the action to take; the modal says it as its button, word for word as before.
    expect(textOf(modal(h, reopened))).toContain(
      'nothing is decided until the store is asked. Press “Check the store” (Rotor also asks it by itself in a few minutes).',
    );
    expect(button(modal(h, reopened), ACTION_IDS.rotationCheckStep)?.text).toBe('Check the store');

    // /revoke asks the store before it records anything: Promote did land, so it is recorded first, then the incident opens.
    expect(await submitRevoke(h, 'U0ONCALL', await openConfirmation(h, name), { confirm: name })).toMatchObject({
      response_action: 'update',
    });
    await until(() => h.store.db.prepare('SELECT count(*) FROM incidents').pluck().get() === 1 || null, 'the incident');
    expect(promote()).toMatchObject({ state: 'done', result: expect.objectContaining({ reconciled: true }) });
    const seqOf = (sql: string) => h.store.db.prepare(sql).pluck().get() as number;
    expect(
      seqOf(`SELECT min(seq) FROM audit_events WHERE action = 'rotation.step_done' AND json_extract(details, '$.step') = 'promote'`),
    ).toBeLessThan(seqOf(`SELECT min(seq) FROM audit_events WHERE action = 'incident.opened'`));
    expect(initial).not.toBe(fresh);
  });
});
