import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { shouldRunPostgresSuite, usePostgres } from '../../support/postgres.js';
import { logsIn } from '../../support/postgres-roles.js';
import { seedPostgresTargetSecret } from '../../support/postgres-target-secret.js';
import {
  ACTION_IDS,
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
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Issue 21: an AWS-backed (moto) production PostgreSQL secret whose credential Rotor sets at a
 * real server, driven through the real Bolt app with signed requests: two approvals before the
 * target changes, the inactive alternating role's new password logs in, AWSCURRENT keeps the
 * JSON shape, the old role works until the retention window ends and is refused after.
 */
describe.runIf(shouldRunMotoSuite('target rotations') && shouldRunPostgresSuite('target rotations'))(
  'a PostgreSQL secret rotated at its target, through Slack',
  () => {
    const moto = useMoto();
    const server = usePostgres();
    let harness: SlackHarness | undefined;
    afterEach(async () => harness?.close());

    async function currentValue(name: string): Promise<Record<string, unknown>> {
      const read = await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' }));
      return JSON.parse(read.SecretString as string) as Record<string, unknown>;
    }

    async function arrange(options: { roles: 'alternating' | 'single'; managing?: 'good' | 'no-createrole' | 'missing'; policy?: string }) {
      const { name, active, other, value, initialVersion, target } = await seedPostgresTargetSecret(server, moto.sdk, options);
      harness = await startRotationHarness({
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
        ...(options.policy ? { policy: options.policy } : {}),
        seed: (store) =>
          store.inventoryService.create(
            { name, type: 'database', owner: 'U0OWNER', provider: 'aws', providerRef: name, lastRotated: daysAgo(store.clock, 31), target },
            operator(),
            'test',
          ),
      });
      return { h: harness, name, active, other, value, initialVersion };
    }

    it('alternating roles: two approvals, then the inactive role gets the new password; AWSCURRENT keeps the shape; the old role is retired after the window', async () => {
      const { h, name, active, other, value, initialVersion } = await arrange({ roles: 'alternating' });
      const rotator = 'U0OPS2';
      const { viewId } = await slashRotate(h, rotator, name);
      const id = viewId as string;
      expect(textOf(modal(h, id))).toContain('Alternating roles');
      await submitTicket(h, rotator, id, 'SEC-21');
      const rotationId = metadataOf(modal(h, id)).rotationId as number;
      expect(rotationRecord(h, rotationId).steps.map((step) => step.action)).toEqual([
        'create_version',
        'set_at_target',
        'verify_at_target',
        'promote',
        'verify',
        'schedule_removal',
      ]);

      // Staged first: the pending version names the inactive role; nothing changed at the server.
      h.store.clock.advance({ minutes: 1 });
      await press(h, rotator, id, ACTION_IDS.rotationRunStep);
      const pending = rotationRecord(h, rotationId).rotation.newVersionId as string;
      const staged = await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionId: pending }));
      const stagedValue = JSON.parse(staged.SecretString as string) as Record<string, string>;
      expect(stagedValue.username).toBe(other?.username);
      const fresh = { username: stagedValue.username as string, password: stagedValue.password as string };
      expect(await logsIn(server, fresh)).toBe(false);

      // Setting it at the target waits for both approvals.
      const locked = modal(h, id);
      expect(textOf(locked)).toContain('Locked until a security lead and a DevOps lead approve.');
      expect(button(locked, ACTION_IDS.rotationRunStep)).toBeUndefined();
      const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
      const [opsRequest] = await waitForDms(h, 'U0OPS', /^Approval requested/);
      h.store.clock.advance({ minutes: 1 });
      await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationApprove);
      await clickInMessage(h, 'U0OPS', opsRequest!, ACTION_IDS.rotationApprove);
      await waitForDms(h, rotator, /^Approved: rotation of/, 2);

      await driveModal(h, rotator, id, null);
      const record = rotationRecord(h, rotationId);
      expect(record.steps.find((step) => step.id === 'verify_at_target')?.result).toMatchObject({
        login: other?.username,
        checks: [expect.objectContaining({ outcome: 'passed', latencyMs: expect.any(Number) })],
      });
      h.store.clock.advance({ minutes: 1 });
      await press(h, rotator, id, ACTION_IDS.rotationComplete);
      expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');

      // AWSCURRENT: the original JSON shape, the inactive role and its new password, which logs in.
      const labels = (await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
      expect(labels[pending]).toEqual(['AWSCURRENT']);
      expect(labels[initialVersion]).toEqual(['AWSPREVIOUS']);
      const current = await currentValue(name);
      expect(Object.keys(current)).toEqual(Object.keys(value));
      expect({ ...current, username: value.username, password: value.password }).toEqual(value);
      expect(current).toMatchObject({ username: other?.username, password: fresh.password });
      expect(await logsIn(server, fresh)).toBe(true);
      // The previous role keeps working through the retention window.
      expect(await logsIn(server, active)).toBe(true);

      // The new password never reached the server's log (log_statement = 'all'), nor Rotor's database or Slack.
      expect(server.log()).not.toContain(fresh.password);
      expect(JSON.stringify(h.fake.calls)).not.toContain(fresh.password);
      expect(JSON.stringify(snapshotTables(h.store))).not.toContain(fresh.password);

      // Removing the previous version before the window ends is refused and retires nothing.
      h.store.clock.advance({ hours: 47 });
      expect(await logsIn(server, active)).toBe(true);
      // At the end of the window (injected clock), the removal offer: the previous role gets NOLOGIN.
      h.store.clock.advance({ hours: 2 });
      await h.runtime.runJob('follow-up-sweep');
      const [offer] = await waitForDms(h, rotator, /^Remove the previous version/);
      await clickInMessage(h, rotator, offer!, ACTION_IDS.rotationRemovePrevious);
      expect(await logsIn(server, active)).toBe(false);
      expect(await logsIn(server, fresh)).toBe(true);
      const removed = h.store.db
        .prepare(`SELECT details FROM audit_events WHERE action = 'rotation.previous_removed' ORDER BY seq DESC LIMIT 1`)
        .get() as { details: string };
      expect(JSON.parse(removed.details)).toMatchObject({ retiredAtTarget: `role ${active.username} was given NOLOGIN` });
    });

    it('a single role: its password is replaced, the blip is stated, and the new one logs in', async () => {
      const { h, name, active } = await arrange({ roles: 'single' });
      const rotator = 'U0OPS2';
      const { viewId } = await slashRotate(h, rotator, name);
      const id = viewId as string;
      expect(textOf(modal(h, id))).toContain('an authentication blip');
      await submitTicket(h, rotator, id, 'SEC-22');
      const rotationId = metadataOf(modal(h, id)).rotationId as number;
      h.store.clock.advance({ minutes: 1 });
      await press(h, rotator, id, ACTION_IDS.rotationRunStep);
      const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
      const [opsRequest] = await waitForDms(h, 'U0OPS', /^Approval requested/);
      await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationApprove);
      await clickInMessage(h, 'U0OPS', opsRequest!, ACTION_IDS.rotationApprove);
      await waitForDms(h, rotator, /^Approved: rotation of/, 2);
      await driveModal(h, rotator, id, null);
      await press(h, rotator, id, ACTION_IDS.rotationComplete);
      expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
      const current = await currentValue(name);
      expect(current.username).toBe(active.username);
      expect(await logsIn(server, { username: active.username, password: current.password as string })).toBe(true);
      expect(await logsIn(server, active)).toBe(false);
      expect(server.log()).not.toContain(current.password as string);
    });

    it('single user where the policy allows it only for other types: the preflight says what to set, and nothing starts or changes', async () => {
      const policy = `${ROTATION_POLICY}\ntargets:\n  single_user:\n    types: [redis]\n`;
      const { h, name, active } = await arrange({ roles: 'single', policy });
      const before = snapshotTables(h.store);
      const { viewId } = await slashRotate(h, 'U0OPS2', name);
      const shown = textOf(modal(h, viewId as string));
      expect(shown).toContain(
        `The policy allows single-user PostgreSQL rotation only for redis secrets (targets.single_user.types), not database, and this target names one role, ${active.username}. Fix: name two alternating roles in the target (\`roles\`: /secrets edit ${name}), or ask an admin to add database to targets.single_user.types.`,
      );
      expect(modal(h, viewId as string).submit).toBeUndefined();
      expect(snapshotTables(h.store)).toEqual(before);
      expect(await logsIn(server, active)).toBe(true);
    });

    it('a managing credential without CREATEROLE, or missing from the store: the preflight says so, and nothing starts or changes', async () => {
      for (const managing of ['no-createrole', 'missing'] as const) {
        const { h, name, active } = await arrange({ roles: 'alternating', managing });
        const before = snapshotTables(h.store);
        const { viewId } = await slashRotate(h, 'U0OPS2', name);
        const shown = textOf(modal(h, viewId as string));
        expect(shown, managing).toMatch(managing === 'missing' ? /managing credential.*is not in the store/ : /CREATEROLE/);
        expect(modal(h, viewId as string).submit, managing).toBeUndefined();
        expect(snapshotTables(h.store)).toEqual(before);
        expect(await logsIn(server, active)).toBe(true);
        await h.close();
        harness = undefined;
      }
    });
  },
);
