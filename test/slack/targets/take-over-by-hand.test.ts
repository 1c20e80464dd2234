import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { randomBytes } from 'node:crypto';
import type { ViewOutput } from '@slack/bolt';
import { FORM_VALUE_ACTION, ROTATION_BLOCKS, WINDOW_BLOCKS } from '../../../src/slack/ids.js';
import { stateValue } from '../../support/slack-payloads.js';
import { scramSha256Verifier } from '../../../src/targets/postgres/scram-verifier.js';
import { operator } from '../../support/actors.js';
import { freePort } from '../../support/free-port.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { shouldRunPostgresSuite, usePostgres } from '../../support/postgres.js';
import { createAlternatingPair, createManagingRole, logsIn, uniqueRole } from '../../support/postgres-roles.js';
import {
  ACTION_IDS,
  button,
  clickInMessage,
  clickInModal,
  driveModal,
  echoed,
  FAST_RETRY,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  pushedSince,
  ROTATION_POLICY,
  rotationRecord,
  rotorCli,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  textOf,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

const TABLES = ['secrets', 'audit_events', 'rotations', 'rotation_steps', 'rotation_approvals'];

/**
 * Issue 21, item 7: a person can always take Rotor's step at the target over by hand, recorded as
 * such, through the real Bolt app: never before the approvals, never without saying what they did.
 */
describe.runIf(shouldRunMotoSuite('take over by hand') && shouldRunPostgresSuite('take over by hand'))(
  "a person takes Rotor's step at the target over by hand, through Slack",
  () => {
    const moto = useMoto();
    const server = usePostgres();
    let harness: SlackHarness | undefined;
    afterEach(async () => harness?.close());

    /** A prod secret with alternating roles, its rotation started and staged by U0OPS2, waiting for the two approvals. */
    async function stagedRotation(policy?: string) {
      const suffix = uniqueRole('h');
      const name = `prod/${suffix}/db`;
      const admin = `prod/${suffix}/db_admin`;
      const manager = await createManagingRole(server);
      await moto.sdk.send(new CreateSecretCommand({ Name: admin, SecretString: JSON.stringify(manager) }));
      const pair = await createAlternatingPair(server);
      const value = {
        username: pair.first.username,
        password: pair.first.password,
        host: server.host,
        port: server.port,
        dbname: 'postgres',
      };
      await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
      const target = {
        engine: 'postgres',
        host: server.host,
        port: server.port,
        dbname: 'postgres',
        tls: 'disable',
        roles: [pair.first.username, pair.second.username],
        managing_ref: admin,
      };
      harness = await startRotationHarness({
        ...(policy ? { policy } : {}),
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
        seed: (store) =>
          store.inventoryService.create(
            { name, type: 'database', owner: 'U0OWNER', provider: 'aws', providerRef: name, lastRotated: daysAgo(store.clock, 31), target },
            operator(),
            'test',
          ),
      });
      const h = harness;
      const rotator = 'U0OPS2';
      const { viewId } = await slashRotate(h, rotator, name);
      const id = viewId as string;
      await submitTicket(h, rotator, id, 'SEC-27');
      const rotationId = metadataOf(modal(h, id)).rotationId as number;
      h.store.clock.advance({ minutes: 1 });
      await press(h, rotator, id, ACTION_IDS.rotationRunStep);
      const pending = rotationRecord(h, rotationId).rotation.newVersionId as string;
      const staged = JSON.parse(
        (await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionId: pending }))).SecretString as string,
      ) as { username: string; password: string };
      return { h, id, name, rotator, rotationId, pending, pair, target, fresh: { username: staged.username, password: staged.password } };
    }

    async function approve(h: SlackHarness, rotator: string): Promise<void> {
      const [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
      const [opsRequest] = await waitForDms(h, 'U0OPS', /^Approval requested/);
      await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationApprove);
      await clickInMessage(h, 'U0OPS', opsRequest!, ACTION_IDS.rotationApprove);
      await waitForDms(h, rotator, /^Approved: rotation of/, 2);
    }

    const byHandForm = async (h: SlackHarness, rotator: string, id: string) => {
      const since = h.fake.calls.length;
      await press(h, rotator, id, ACTION_IDS.rotationByHandStep);
      return pushedSince(h, since);
    };

    it('set at target fails against an unreachable target; the person does it by hand with a note; Rotor verifies it and the rotation completes; the evidence says by hand', async () => {
      const { h, id, name, rotator, rotationId, pending, pair, target, fresh } = await stagedRotation();
      await approve(h, rotator);
      // The target becomes unreachable from Rotor (only the bastion reaches it).
      const moved = await rotorCli(h, 'edit', name, '--target', JSON.stringify({ ...target, port: await freePort() }));
      expect(moved.code, moved.stderr).toBe(0);
      h.store.clock.advance({ minutes: 1 });
      await press(h, rotator, id, ACTION_IDS.rotationRunStep);
      const failed = modal(h, id);
      expect(textOf(failed)).toContain('ECONNREFUSED');
      expect(button(failed, ACTION_IDS.rotationRunStep)?.text).toBe('Try again: Set at target');
      expect(button(failed, ACTION_IDS.rotationByHandStep)).toMatchObject({ text: 'Done by hand…', value: 'set_at_target' });

      // The person sets the staged password at the server by hand (a SCRAM verifier, as Rotor would).
      await server.sql(`ALTER ROLE "${fresh.username}" WITH LOGIN PASSWORD '${scramSha256Verifier(fresh.password)}'`);
      const form = await byHandForm(h, rotator, id);
      expect(textOf(form)).toContain('What did you do by hand?');
      h.store.clock.advance({ minutes: 1 });
      expect(await submitReason(h, rotator, form, 'ran ALTER ROLE from the bastion')).toBeNull();
      const step = rotationRecord(h, rotationId).steps.find((candidate) => candidate.id === 'set_at_target');
      expect(step).toMatchObject({ state: 'done', doneBy: rotator, note: 'ran ALTER ROLE from the bastion', result: { byHand: true } });
      expect(textOf(modal(h, id))).toContain(`Done by hand by <@${rotator}>`);
      const event = h.store.db
        .prepare(`SELECT actor, details FROM audit_events WHERE action = 'rotation.step_done' ORDER BY seq DESC LIMIT 1`)
        .get() as { actor: string; details: string };
      expect(event.actor).toBe(rotator);
      expect(JSON.parse(event.details)).toMatchObject({
        step: 'set_at_target',
        byHand: 'set_at_target',
        note: 'ran ALTER ROLE from the bastion',
      });

      // Reachable again: Rotor proves the person's work with a fresh login, then finishes.
      const back = await rotorCli(h, 'edit', name, '--target', JSON.stringify(target));
      expect(back.code, back.stderr).toBe(0);
      await driveModal(h, rotator, id, null);
      h.store.clock.advance({ minutes: 1 });
      await press(h, rotator, id, ACTION_IDS.rotationComplete);
      expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
      expect((await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages?.[pending]).toEqual(['AWSCURRENT']);
      expect(await logsIn(server, fresh)).toBe(true);
      expect(await logsIn(server, pair.first)).toBe(true);

      const evidence = (await rotorCli(h, 'rotations', 'evidence', String(rotationId))).stdout;
      const row = evidence.split('\n').find((line) => line.includes('(`set_at_target`)')) as string;
      expect(row).toContain('a person, by hand (instead of Rotor)');
      expect(row).toContain(`by hand, by ${rotator}: ran ALTER ROLE from the bastion`);
      expect(row).toContain('ECONNREFUSED');
      const verifyRow = evidence.split('\n').find((line) => line.includes('(`verify_at_target`)')) as string;
      expect(verifyRow).toContain('Rotor at the provider');
      expect(evidence).not.toContain('differ from the audit chain');
      expect(evidence).not.toContain(fresh.password);
    });

    it('taking over before the approvals is refused on the form, and nothing changes', async () => {
      const { h, id, rotator, fresh } = await stagedRotation();
      await followUpsSettled(h);
      const locked = modal(h, id);
      expect(textOf(locked)).toContain('Locked until a security lead and a DevOps lead approve.');
      expect(button(locked, ACTION_IDS.rotationByHandStep)).toBeUndefined();
      const before = snapshotTables(h.store, TABLES);
      // A click from a forged or stale view: the form opens, its submission is refused.
      const since = h.fake.calls.length;
      await clickInModal(h, rotator, id, ACTION_IDS.rotationByHandStep, 'set_at_target');
      const reply = await submitReason(h, rotator, pushedSince(h, since), 'ran ALTER ROLE from the bastion');
      expect(reply).toMatchObject({ response_action: 'errors' });
      expect(JSON.stringify((reply as { errors: unknown }).errors)).toContain(
        'waits for the approval of a security lead and a DevOps lead',
      );
      await followUpsSettled(h);
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
      expect(await logsIn(server, fresh)).toBe(false);
    });

    it('outside a planned window, taking over by hand is refused like the run, and nothing changes', async () => {
      const policy = `${ROTATION_POLICY}windows:\n  lead_time_hours: 24\n  production:\n    environments: [prod]\n    days: [mon, tue, wed, thu, fri]\n    hours: "08:00-18:00"\n    time_zone: UTC\n`;
      const { h, id, rotator, rotationId } = await stagedRotation(policy);
      const since = h.fake.calls.length;
      await press(h, rotator, id, ACTION_IDS.rotationPlanWindow);
      const start = h.store.clock.now().plus({ days: 2 }).startOf('day').set({ hour: 10 });
      const values: ViewOutput['state']['values'] = {
        [WINDOW_BLOCKS.start]: { [FORM_VALUE_ACTION]: { type: 'datetimepicker', selected_date_time: Math.floor(start.toSeconds()) } },
        [WINDOW_BLOCKS.duration]: { [FORM_VALUE_ACTION]: stateValue.number('60') },
        [WINDOW_BLOCKS.impact]: { [FORM_VALUE_ACTION]: stateValue.text('none expected') },
      };
      const planned = await h.untilHandled(() =>
        h.submit({ userId: rotator, view: echoed(h, `V${randomBytes(4).toString('hex').toUpperCase()}`, pushedSince(h, since), values) }),
      );
      expect(planned.text).toBe('');
      await approve(h, rotator);
      await followUpsSettled(h);
      const before = snapshotTables(h.store, TABLES);
      const reply = await submitReason(h, rotator, await byHandForm(h, rotator, id), 'ran ALTER ROLE from the bastion');
      expect(JSON.stringify(reply)).toContain('stays locked until the window');
      await followUpsSettled(h);
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
      expect(rotationRecord(h, rotationId).steps.find((step) => step.id === 'set_at_target')?.state).toBe('pending');
    });

    it('an empty note is refused on the field, and nothing changes', async () => {
      const { h, id, rotator } = await stagedRotation();
      await approve(h, rotator);
      await followUpsSettled(h);
      const before = snapshotTables(h.store, TABLES);
      const reply = await submitReason(h, rotator, await byHandForm(h, rotator, id), '   ');
      expect(reply).toEqual({
        response_action: 'errors',
        errors: { [ROTATION_BLOCKS.reason]: expect.stringContaining('say what you did by hand') },
      });
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
    });
  },
);
