import { CreateSecretCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import type { ViewStateValue } from '@slack/bolt';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../src/slack/ids.js';
import { useMoto } from '../support/moto.js';
import { FAST_RETRY, followUpsSettled, ROTATION_POLICY, startRotationHarness, waitForDms } from '../support/rotation-slack.js';
import type { SlackHarness } from '../support/slack-app-harness.js';
import { stateValue, submittedView } from '../support/slack-payloads.js';
import { sealedFor } from '../support/sealed-metadata.js';
import { snapshotTables } from '../support/temp-db.js';

/** What a refused add must leave as it was. */
const TABLES = ['secrets', 'reference_change_requests', 'follow_ups', 'audit_events'];

/**
 * Issue 19 re-probe, group A: the add form decides which store secret Rotor writes to as much as
 * an edit of the reference does, so a new entry bound to a store secret goes by reference_changes,
 * the store's check and reference_scope, and is audited and announced like a move.
 */
describe('adding an entry bound to a store secret, in Slack', () => {
  const moto = useMoto();
  let harness: SlackHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  const suffix = () => randomBytes(4).toString('hex');
  const storeSecret = async (name: string) => {
    await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: randomBytes(12).toString('hex') }));
    return name;
  };
  const versionsOf = async (name: string) =>
    JSON.stringify(
      (await moto.sdk.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }))).Versions?.map((v) => [
        v.VersionId,
        v.VersionStages,
      ]),
    );

  const start = async (policy = ROTATION_POLICY) => {
    harness = await startRotationHarness({
      aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
      policy,
      seed: () => undefined,
    });
    return harness;
  };

  const submitAdd = async (h: SlackHarness, userId: string, name: string, providerRef: string) => {
    const fields: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>> = {
      name: stateValue.text(name),
      type: stateValue.select('database'),
      owner: stateValue.user('U0OPS'),
      team: stateValue.text('payments'),
      provider: stateValue.select('aws'),
      providerRef: stateValue.text(providerRef),
      valueSource: stateValue.select('generate'),
      intervalDays: stateValue.text('90'),
    };
    const values = Object.fromEntries(
      Object.entries(fields).map(([field, value]) => [
        SECRET_FORM_BLOCKS[field as keyof typeof SECRET_FORM_BLOCKS],
        { [FORM_VALUE_ACTION]: value },
      ]),
    );
    const view = submittedView(h.payloads, {
      callbackId: CALLBACK_IDS.addSecret,
      privateMetadata: sealedFor(h, CALLBACK_IDS.addSecret, '{}'),
      values,
    });
    const reply = await h.untilHandled(() => h.submit({ userId, view }));
    return reply.text === '' ? null : ((reply.json() as { errors?: Record<string, string> }).errors ?? {});
  };

  it('a DevOps lead cannot bind a new dev entry to an untracked prod store secret: refused on the reference, nothing written, the store untouched', async () => {
    const h = await start();
    const victim = await storeSecret(`prod/payments/ledger-${suffix()}`);
    const before = snapshotTables(
      h.store,
      TABLES.filter((table) => table !== 'audit_events'),
    );
    const storeBefore = await versionsOf(victim);
    const errors = await submitAdd(h, 'U0OPS', `dev/shadow${suffix()}/db`, victim);
    expect(errors?.[SECRET_FORM_BLOCKS.providerRef]).toMatch(
      /only admins change it \(policy reference_changes: admins\).*Nothing was saved/,
    );
    expect(
      snapshotTables(
        h.store,
        TABLES.filter((table) => table !== 'audit_events'),
      ),
    ).toEqual(before);
    // The refusal is recorded, nothing else.
    expect(h.store.db.prepare(`SELECT action FROM audit_events WHERE action LIKE 'secret.%'`).all()).toEqual([]);
    expect(await versionsOf(victim)).toBe(storeBefore);
  });

  it("an admin's add is checked at the store: a reference that does not resolve is refused with the store's answer; nothing written", async () => {
    const h = await start();
    const before = snapshotTables(h.store, TABLES);
    const errors = await submitAdd(h, 'U0ADMIN', `dev/nowhere${suffix()}/db`, `dev/app/nowhere-${suffix()}`);
    expect(errors?.[SECRET_FORM_BLOCKS.providerRef]).toMatch(/The store's answer for .*Nothing was saved/);
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
  });

  it("an admin's add outside reference_scope is refused, naming where the reference lies; nothing written", async () => {
    const h = await start(`${ROTATION_POLICY}reference_scope:\n  aws_regions: [eu-west-1]\n`);
    const name = await storeSecret(`dev/third/db-${suffix()}`);
    const before = snapshotTables(h.store, TABLES);
    const errors = await submitAdd(h, 'U0ADMIN', `dev/scope${suffix()}/db`, `us-east-1:${name}`);
    expect(errors?.[SECRET_FORM_BLOCKS.providerRef]).toContain(
      "is in the AWS region us-east-1, outside what the policy's reference_scope allows. Nothing was saved.",
    );
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
  });

  it("an admin's add is audited as a reference change from nothing, with the store's check, and security is told", async () => {
    const h = await start();
    const ref = await storeSecret(`dev/bound/db-${suffix()}`);
    const name = `dev/bound${suffix()}/db`;
    expect(await submitAdd(h, 'U0ADMIN', name, ref)).toBeNull();
    const event = h.store.db
      .prepare(`SELECT actor, details FROM audit_events WHERE action = 'secret.reference_changed' AND secret = ?`)
      .get(name) as { actor: string; details: string };
    const details = JSON.parse(event.details) as { from: unknown; to: unknown; storeCheck: { versionId: string } };
    expect(event.actor).toBe('U0ADMIN');
    expect(details).toMatchObject({ from: null, to: { provider: 'aws', providerRef: ref } });
    expect(h.store.inventory.get(name)?.currentVersionId).toBe(details.storeCheck.versionId);
    const [dm] = await waitForDms(h, 'U0SEC', new RegExp(`Where ${name} is stored changed`));
    expect(JSON.stringify(dm?.args.blocks)).toContain('a new entry');
    await followUpsSettled(h);
  });

  it("under owner_with_security_approval a DevOps lead's add is saved as manual and the reference asked of security", async () => {
    const h = await start(`${ROTATION_POLICY}reference_changes: owner_with_security_approval\n`);
    const ref = await storeSecret(`dev/asked/db-${suffix()}`);
    const name = `dev/asked${suffix()}/db`;
    expect(await submitAdd(h, 'U0OPS', name, ref)).toBeNull();
    expect(h.store.inventory.get(name)).toMatchObject({ provider: 'manual', providerRef: null });
    const request = h.store.db.prepare(`SELECT state, requested_by AS requestedBy FROM reference_change_requests`).get();
    expect(request).toEqual({ state: 'pending', requestedBy: 'U0OPS' });
    await waitForDms(h, 'U0SEC', /Approval requested: move/);
    await followUpsSettled(h);
  });
});
