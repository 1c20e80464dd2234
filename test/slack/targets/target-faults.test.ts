import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_TARGET_TIMEOUTS, type TargetTimeouts } from '../../../src/targets/target-timeouts.js';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import type { LoginCredential } from '../../../src/targets/credential-target.js';
import { AwsFaultServer } from '../../fakes/aws-fault-server.js';
import { operator } from '../../support/actors.js';
import { freePort } from '../../support/free-port.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { shouldRunPostgresSuite, usePostgres } from '../../support/postgres.js';
import { createAlternatingPair, createManagingRole, logsIn, uniqueRole } from '../../support/postgres-roles.js';
import {
  ACTION_IDS,
  button,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  modalClickPayload,
  press,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitTicket,
  textOf,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Issue 21's bad input and faults at a PostgreSQL target, through the real Bolt app: each gets a
 * clear answer in Slack, and nothing is left half-done at the server, the store or the database.
 */
describe.runIf(shouldRunMotoSuite('target faults') && shouldRunPostgresSuite('target faults'))(
  'PostgreSQL target faults through Slack: a clear answer, nothing half-done',
  () => {
    const moto = useMoto();
    const server = usePostgres();
    let proxy: AwsFaultServer;
    let harness: SlackHarness | undefined;
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

    interface Setup {
      /** The secret's JSON value at the store, from the active role's login. */
      value?: (active: LoginCredential) => unknown;
      /** The inventory target beyond the defaults. */
      target?: Record<string, unknown>;
      /** The managing login as the store holds it. */
      managing?: (manager: LoginCredential) => LoginCredential;
      /** The second alternating role gets a grant of its own. */
      differentGrants?: boolean;
      /** How long Rotor's calls at the server may take (by default Rotor's own). */
      timeouts?: TargetTimeouts;
    }

    async function arrange(setup: Setup = {}) {
      const suffix = uniqueRole('f');
      const name = `dev/${suffix}/db`;
      const admin = `dev/${suffix}/db_admin`;
      const manager = await createManagingRole(server);
      const stored = setup.managing ? setup.managing(manager) : manager;
      await moto.sdk.send(new CreateSecretCommand({ Name: admin, SecretString: JSON.stringify(stored) }));
      const pair = await createAlternatingPair(server);
      if (setup.differentGrants) {
        await server.sql(`CREATE TABLE IF NOT EXISTS grants_${suffix} (id int)`);
        await server.sql(`GRANT SELECT ON grants_${suffix} TO "${pair.second.username}"`);
      }
      const value = setup.value
        ? setup.value(pair.first)
        : { username: pair.first.username, password: pair.first.password, host: server.host, port: server.port, dbname: 'postgres' };
      await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: typeof value === 'string' ? value : JSON.stringify(value) }));
      harness = await startRotationHarness({
        targetTimeouts: setup.timeouts,
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: proxy.endpoint }),
        seed: (store) =>
          store.inventoryService.create(
            {
              name,
              type: 'database',
              owner: 'U0OWNER',
              backupOwner: 'U0BACKUP',
              provider: 'aws',
              providerRef: name,
              lastRotated: daysAgo(store.clock, 31),
              target: {
                engine: 'postgres',
                host: server.host,
                port: server.port,
                dbname: 'postgres',
                tls: 'disable',
                roles: [pair.first.username, pair.second.username],
                managing_ref: admin,
                ...setup.target,
              },
            },
            operator(),
            'test',
          ),
      });
      return { h: harness, name, pair, manager };
    }

    const stagesOf = async (name: string) => (await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
    const valueOf = async (name: string, versionId: string) =>
      JSON.parse((await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionId: versionId }))).SecretString as string) as {
        username: string;
        password: string;
      };

    it('the preflight refuses to start, says what is wrong, and changes nothing: unreachable target, wrong managing password, a role that does not exist, roles with different grants, a value not in the JSON shape', async () => {
      const cases: { why: string; setup: () => Promise<Setup>; says: RegExp }[] = [
        { why: 'unreachable', setup: async () => ({ target: { port: await freePort() } }), says: /cannot be reached \(ECONNREFUSED\)/ },
        {
          why: 'wrong managing password',
          setup: async () => ({ managing: (manager) => ({ ...manager, password: `${manager.password}x` }) }),
          says: /managing credential \(role /,
        },
        {
          why: 'missing role',
          setup: async () => ({ target: { roles: [uniqueRole('ghost'), uniqueRole('ghost')] } }),
          says: /Role \\"ghost_[0-9a-f]+\\" does not exist at the server/,
        },
        { why: 'different grants', setup: async () => ({ differentGrants: true }), says: /hold different privileges of their own/ },
        { why: 'value not JSON', setup: async () => ({ value: () => 'not-json-at-all' }), says: /JSON/ },
        {
          why: 'value without the password field',
          setup: async () => ({ value: (active) => ({ username: active.username, host: server.host }) }),
          says: /password/,
        },
      ];
      for (const { why, setup, says } of cases) {
        const { h, name, pair } = await arrange(await setup());
        const before = snapshotTables(h.store);
        const stagesBefore = await stagesOf(name);
        const { viewId, reply } = await slashRotate(h, 'U0OWNER', name);
        const shown = viewId ? textOf(modal(h, viewId)) : JSON.stringify(reply);
        expect(shown, why).toMatch(says);
        if (viewId) expect(modal(h, viewId).submit, why).toBeUndefined();
        expect(snapshotTables(h.store), why).toEqual(before);
        expect(await stagesOf(name), why).toEqual(stagesBefore);
        expect(await logsIn(server, pair.first), why).toBe(true);
        expect(await logsIn(server, pair.second), why).toBe(true);
        await h.close();
        harness = undefined;
      }
    });

    it('a store that refuses the promote after the target changed: the step says so and stays to be run again; both logins the store names still work; then it finishes', async () => {
      const { h, name, pair } = await arrange();
      const { viewId } = await slashRotate(h, 'U0OWNER', name);
      const id = viewId as string;
      await submitTicket(h, 'U0OWNER', id, 'SEC-21');
      const rotationId = metadataOf(modal(h, id)).rotationId as number;
      await driveModal(h, 'U0OWNER', id, 'promote');
      const pending = rotationRecord(h, rotationId).rotation.newVersionId as string;
      const fresh = await valueOf(name, pending);
      expect(await logsIn(server, fresh)).toBe(true);

      proxy.queue(
        { kind: 'error', status: 400, type: 'AccessDeniedException', message: 'not allowed to move labels' },
        5,
        'UpdateSecretVersionStage',
      );
      h.store.clock.advance({ minutes: 1 });
      await press(h, 'U0OWNER', id, ACTION_IDS.rotationRunStep);
      const refused = modal(h, id);
      expect(textOf(refused)).toContain('Could not move the AWSCURRENT label');
      expect(button(refused, ACTION_IDS.rotationRunStep)?.text).toBe('Try again: Promote');
      expect(rotationRecord(h, rotationId).steps.find((step) => step.id === 'promote')).toMatchObject({ state: 'pending' });
      expect(rotationRecord(h, rotationId).rotation).toMatchObject({ state: 'in_progress', promotedAt: null });
      const stages = await stagesOf(name);
      expect(stages[pending]).toEqual(['AWSPENDING']);
      expect(await logsIn(server, pair.first)).toBe(true);
      expect(await logsIn(server, fresh)).toBe(true);

      proxy.clear();
      await driveModal(h, 'U0OWNER', id, null);
      await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);
      expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
      expect((await stagesOf(name))[pending]).toEqual(['AWSCURRENT']);
    });

    it('a target that stops answering mid-step (its ALTER ROLE stuck behind a lock): the step times out with why, nothing changed, and runs again once the lock is gone', async () => {
      // The lock is waited out for real: a 3.2 s lock wait instead of Rotor's 12 s. The lock wait is derived from
      // the statement timeout (test/targets/target-timeouts.test.ts), so this test's statements are bounded at 4 s, not 15 s.
      const { h, name, pair } = await arrange({ timeouts: { ...DEFAULT_TARGET_TIMEOUTS, statementMs: 4_000 } });
      const { viewId } = await slashRotate(h, 'U0OWNER', name);
      const id = viewId as string;
      await submitTicket(h, 'U0OWNER', id, 'SEC-21');
      const rotationId = metadataOf(modal(h, id)).rotationId as number;
      await driveModal(h, 'U0OWNER', id, 'set_at_target');
      const fresh = await valueOf(name, rotationRecord(h, rotationId).rotation.newVersionId as string);
      const holder = new pg.Client({
        host: server.host,
        port: server.port,
        database: 'postgres',
        user: server.superuser.user,
        password: server.superuser.password,
      });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`ALTER ROLE "${pair.second.username}" VALID UNTIL 'infinity'`);
        h.store.clock.advance({ minutes: 1 });
        // The click is sent (the ack only), then the step watched until it gives up on the lock.
        const run = button(modal(h, id), ACTION_IDS.rotationRunStep);
        await h.post({ kind: 'payload', payload: modalClickPayload(h, 'U0OWNER', id, ACTION_IDS.rotationRunStep, run?.value as string) });
        for (let waited = 0; !textOf(modal(h, id)).includes('waiting for a lock'); waited += 50) {
          if (waited > 40_000) throw new Error('the stuck step never gave up');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      expect(textOf(modal(h, id))).toContain('while waiting for a lock another session holds');
      expect(rotationRecord(h, rotationId).steps.find((step) => step.id === 'set_at_target')).toMatchObject({ state: 'pending' });
      expect(await logsIn(server, fresh)).toBe(false);
      expect(await logsIn(server, pair.first)).toBe(true);
      expect(JSON.stringify(h.fake.calls)).not.toContain(fresh.password);

      await driveModal(h, 'U0OWNER', id, null);
      await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);
      expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
      expect(await logsIn(server, fresh)).toBe(true);
    }, 60_000);

    it('two presses of Run on "set at the target" at the same moment: the server is changed once, the step is done once', async () => {
      const { h, name, pair } = await arrange();
      const { viewId } = await slashRotate(h, 'U0OWNER', name);
      const id = viewId as string;
      await submitTicket(h, 'U0OWNER', id, 'SEC-21');
      const rotationId = metadataOf(modal(h, id)).rotationId as number;
      await driveModal(h, 'U0OWNER', id, 'set_at_target');
      const view = modal(h, id);
      const run = button(view, ACTION_IDS.rotationRunStep);
      expect(run?.value).toBe('set_at_target');
      const alters = () =>
        server
          .log()
          .split('\n')
          .filter((line) => line.includes(`ALTER ROLE "${pair.second.username}"`)).length;
      const altersBefore = alters();
      h.store.clock.advance({ minutes: 1 });
      const click = (userId: string) =>
        h.post({ kind: 'payload', payload: modalClickPayload(h, userId, id, ACTION_IDS.rotationRunStep, run?.value as string, view) });
      const since = h.fake.calls.length;
      await h.untilHandled(() => Promise.all([click('U0OWNER'), click('U0OWNER')]), 2);
      // The other press is told why nothing more happened: the step is being done, or the view was stale.
      expect(JSON.stringify(h.fake.calls.slice(since))).toMatch(
        /is being done right now|changed the rotation of .* while you were looking/,
      );
      const step = rotationRecord(h, rotationId).steps.find((candidate) => candidate.id === 'set_at_target');
      expect(step).toMatchObject({ state: 'done', attempts: 1 });
      expect(alters() - altersBefore).toBe(1);
      const events = h.store.db
        .prepare(
          `SELECT count(*) FROM audit_events WHERE action = 'rotation.step_done' AND json_extract(details, '$.step') = 'set_at_target'`,
        )
        .pluck()
        .get();
      expect(events).toBe(1);
      const fresh = await valueOf(name, rotationRecord(h, rotationId).rotation.newVersionId as string);
      expect(await logsIn(server, fresh)).toBe(true);
      expect(await logsIn(server, pair.first)).toBe(true);
    });
  },
);
