import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { ACTION_IDS, FORM_VALUE_ACTION, ROTATION_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  button,
  clickInMessage,
  currentStepOf,
  dmsTo,
  driveModal,
  echoed,
  metadataOf,
  modal,
  modalClickPayload,
  postsTo,
  press,
  rotationRecord,
  slashRotate,
  submitTicket,
  textOf,
  startRotationHarness,
  waitForDms,
  FAST_RETRY,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * What must survive: a restart of the bot in the middle of a rotation, two people acting on
 * the same rotation at once, and the follow-ups (the approval re-send, the end-of-retention DM)
 * that must fire exactly once however many sweeps and restarts come between.
 */

const SECRET = 'prod/app/db';

function auditCount(harness: SlackHarness, action: string, rotationId: number, step?: string): number {
  return harness.store.db
    .prepare(
      `SELECT count(*) FROM audit_events WHERE action = ? AND json_extract(details, '$.rotation') = ? AND (? IS NULL OR json_extract(details, '$.step') = ?)`,
    )
    .pluck()
    .get(action, rotationId, step ?? null, step ?? null) as number;
}

describe.runIf(shouldRunMotoSuite('the rotation durability suite'))('guided rotation across restarts, races and follow-ups', () => {
  const moto = useMoto();
  let harness: SlackHarness | undefined;
  let initialVersion: string;
  afterEach(async () => harness?.close());

  async function start(): Promise<SlackHarness> {
    const created = await moto.sdk.send(new CreateSecretCommand({ Name: SECRET, SecretString: randomBytes(12).toString('hex') }));
    initialVersion = created.VersionId as string;
    harness = await startRotationHarness({
      aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
      seed: (store) =>
        store.inventoryService.create(
          {
            name: SECRET,
            type: 'database',
            owner: 'U0OWNER',
            backupOwner: 'U0BACKUP',
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

  /** `/rotate` by the owner and the ticket: the modal's view id and the rotation's id. */
  async function startRotation(h: SlackHarness, userId = 'U0OWNER'): Promise<{ viewId: string; rotationId: number }> {
    const { viewId } = await slashRotate(h, userId, SECRET);
    await submitTicket(h, userId, viewId as string, 'SEC-9');
    return { viewId: viewId as string, rotationId: metadataOf(modal(h, viewId as string)).rotationId as number };
  }

  async function approveAll(h: SlackHarness): Promise<void> {
    for (const lead of ['U0SEC', 'U0OPS']) {
      const [request] = await waitForDms(h, lead, /^Approval requested/);
      await clickInMessage(h, lead, request!, ACTION_IDS.rotationApprove);
    }
  }

  const labels = async () => (await moto.sdk.send(new DescribeSecretCommand({ SecretId: SECRET }))).VersionIdsToStages ?? {};

  it('a restart in the middle loses nothing: /rotate resumes at the same step, for the same person and for another allowed one', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    // The DevOps lead approves now; the security lead's DM waits across the restart. Setting the
    // password on the database is the first step that waits for both, so the rotation stops there.
    const [opsRequest] = await waitForDms(h, 'U0OPS', /^Approval requested/);
    await clickInMessage(h, 'U0OPS', opsRequest!, ACTION_IDS.rotationApprove);
    await driveModal(h, 'U0OWNER', viewId, 'set_new_value');
    const before = rotationRecord(h, rotationId);
    const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);

    await h.restart();

    // The same person: the same rotation, at the same step, with what was done.
    const again = await slashRotate(h, 'U0OWNER', SECRET);
    const resumed = modal(h, again.viewId as string);
    expect(metadataOf(resumed)).toEqual({ secret: SECRET, rotationId, version: before.rotation.version });
    expect(textOf(resumed)).toContain('Locked until a security lead approves.');
    expect(textOf(resumed)).toContain(`\`${before.rotation.newVersionId}\``);
    expect(rotationRecord(h, rotationId)).toEqual(before);

    // An approval DM sent before the restart still works after it, and unlocks the step.
    await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationApprove);
    expect(rotationRecord(h, rotationId).approvals.map((approval) => approval.decidedBy)).toEqual(['U0OPS', 'U0SEC']);
    expect(currentStepOf(modal(h, again.viewId as string))).toBe('set_new_value');

    // Another person allowed to rotate it (the backup owner) sees who holds it and continues it.
    const other = await slashRotate(h, 'U0BACKUP', SECRET);
    const offered = modal(h, other.viewId as string);
    expect(textOf(offered)).toContain('<@U0OWNER> is rotating this secret');
    expect(currentStepOf(offered)).toBeNull();
    await press(h, 'U0BACKUP', other.viewId as string, ACTION_IDS.rotationTakeOver);
    const continued = modal(h, other.viewId as string);
    expect(currentStepOf(continued)).toBe('set_new_value');
    expect(rotationRecord(h, rotationId).rotation.heldBy).toBe('U0BACKUP');
    // The owner's modal, opened after the restart, now shows who holds it.
    expect(textOf(modal(h, again.viewId as string))).toContain('<@U0BACKUP> is rotating this secret');

    await press(h, 'U0BACKUP', other.viewId as string, ACTION_IDS.rotationTickStep);
    expect(currentStepOf(modal(h, other.viewId as string))).toBe('update_staging');
    expect(rotationRecord(h, rotationId).steps.find((step) => step.id === 'set_new_value')).toMatchObject({
      state: 'done',
      doneBy: 'U0BACKUP',
    });
    expect(auditCount(h, 'rotation.taken_over', rotationId)).toBe(1);
  });

  it('two people ticking the same step at once: one transition is recorded, the other person is told', async () => {
    const h = await start();
    const { viewId: ownerView, rotationId } = await startRotation(h);
    await approveAll(h);
    await driveModal(h, 'U0OWNER', ownerView, 'update_staging');
    const backupView = (await slashRotate(h, 'U0BACKUP', SECRET)).viewId as string;
    // Both tick the same step from the rotation as it stood (the backup's click from a tab that had not refreshed yet).
    const seen = modal(h, ownerView);
    const clicks = [
      modalClickPayload(h, 'U0OWNER', ownerView, ACTION_IDS.rotationTickStep, 'update_staging', seen),
      modalClickPayload(h, 'U0BACKUP', backupView, ACTION_IDS.rotationTickStep, 'update_staging', {
        ...seen,
        private_metadata: modal(h, backupView).private_metadata,
      }),
    ];
    await h.untilHandled(() => Promise.all(clicks.map((payload) => h.post({ kind: 'payload', payload }))), 2);

    expect(auditCount(h, 'rotation.step_done', rotationId, 'update_staging')).toBe(1);
    const step = rotationRecord(h, rotationId).steps.find((candidate) => candidate.id === 'update_staging');
    const loser = step?.doneBy === 'U0OWNER' ? backupView : ownerView;
    expect(textOf(modal(h, loser))).toMatch(/changed the rotation of prod\/app\/db|just (?:ticked|changed)/);
    expect(textOf(modal(h, loser))).toContain(`Done by <@${step?.doneBy}>`);
  });

  it('two people starting a rotation of the same secret at once: one rotation, the other is shown it and who started it', async () => {
    const h = await start();
    const ownerView = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    const backupView = (await slashRotate(h, 'U0BACKUP', SECRET)).viewId as string;
    const submissions = [
      {
        userId: 'U0OWNER',
        view: echoed(h, ownerView, modal(h, ownerView), { [ROTATION_BLOCKS.ticket]: { [FORM_VALUE_ACTION]: stateValue.text('SEC-1') } }),
      },
      {
        userId: 'U0BACKUP',
        view: echoed(h, backupView, modal(h, backupView), { [ROTATION_BLOCKS.ticket]: { [FORM_VALUE_ACTION]: stateValue.text('SEC-2') } }),
      },
    ];
    await h.untilHandled(() => Promise.all(submissions.map((submission) => h.submit(submission))), 2);
    const rows = h.store.db.prepare('SELECT id, started_by, ticket FROM rotations').all() as {
      id: number;
      started_by: string;
      ticket: string;
    }[];
    expect(rows).toHaveLength(1);
    expect(h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'rotation.started'`).pluck().get()).toBe(1);
    const winner = rows[0]!.started_by;
    const loserView = winner === 'U0OWNER' ? backupView : ownerView;
    const shown = modal(h, loserView);
    expect(metadataOf(shown).rotationId).toBe(rows[0]!.id);
    expect(textOf(shown)).toMatch(new RegExp(`already being rotated by ${winner}|started a moment ago by ${winner}`));
    expect(textOf(shown)).toContain(`<@${winner}> is rotating this secret`);
  });

  it('two people completing the same rotation at once: it completes once, is announced once, and the other is told', async () => {
    const h = await start();
    const { viewId: ownerView, rotationId } = await startRotation(h);
    await approveAll(h);
    await driveModal(h, 'U0OWNER', ownerView, null);
    const backupView = (await slashRotate(h, 'U0BACKUP', SECRET)).viewId as string;
    const seen = modal(h, ownerView);
    const value = button(seen, ACTION_IDS.rotationComplete)?.value as string;
    const clicks = [
      modalClickPayload(h, 'U0OWNER', ownerView, ACTION_IDS.rotationComplete, value, seen),
      modalClickPayload(h, 'U0BACKUP', backupView, ACTION_IDS.rotationComplete, value, {
        ...seen,
        private_metadata: modal(h, backupView).private_metadata,
      }),
    ];
    await h.untilHandled(() => Promise.all(clicks.map((payload) => h.post({ kind: 'payload', payload }))), 2);

    expect(auditCount(h, 'rotation.completed', rotationId)).toBe(1);
    expect(h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'secret.rotated'`).pluck().get()).toBe(1);
    const winner = rotationRecord(h, rotationId).rotation.heldBy;
    const loser = winner === 'U0OWNER' ? backupView : ownerView;
    expect(textOf(modal(h, loser))).toMatch(/changed the rotation of prod\/app\/db|just (?:completed|changed)/);
    expect(textOf(modal(h, loser))).toContain('Completed at');
    await h.runtime.runJob('follow-up-sweep');
    expect(postsTo(h, 'C0ANNOUNCE').filter((call) => /was rotated/.test(String(call.args.text)))).toHaveLength(1);
  });

  it('the approval re-send and the end-of-retention DM fire exactly once under the clock, across restarts; Remove previous version removes it at moto', async () => {
    const h = await start();
    const { viewId, rotationId } = await startRotation(h);
    await waitForDms(h, 'U0OPS2', /^Approval requested/);
    const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    h.store.clock.advance({ hours: 1 });
    await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationApprove);
    h.store.clock.advance({ hours: 1 });
    await h.restart();

    // A day after the request: the DevOps leads, still undecided, are asked once more; the security lead is not.
    h.store.clock.advance({ hours: 22, minutes: 1 });
    await h.runtime.runJob('follow-up-sweep');
    await h.runtime.runJob('follow-up-sweep');
    await h.restart();
    await h.runtime.runJob('follow-up-sweep');
    const reminders = (user: string) =>
      dmsTo(h, user).filter((call) => /Still waiting for your decision/.test(JSON.stringify(call.args.blocks)));
    expect(reminders('U0OPS')).toHaveLength(1);
    expect(reminders('U0OPS2')).toHaveLength(1);
    expect(reminders('U0SEC')).toHaveLength(0);
    expect(reminders('U0OWNER')).toHaveLength(0);

    // The DevOps lead approves from the re-sent DM; the rotation runs to its end at moto.
    await clickInMessage(h, 'U0OPS', reminders('U0OPS')[0]!, ACTION_IDS.rotationApprove);
    const resumed = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(resumed).not.toBe(viewId);
    await driveModal(h, 'U0OWNER', resumed, null);
    await press(h, 'U0OWNER', resumed, ACTION_IDS.rotationComplete);
    const { promotedAt, newVersionId } = rotationRecord(h, rotationId).rotation;
    expect(promotedAt).not.toBeNull();

    // Not before the end of the retention window (48 h after promotion)…
    const removalDms = () => dmsTo(h, 'U0OWNER').filter((call) => /^Remove the previous version/.test(String(call.args.text)));
    h.store.clock.set(new Date(Date.parse(promotedAt as string) + 47 * 3_600_000).toISOString());
    await h.runtime.runJob('follow-up-sweep');
    expect(removalDms()).toHaveLength(0);
    await h.restart();
    // …then once, whatever the sweeps and restarts.
    h.store.clock.advance({ hours: 1, minutes: 1 });
    await h.runtime.runJob('follow-up-sweep');
    await h.runtime.runJob('follow-up-sweep');
    await h.restart();
    await h.runtime.runJob('follow-up-sweep');
    expect(removalDms()).toHaveLength(1);

    expect((await labels())[initialVersion]).toEqual(['AWSPREVIOUS']);
    const removal = await clickInMessage(h, 'U0OWNER', removalDms()[0]!, ACTION_IDS.rotationRemovePrevious);
    expect(removal.reply).toBeNull();
    expect((await labels())[initialVersion] ?? []).toEqual([]);
    expect((await labels())[newVersionId as string]).toEqual(['AWSCURRENT']);
    const done = h.fake.calls.slice(removal.triggerSince).find((call) => call.method === 'chat.update');
    expect(String(done?.args.text)).toBe(`Previous version of ${SECRET} removed`);
    expect(auditCount(h, 'rotation.previous_removed', rotationId)).toBe(1);

    // The button pressed again (a replay, or a second device): told it is done, nothing recorded twice.
    const before = snapshotTables(h.store, ['rotations', 'audit_events', 'secrets']);
    const again = await clickInMessage(h, 'U0OWNER', removalDms()[0]!, ACTION_IDS.rotationRemovePrevious);
    expect(String(again.reply?.text)).toContain('was already removed by U0OWNER');
    expect(snapshotTables(h.store, ['rotations', 'audit_events', 'secrets'])).toEqual(before);
  });
});
