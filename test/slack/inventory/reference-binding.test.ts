import type { ViewStateValue } from '@slack/bolt';
import { CreateSecretCommand, DescribeSecretCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { ACTION_IDS, CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { incidentRecord, REVOCATION_PEOPLE, REVOCATION_POLICY, slashRevoke, submitRevoke } from '../../support/revocation-slack.js';
import {
  button,
  clickInMessage,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  press,
  ROTATION_POLICY,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitTicket,
  textOf,
  waitForDms,
} from '../../support/rotation-slack.js';
import { responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue, submittedView } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';
import { sealedFor } from '../../support/sealed-metadata.js';

/**
 * Finding 1 of issue 19, driven as the probe drove it: the owner of a secret repoints it at
 * another store secret. Every provider call of a rotation or an incident stays on the reference
 * captured when it started; moving a reference is refused while one is open, is for admins (or
 * the owner with a security lead's approval, by the policy), is checked at the store, audited
 * with old and new, and told to security.
 */

const SECRET = 'dev/app/db';
/** A production secret nobody tracks: what a repointed entry must never reach. */
const VICTIM = 'prod/payments/ledger';
/** Another store secret an admin may legitimately move the entry to. */
const MOVED = 'dev/app/db-v2';

describe.runIf(shouldRunMotoSuite('the reference binding suite'))('the store secret a flow acts on is the one it started with', () => {
  const moto = useMoto();
  let harness: SlackHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start(policy = ROTATION_POLICY, people?: readonly string[]): Promise<SlackHarness> {
    for (const name of [SECRET, VICTIM, MOVED])
      await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: randomBytes(12).toString('hex') }));
    harness = await startRotationHarness({
      aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
      policy,
      ...(people ? { people } : {}),
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
            lastRotated: '2027-01-01',
          },
          operator(),
          'test',
        ),
    });
    return harness;
  }

  /** Every version of a store secret with its labels, unlabelled ones included. */
  async function versionsOf(name: string): Promise<Record<string, string[]>> {
    const listed = await moto.sdk.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
    return Object.fromEntries(
      (listed.Versions ?? []).map((version) => [version.VersionId as string, [...(version.VersionStages ?? [])].sort()]),
    );
  }
  const currentOf = async (name: string) =>
    Object.entries((await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {}).find(([, stages]) =>
      stages.includes('AWSCURRENT'),
    )?.[0];

  /** Submits the edit form of SECRET as Slack would: every field it shows, changed where given; the ack's errors, or null. */
  async function submitEdit(
    h: SlackHarness,
    userId: string,
    changes: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>>,
  ): Promise<Record<string, string> | null> {
    const secret = h.store.inventory.get(SECRET)!;
    const shown: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>> = {
      type: stateValue.select(secret.type),
      description: stateValue.text(secret.description),
      owner: stateValue.user(secret.owner),
      backupOwner: stateValue.user(secret.backupOwner),
      team: stateValue.text(secret.team),
      consumers: stateValue.text(secret.consumers.join(', ') || null),
      provider: stateValue.select(secret.provider),
      providerRef: stateValue.text(secret.providerRef),
      intervalDays: stateValue.text(String(secret.intervalDays)),
      ...(secret.lifecycle === 'rotating'
        ? {}
        : {
            status: stateValue.select(secret.lifecycle),
            lastRotated: { type: 'datepicker', selected_date: secret.lastRotated?.slice(0, 10) ?? null },
          }),
      retrievalInstructions: stateValue.text(secret.retrievalInstructions),
      ...changes,
    };
    const values = Object.fromEntries(
      Object.entries(shown).map(([field, value]) => [
        SECRET_FORM_BLOCKS[field as keyof typeof SECRET_FORM_BLOCKS],
        { [FORM_VALUE_ACTION]: value },
      ]),
    );
    const view = submittedView(h.payloads, {
      callbackId: CALLBACK_IDS.editSecret,
      privateMetadata: sealedFor(h, CALLBACK_IDS.editSecret, JSON.stringify({ name: SECRET })),
      values,
    });
    const reply = await h.untilHandled(() => h.submit({ userId, view }));
    expect(reply.status).toBe(200);
    return reply.text === '' ? null : (reply.json() as { errors: Record<string, string> }).errors;
  }

  /** The tables a refused move must leave as they were (a refusal adds only its audit event). */
  const INVENTORY_TABLES = ['secrets', 'reference_change_requests', 'rotations', 'incidents'];
  const referenceEvents = (h: SlackHarness) =>
    (
      h.store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'secret.reference_changed' ORDER BY seq`).all() as {
        actor: string;
        details: string;
      }[]
    ).map((row) => ({
      actor: row.actor,
      ...(JSON.parse(row.details) as Record<string, unknown>),
    }));

  it('repointed mid-rotation: the edit is refused while the rotation is open, and even moved underneath, every provider call stays on the bound reference', async () => {
    const h = await start();
    const victimBefore = await versionsOf(VICTIM);
    const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-19');
    const rotationId = metadataOf(modal(h, viewId as string)).rotationId as number;
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({ provider: 'aws', providerRef: SECRET });

    // The owner, and even an admin, is refused on the field while the rotation is open; nothing changes.
    for (const person of ['U0OWNER', 'U0ADMIN']) {
      const before = snapshotTables(h.store, INVENTORY_TABLES);
      const errors = await submitEdit(h, person, { providerRef: stateValue.text(VICTIM) });
      expect(errors?.[SECRET_FORM_BLOCKS.providerRef]).toContain(
        `\`${SECRET}\` is being rotated (rotation #${rotationId}, in progress, held by U0OWNER)`,
      );
      expect(errors?.[SECRET_FORM_BLOCKS.providerRef]).toContain('Nothing was saved.');
      expect(snapshotTables(h.store, INVENTORY_TABLES)).toEqual(before);
    }

    // Moved underneath anyway (as the unguarded edit of the probe did): the rotation's calls stay on its binding.
    h.tablesEditedByTest = true;
    h.store.db.prepare('UPDATE secrets SET provider_ref = ? WHERE name = ?').run(VICTIM, SECRET);
    const modalShown = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(textOf(modal(h, modalShown))).toContain(`\`aws\` \`${SECRET}\``);
    await driveModal(h, 'U0OWNER', modalShown, 'verify');
    const { newVersionId } = rotationRecord(h, rotationId).rotation;
    expect(await currentOf(SECRET)).toBe(newVersionId);
    expect(await versionsOf(VICTIM)).toEqual(victimBefore);

    // Verify reads the bound secret, and refuses to record its version in an entry that now points elsewhere.
    await press(h, 'U0OWNER', modalShown, ACTION_IDS.rotationRunStep);
    expect(textOf(modal(h, modalShown))).toContain(`now points at aws \`${VICTIM}\` in the inventory, not at aws \`${SECRET}\``);
    expect(rotationRecord(h, rotationId).rotation.verifiedAt).toBeNull();
    expect(h.store.inventory.get(SECRET)?.currentVersionId).not.toBe(newVersionId);
    expect(await versionsOf(VICTIM)).toEqual(victimBefore);
  });

  it("reference_changes: admins — the owner is refused on the field, an unresolvable reference is refused with the store's answer, an admin's move is checked, audited with old and new, and told to security", async () => {
    const h = await start();
    const movedCurrent = await currentOf(MOVED);

    let before = snapshotTables(h.store, INVENTORY_TABLES);
    const refused = await submitEdit(h, 'U0OWNER', {
      providerRef: stateValue.text(VICTIM),
      description: stateValue.text('the app database'),
    });
    expect(refused?.[SECRET_FORM_BLOCKS.providerRef]).toContain(`You may not change the provider or reference of \`${SECRET}\`.`);
    expect(refused?.[SECRET_FORM_BLOCKS.providerRef]).toContain('only admins change it (policy reference_changes: admins)');
    expect(refused?.[SECRET_FORM_BLOCKS.providerRef]).toContain('admins (U0ADMIN)');
    expect(snapshotTables(h.store, INVENTORY_TABLES)).toEqual(before);
    expect(
      h.store.db
        .prepare(
          `SELECT count(*) FROM audit_events WHERE action = 'access.denied' AND json_extract(details, '$.attempted') = 'change_reference'`,
        )
        .pluck()
        .get(),
    ).toBe(1);

    before = snapshotTables(h.store, INVENTORY_TABLES);
    const unresolvable = await submitEdit(h, 'U0ADMIN', { providerRef: stateValue.text('dev/app/nowhere') });
    expect(unresolvable?.[SECRET_FORM_BLOCKS.providerRef]).toMatch(
      /^The store's answer for `dev\/app\/nowhere`: .*(does not exist|not find|can't find).* Nothing was saved\.$/,
    );
    expect(snapshotTables(h.store, INVENTORY_TABLES)).toEqual(before);

    expect(await submitEdit(h, 'U0ADMIN', { providerRef: stateValue.text(MOVED) })).toBeNull();
    expect(h.store.inventory.get(SECRET)).toMatchObject({
      provider: 'aws',
      providerRef: MOVED,
      currentVersionId: movedCurrent,
      currentFingerprint: expect.stringMatching(/^sha256:/),
    });
    expect(referenceEvents(h)).toEqual([
      expect.objectContaining({
        actor: 'U0ADMIN',
        source: 'slack',
        from: { provider: 'aws', providerRef: SECRET },
        to: { provider: 'aws', providerRef: MOVED },
        storeCheck: expect.objectContaining({ versionId: movedCurrent }),
      }),
    ]);
    const [told] = await waitForDms(h, 'U0SEC', /^Where dev\/app\/db is stored changed/);
    expect(JSON.stringify(told?.args.blocks)).toContain(`now points at \`aws\` \`${MOVED}\`* (was \`aws\` \`${SECRET}\`) by <@U0ADMIN>`);
  });

  it("reference_changes: owner_with_security_approval — the owner's move waits for a security lead while the rest is saved; Approve applies it, audited with who asked and who approved", async () => {
    const h = await start(`${ROTATION_POLICY}reference_changes: owner_with_security_approval\n`);
    const movedCurrent = await currentOf(MOVED);

    expect(
      await submitEdit(h, 'U0OWNER', { providerRef: stateValue.text(MOVED), description: stateValue.text('the app database') }),
    ).toBeNull();
    expect(h.store.inventory.get(SECRET)).toMatchObject({ providerRef: SECRET, description: 'the app database' });
    expect(referenceEvents(h)).toEqual([]);
    const saved = await waitForDms(h, 'U0OWNER', /^:white_check_mark: Saved `dev\/app\/db`/);
    expect(String(saved[0]?.args.text)).toContain(
      `The new reference (\`aws\` \`${MOVED}\`) waits for a security lead's approval (request #1)`,
    );

    const [request] = await waitForDms(h, 'U0SEC', /^Approval requested: move dev\/app\/db/);
    const approved = await clickInMessage(h, 'U0SEC', request!, ACTION_IDS.referenceApprove);
    expect(approved.reply).toBeNull();
    expect(h.store.inventory.get(SECRET)).toMatchObject({ providerRef: MOVED, currentVersionId: movedCurrent });
    expect(referenceEvents(h)).toEqual([
      expect.objectContaining({
        actor: 'U0SEC',
        from: { provider: 'aws', providerRef: SECRET },
        to: { provider: 'aws', providerRef: MOVED },
        request: 1,
        requestedBy: 'U0OWNER',
        approvedBy: 'U0SEC',
      }),
    ]);
    expect(h.fake.callsTo('chat.update').at(-1)?.args.text).toBe('Reference change of dev/app/db: approved');
    await waitForDms(h, 'U0OWNER', /^Reference change of dev\/app\/db: approved/);

    // The DM's button pressed again: told it is decided, nothing changes.
    const before = snapshotTables(h.store, INVENTORY_TABLES);
    const again = await clickInMessage(h, 'U0SEC', request!, ACTION_IDS.referenceApprove);
    expect(String(again.reply?.text)).toContain('was already approved by U0SEC');
    expect(snapshotTables(h.store, INVENTORY_TABLES)).toEqual(before);

    // Asked again (back), and rejected: nothing moves, and the owner is told.
    expect(await submitEdit(h, 'U0OWNER', { providerRef: stateValue.text(SECRET) })).toBeNull();
    const [second] = await waitForDms(h, 'U0SEC', /^Approval requested: move dev\/app\/db/, 2).then((dms) => dms.slice(1));
    await clickInMessage(h, 'U0SEC', second!, ACTION_IDS.referenceReject);
    expect(h.store.inventory.get(SECRET)?.providerRef).toBe(MOVED);
    await waitForDms(h, 'U0OWNER', /^Reference change of dev\/app\/db: rejected/);

    // A security lead who asks may not approve their own request (two-person rule).
    expect(await submitEdit(h, 'U0SEC', { providerRef: stateValue.text(SECRET) })).toBeNull();
    const own = h.store.db.prepare(`SELECT max(id) FROM reference_change_requests`).pluck().get() as number;
    const click = await h.untilHandled(() =>
      h.click({ actionId: ACTION_IDS.referenceApprove, value: `reference_request:${own}`, userId: 'U0SEC', channelId: 'D0SEC' }),
    );
    const reply = await h.fake.waitForResponse((response) => response.id === responseIdOf(click.responseUrl), 2_000);
    expect(String(reply?.body.text)).toContain(
      'You asked for this change of dev/app/db, so another security lead decides it (two-person rule)',
    );
    expect(h.store.inventory.get(SECRET)?.providerRef).toBe(MOVED);
  });

  it('/revoke on a secret moved underneath during the incident: the edit is refused, and the disable reaches the bound store secret only', async () => {
    const h = await start(REVOCATION_POLICY, REVOCATION_PEOPLE);
    const compromised = (await currentOf(SECRET)) as string;
    const victimBefore = await versionsOf(VICTIM);
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} pasted into a public channel`);
    await submitRevoke(h, 'U0ONCALL', viewId as string, {
      confirm: SECRET,
      reason: 'pasted into a public channel',
      order: 'replace_then_disable',
    });
    const { incident } = incidentRecord(h, 1);
    expect(incident).toMatchObject({ provider: 'aws', providerRef: SECRET, compromisedVersionId: compromised });

    const before = snapshotTables(h.store, INVENTORY_TABLES);
    const errors = await submitEdit(h, 'U0ADMIN', { providerRef: stateValue.text(VICTIM) });
    expect(errors?.[SECRET_FORM_BLOCKS.providerRef]).toContain(`\`${SECRET}\` is under incident #1`);
    expect(snapshotTables(h.store, INVENTORY_TABLES)).toEqual(before);

    const since = h.fake.calls.length;
    await h.untilHandled(() => h.command('/rotate', SECRET, 'U0ONCALL', { channelId: 'C0INCIDENT' }));
    const rotation = String(h.fake.calls.slice(since).find((call) => call.method === 'views.update')?.args.view_id);
    await driveModal(h, 'U0ONCALL', rotation, 'disable_compromised');
    h.tablesEditedByTest = true;
    h.store.db.prepare('UPDATE secrets SET provider_ref = ? WHERE name = ?').run(VICTIM, SECRET);
    expect(button(modal(h, rotation), ACTION_IDS.rotationRunStep)?.value).toBe('disable_compromised');
    await press(h, 'U0ONCALL', rotation, ACTION_IDS.rotationRunStep);

    const rotationId = incident.rotationId as number;
    expect(rotationRecord(h, rotationId).steps.find((step) => step.id === 'disable_compromised')).toMatchObject({ state: 'done' });
    expect((await versionsOf(SECRET))[compromised] ?? []).toEqual([]);
    expect(await versionsOf(VICTIM)).toEqual(victimBefore);
  });
});
