import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isoInstant } from '../../../src/core/clock.js';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import type { LoginCredential } from '../../../src/targets/credential-target.js';
import { AwsFaultServer } from '../../fakes/aws-fault-server.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { shouldRunPostgresSuite, usePostgres } from '../../support/postgres.js';
import { createAlternatingPair, createLoginRole, createManagingRole, logsIn, uniqueRole } from '../../support/postgres-roles.js';
import { type RotorChild, startRotorChild, useSpareRotorChildren } from '../../support/rotor-child-process.js';
import {
  ACTION_IDS,
  button,
  FAST_RETRY,
  metadataOf,
  modal,
  modalClickPayload,
  press,
  rotationRecord,
  rotorCli,
  slashRotate,
  startRotationHarness,
  submitTicket,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Issue 21: the bot is SIGKILLed between every two steps of a PostgreSQL target rotation, and in
 * the middle of each step that changes something (the store's write, the ALTER ROLE, the promote),
 * then started again on the same database. The rotation resumes or rolls forward to the end, and
 * all the while a watcher logs in at the real server with what the store names (AWSCURRENT, and
 * AWSPENDING when there is one): at every moment at least one of them must work. The values never
 * reach Rotor's database files (WAL included), its logs, Slack or the CLI, nor the server's log
 * under `log_statement = 'all'`.
 */

const STEPS = ['create_version', 'set_at_target', 'verify_at_target', 'promote', 'verify', 'schedule_removal'] as const;

describe.runIf(shouldRunMotoSuite('the target kill suite') && shouldRunPostgresSuite('the target kill suite'))(
  'SIGKILL between the steps of a PostgreSQL target rotation, then a restart',
  () => {
    const moto = useMoto();
    const server = usePostgres();
    useSpareRotorChildren();
    let proxy: AwsFaultServer;
    let harness: SlackHarness | undefined;
    let watcher: Watcher | undefined;
    beforeAll(async () => {
      proxy = new AwsFaultServer(moto.endpoint);
      await proxy.start();
    });
    afterAll(() => proxy.stop());
    afterEach(async () => {
      await watcher?.stop();
      watcher = undefined;
      proxy.clear();
      await harness?.close();
      harness = undefined;
    });

    interface Arranged {
      h: SlackHarness;
      name: string;
      manager: LoginCredential;
      /** Every password the rotation starts from (the roles', the managing one's). */
      initial: LoginCredential[];
      /** Whatever the bot wrote on its stdout/stderr, in every life, and the in-process bot's log. */
      output: string[];
    }

    async function arrange(roles: 'alternating' | 'single'): Promise<Arranged> {
      const suffix = uniqueRole('k');
      // dev: no approvals, so each life of the bot runs one step straight away.
      const name = `dev/${suffix}/db`;
      const admin = `dev/${suffix}/db_admin`;
      const manager = await createManagingRole(server);
      await moto.sdk.send(new CreateSecretCommand({ Name: admin, SecretString: JSON.stringify(manager) }));
      const initial: LoginCredential[] = [manager];
      let target: Record<string, unknown>;
      let active: LoginCredential;
      if (roles === 'alternating') {
        const pair = await createAlternatingPair(server);
        active = pair.first;
        initial.push(pair.first, pair.second);
        target = { roles: [pair.first.username, pair.second.username] };
      } else {
        active = await createLoginRole(server, uniqueRole('app'));
        initial.push(active);
        target = { role: active.username };
      }
      const value = {
        engine: 'postgres',
        host: server.host,
        port: server.port,
        username: active.username,
        password: active.password,
        dbname: 'postgres',
      };
      await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
      harness = await startRotationHarness({
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: proxy.endpoint }),
        seed: (store) =>
          store.inventoryService.create(
            {
              name,
              type: 'database',
              owner: 'U0OWNER',
              provider: 'aws',
              providerRef: name,
              lastRotated: daysAgo(store.clock, 31),
              target: {
                engine: 'postgres',
                host: server.host,
                port: server.port,
                dbname: 'postgres',
                tls: 'disable',
                managing_ref: admin,
                ...target,
              },
            },
            operator(),
            'test',
          ),
      });
      watcher = watch(() => namedCredentials(name));
      return { h: harness, name, manager, initial, output: [] };
    }

    /** The logins the store names now: AWSCURRENT's, and AWSPENDING's when a version carries it. */
    async function namedCredentials(name: string): Promise<{ stage: string; credential: LoginCredential }[]> {
      const stages = (await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
      const named: { stage: string; credential: LoginCredential }[] = [];
      for (const [versionId, labels] of Object.entries(stages)) {
        const stage = labels.find((label) => label === 'AWSCURRENT' || label === 'AWSPENDING');
        if (!stage) continue;
        const read = await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionId: versionId }));
        const value = JSON.parse(read.SecretString as string) as { username: string; password: string };
        named.push({ stage: labels.join('+'), credential: { username: value.username, password: value.password } });
      }
      return named;
    }

    interface Watcher {
      /** How many times the watcher has logged in so far. */
      rounds(): number;
      /** Every moment at which nothing the store named logged in. */
      failures: string[];
      stop(): Promise<void>;
    }

    /** Logs in with what the store names, over and over, until stopped. */
    function watch(named: () => Promise<{ stage: string; credential: LoginCredential }[]>): Watcher {
      const failures: string[] = [];
      let rounds = 0;
      let stopped = false;
      const loop = (async () => {
        while (!stopped) {
          const now = await named();
          const works = await Promise.all(now.map(({ credential }) => logsIn(server, credential)));
          if (!works.some(Boolean))
            failures.push(
              `round ${rounds}: none logs in of ${now.map(({ stage, credential }) => `${stage}=${credential.username}`).join(', ')}`,
            );
          rounds += 1;
        }
      })();
      return {
        rounds: () => rounds,
        failures,
        async stop() {
          stopped = true;
          await loop;
        },
      };
    }

    /** Waits until the watcher has logged in at least once more: the state left behind has been looked at. */
    async function watched(): Promise<void> {
      const from = watcher?.rounds() ?? 0;
      while ((watcher?.rounds() ?? from + 1) <= from + 1) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(watcher?.failures).toEqual([]);
    }

    const stepOf = (h: SlackHarness, rotationId: number, id: string) => rotationRecord(h, rotationId).steps.find((step) => step.id === id);

    /** The rotation reopened in Slack (a fresh modal, as a person comes back after the crash). */
    async function reopen(a: Arranged): Promise<string> {
      a.output.push(a.h.rawLog());
      return (await slashRotate(a.h, 'U0OWNER', a.name)).viewId as string;
    }

    /** A click on the modal's Run button, sent to whichever bot `h.eventsUrl` names now (the ack only). */
    const clickRun = (h: SlackHarness, viewId: string) => () => {
      const run = button(modal(h, viewId), ACTION_IDS.rotationRunStep);
      expect(run, 'the modal has a Run button').toBeDefined();
      return h.post({
        kind: 'payload',
        payload: modalClickPayload(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep, run?.value as string),
      });
    };

    /**
     * The bot in a process of its own on the harness's database: `act` sends it a request, and it
     * is SIGKILLed the moment `until` holds (polled). Then the harness's bot starts again.
     */
    async function killWhen(a: Arranged, act: () => Promise<unknown>, until: () => Promise<boolean> | boolean): Promise<void> {
      await a.h.stopFor(async () => {
        const child: RotorChild = await startRotorChild(
          {
            ...a.h.botEnv,
            LOG_LEVEL: 'info',
            ROTOR_TEST_AT: isoInstant(a.h.store.clock.now()),
            AWS_ENDPOINT_URL: proxy.endpoint,
            AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
            AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
            AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
          },
          60_000,
        );
        const inProcess = a.h.eventsUrl;
        a.h.eventsUrl = child.eventsUrl;
        const acted = act().catch(() => undefined);
        try {
          for (let waited = 0; !(await until()); waited += 2) {
            if (waited > 20_000) throw new Error(`the kill point was never reached:\n${child.output()}`);
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
        } finally {
          child.kill();
          a.h.eventsUrl = inProcess;
        }
        await acted;
        expect((await child.exited).signal).toBe('SIGKILL');
        a.output.push(child.output());
      });
    }

    /** Killed the moment moto has answered `operation` (the store changed, Rotor not yet told): the proxy holds the answer back. */
    async function killAtStore(a: Arranged, operation: string, act: () => Promise<unknown>): Promise<void> {
      let answered = false;
      proxy.queue({ kind: 'forward-then-hang', then: () => (answered = true) }, 1, operation);
      await killWhen(a, act, () => answered);
      proxy.clear();
    }

    /** A step left running by a kill is settled by Rotor's own lease check, as in production. */
    async function settleAfterLease(a: Arranged, rotationId: number, stepId: string): Promise<void> {
      if (stepOf(a.h, rotationId, stepId)?.state !== 'running') return;
      a.h.store.clock.advance({ minutes: 5 });
      await a.h.runtime.runJob('follow-up-sweep');
      expect(stepOf(a.h, rotationId, stepId)?.state, `${stepId} settled after the lease`).toBe('done');
    }

    async function begin(a: Arranged): Promise<number> {
      const { viewId } = await slashRotate(a.h, 'U0OWNER', a.name);
      await submitTicket(a.h, 'U0OWNER', viewId as string, 'SEC-21');
      const rotationId = metadataOf(modal(a.h, viewId as string)).rotationId as number;
      expect(rotationRecord(a.h, rotationId).steps.map((step) => step.action)).toEqual([...STEPS]);
      return rotationId;
    }

    /** Completes the rotation in-process and checks the end state: the new login works, and no value leaked anywhere. */
    async function finishAndSearch(a: Arranged, rotationId: number): Promise<void> {
      const viewId = await reopen(a);
      await press(a.h, 'U0OWNER', viewId, ACTION_IDS.rotationComplete);
      expect(rotationRecord(a.h, rotationId).rotation.state).toBe('completed');
      await watched();
      const current = (await namedCredentials(a.name)).map(({ credential }) => credential);
      expect(current).toHaveLength(1);
      expect(await logsIn(server, current[0] as LoginCredential)).toBe(true);

      const canaries = [...a.initial.map((credential) => credential.password), (current[0] as LoginCredential).password];
      const cli = [
        await rotorCli(a.h, 'rotations', 'evidence', String(rotationId)),
        await rotorCli(a.h, 'rotations', 'show', String(rotationId)),
        await rotorCli(a.h, 'show', a.name),
        await rotorCli(a.h, 'audit', 'export'),
      ];
      expect(cli.map((result) => result.code)).toEqual([0, 0, 0, 0]);
      a.output.push(a.h.rawLog());
      const files = readdirSync(a.h.store.dir).filter((file) => file.startsWith('rotor.db'));
      expect(files).toContain('rotor.db');
      const places: Record<string, string> = {
        ...Object.fromEntries(files.map((file) => [file, readFileSync(join(a.h.store.dir, file)).toString('latin1')])),
        'Rotor logs': a.output.join('\n'),
        'Slack calls': JSON.stringify(a.h.fake.calls) + JSON.stringify(a.h.fake.responses),
        'CLI output': cli.map((result) => result.stdout + result.stderr).join('\n'),
        'PostgreSQL log (log_statement = all)': server.log(),
      };
      expect(server.log()).toMatch(/statement: ALTER ROLE/);
      for (const [place, text] of Object.entries(places))
        for (const [index, canary] of canaries.entries()) expect(text.includes(canary), `canary ${index} in ${place}`).toBe(false);
    }

    it('alternating roles: killed after each step, restarted each time: the rotation resumes, and a login the store names always works', async () => {
      const a = await arrange('alternating');
      const rotationId = await begin(a);
      for (const stepId of STEPS) {
        const viewId = await reopen(a);
        await killWhen(a, clickRun(a.h, viewId), () => stepOf(a.h, rotationId, stepId)?.state === 'done');
        await watched();
        a.h.store.clock.advance({ minutes: 1 });
      }
      await finishAndSearch(a, rotationId);
    }, 180_000);

    it('alternating roles: killed in the middle of the store write, the ALTER ROLE and the promote: Rotor settles each after the lease and rolls forward', async () => {
      const a = await arrange('alternating');
      const rotationId = await begin(a);
      await midStepKills(a, rotationId);
    }, 180_000);

    it('a single role: killed in the middle of each changing step and after the others, the pending or the current login always works', async () => {
      const a = await arrange('single');
      const rotationId = await begin(a);
      await midStepKills(a, rotationId);
    }, 180_000);

    async function midStepKills(a: Arranged, rotationId: number): Promise<void> {
      // The store wrote AWSPENDING, Rotor has not recorded it.
      let viewId = await reopen(a);
      await killAtStore(a, 'PutSecretValue', clickRun(a.h, viewId));
      await watched();
      await settleAfterLease(a, rotationId, 'create_version');
      await watched();

      // The server took the new verifier; Rotor may not have recorded it.
      const role = (await namedCredentials(a.name)).find(({ stage }) => stage.includes('AWSPENDING'))?.credential.username as string;
      const verifierOf = async () =>
        (await server.sql<{ v: string }>('SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [role]))[0]?.v;
      const before = await verifierOf();
      viewId = await reopen(a);
      await killWhen(a, clickRun(a.h, viewId), async () => (await verifierOf()) !== before);
      await watched();
      await settleAfterLease(a, rotationId, 'set_at_target');
      await watched();

      // The steps that change nothing run in-process here (the first test kills after each of them).
      a.h.store.clock.advance({ minutes: 1 });
      viewId = await reopen(a);
      await press(a.h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
      expect(stepOf(a.h, rotationId, 'verify_at_target')?.state).toBe('done');
      await watched();

      // The store moved AWSCURRENT, Rotor has not recorded it.
      a.h.store.clock.advance({ minutes: 1 });
      viewId = await reopen(a);
      await killAtStore(a, 'UpdateSecretVersionStage', clickRun(a.h, viewId));
      await watched();
      await settleAfterLease(a, rotationId, 'promote');
      await watched();

      for (const stepId of ['verify', 'schedule_removal']) {
        a.h.store.clock.advance({ minutes: 1 });
        viewId = await reopen(a);
        await press(a.h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
        expect(stepOf(a.h, rotationId, stepId)?.state).toBe('done');
      }
      await finishAndSearch(a, rotationId);
    }
  },
);
