import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { ACTION_IDS, CALLBACK_IDS } from '../../src/slack/ids.js';
import { AwsFaultServer } from '../fakes/aws-fault-server.js';
import { operator } from '../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { REVOCATION_PEOPLE, REVOCATION_POLICY, REVOCATION_TABLES, slashRevoke, submitRevoke } from '../support/revocation-slack.js';
import { button, driveModal, metadataOf, modal, modalClickPayload, rotationRecord, slashRotate, startRotationHarness, submitTicket, textOf } from '../support/rotation-slack.js';
import type { SlackHarness } from '../support/slack-app-harness.js';
import { snapshotTables } from '../support/temp-db.js';

/** The revoke confirmation last drawn (the rotation modal is updated meanwhile too). */
function revokeViewId(h: SlackHarness): string {
  const drawn = h.fake.callsTo('views.update').filter((call) => (call.args.view as { callback_id?: string }).callback_id === CALLBACK_IDS.revokeConfirm);
  return String(drawn.at(-1)?.args.view_id);
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

  it('a confirmation while Promote runs at the store is refused and writes nothing; once Promote is over it goes ahead', { timeout: 45_000 }, async () => {
    await moto.sdk.send(new CreateSecretCommand({ Name: SECRET, SecretString: randomBytes(12).toString('hex') }));
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      aws: () => new AwsSecretsManagerProvider({ retry: { attempts: 1, timeoutMs: 6_000, baseDelayMs: 1, maxDelayMs: 2 }, endpoint: faults.endpoint }),
      seed: (store) =>
        store.inventoryService.create({ name: SECRET, type: 'api_key', owner: 'U0OWNER', provider: 'aws', providerRef: SECRET, lastRotated: '2027-01-01', tags: { 'rotor:value_source': 'generate' } }, operator(), 'test'),
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
    const pressed = h.untilHandled(() => h.post({ kind: 'payload', payload: modalClickPayload(h, 'U0OWNER', viewId as string, ACTION_IDS.rotationRunStep, 'promote') }));
    for (let waited = 0; rotationRecord(h, rotationId).steps.find((step) => step.id === 'promote')?.state !== 'running'; waited += 20) {
      if (waited > 5_000) throw new Error('Promote never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Meanwhile a responder confirms a revocation of the same secret: refused, nothing written.
    await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    const revoke = { viewId: revokeViewId(h) };
    const before = snapshotTables(h.store, REVOCATION_TABLES.filter((table) => table !== 'follow_ups'));
    await submitRevoke(h, 'U0ONCALL', revoke.viewId as string, { confirm: SECRET });
    expect(textOf(modal(h, revoke.viewId as string))).toContain(`“Promote the new version to dev” of the rotation of ${SECRET} is running at the store right now`);
    expect(textOf(modal(h, revoke.viewId as string))).toContain('nothing was revoked');
    expect(snapshotTables(h.store, REVOCATION_TABLES.filter((table) => table !== 'follow_ups'))).toEqual(before);
    expect(h.store.db.prepare('SELECT count(*) FROM incidents').pluck().get()).toBe(0);

    // Promote ends (here: the store never answered); the confirmation then goes ahead.
    await pressed;
    for (let waited = 0; rotationRecord(h, rotationId).steps.find((step) => step.id === 'promote')?.state === 'running'; waited += 50) {
      if (waited > 15_000) throw new Error('Promote never ended');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(rotationRecord(h, rotationId).steps.find((step) => step.id === 'promote')?.state).toBe('pending');
    await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    expect(await submitRevoke(h, 'U0ONCALL', revokeViewId(h), { confirm: SECRET })).toMatchObject({ response_action: 'update' });
    expect(h.store.db.prepare('SELECT count(*) FROM incidents').pluck().get()).toBe(1);
    // And the scheduled rotation is over: the emergency rotation replaced it (right after the confirmation's answer).
    for (let waited = 0; rotationRecord(h, rotationId).rotation.state !== 'abandoned'; waited += 20) {
      if (waited > 5_000) throw new Error(`the scheduled rotation is still ${rotationRecord(h, rotationId).rotation.state}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
