import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { shouldRunPostgresSuite, usePostgres } from '../../support/postgres.js';
import { createLoginRole, createManagingRole, logsIn, uniqueRole } from '../../support/postgres-roles.js';
import { seedPostgresTargetSecret } from '../../support/postgres-target-secret.js';
import { shouldRunRedisSuite, useRedis } from '../../support/redis.js';
import { createAppUser, createManagingUser, logsIn as redisLogsIn, uniqueUser } from '../../support/redis-users.js';
import {
  ACTION_IDS,
  button,
  clickInMessage,
  dmsTo,
  FAST_RETRY,
  followUpsSettled,
  postsTo,
  ROTATION_POLICY,
  rotationRecord,
  startRotationHarness,
  waitForDms,
  waitForPosts,
} from '../../support/rotation-slack.js';
import { responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { useFakeVault } from '../../support/vault.js';

/**
 * Issue 21 item 5: secrets the policy marks automatic are rotated by Rotor when they come due.
 * Rotor opens the rotation, the approvers are asked in Slack (signed clicks on the real Bolt app),
 * and once they approved every executor step runs without a person, at real servers; at the end of
 * the retention window Rotor retires the old credential itself. Failures are told once, retried
 * with backoff, given a fresh value, and escalated when nothing helps.
 */
const AUTOMATIC_POLICY = `${ROTATION_POLICY}
automatic:
  types: [database, redis]
  retry_minutes: [5, 30]
  attempts: 2
  values: 2
`;

/** Due in ten days at the harness's clock, so nothing starts before the test moves the clock. */
function lastRotatedFor(harnessClock: { now(): { minus(d: { days: number }): { toISODate(): string | null } } }): string {
  return harnessClock.now().minus({ days: 80 }).toISODate() as string;
}

async function comeDue(h: SlackHarness): Promise<void> {
  h.store.clock.advance({ days: 11 });
  await h.runtime.runJob('automatic-rotation');
  await followUpsSettled(h);
}

async function approveBoth(h: SlackHarness, count = 1): Promise<void> {
  for (const lead of ['U0SEC', 'U0OPS']) {
    const requests = await waitForDms(h, lead, /^Approval requested/, count);
    h.store.clock.advance({ minutes: 1 });
    await clickInMessage(h, lead, requests[count - 1]!, ACTION_IDS.rotationApprove);
  }
  await followUpsSettled(h);
}

function rotations(
  h: SlackHarness,
): { id: number; state: string; started_by: string; new_fingerprint: string | null; end_reason: string | null }[] {
  return h.store.db.prepare('SELECT id, state, started_by, new_fingerprint, end_reason FROM rotations ORDER BY id').all() as never;
}

function auditActions(h: SlackHarness, prefix: string): string[] {
  return h.store.db.prepare(`SELECT action FROM audit_events WHERE action LIKE ? ORDER BY seq`).pluck().all(`${prefix}%`) as string[];
}

describe.runIf(shouldRunMotoSuite('automatic rotations') && shouldRunPostgresSuite('automatic rotations'))(
  'automatic rotation of a PostgreSQL secret, through Slack',
  () => {
    const moto = useMoto();
    const server = usePostgres();
    let harness: SlackHarness | undefined;
    afterEach(async () => harness?.close());

    async function currentValue(name: string): Promise<Record<string, unknown>> {
      const read = await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' }));
      return JSON.parse(read.SecretString as string) as Record<string, unknown>;
    }

    async function arrange(roles: 'alternating' | 'single') {
      const { name, manager, active, other, value, initialVersion, target } = await seedPostgresTargetSecret(server, moto.sdk, { roles });
      harness = await startRotationHarness({
        policy: AUTOMATIC_POLICY,
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
        seed: (store) =>
          store.inventoryService.create(
            {
              name,
              type: 'database',
              owner: 'U0OWNER',
              provider: 'aws',
              providerRef: name,
              lastRotated: lastRotatedFor(store.clock),
              target,
            },
            operator(),
            'test',
          ),
      });
      return { h: harness, name, manager, active, other, value, initialVersion };
    }

    it('alternating roles: Rotor opens it when due, waits for two approvals in Slack, rotates at the server, and retires the old role after the window', async () => {
      const { h, name, active, other, value, initialVersion } = await arrange('alternating');
      await h.runtime.runJob('automatic-rotation');
      expect(rotations(h)).toEqual([]);

      await comeDue(h);
      const [opened] = rotations(h);
      expect(opened).toMatchObject({ state: 'awaiting_approval', started_by: 'rotor' });
      const id = (opened as { id: number }).id;
      // Staged first; nothing changed at the server before the approvals.
      const pending = rotationRecord(h, id).rotation.newVersionId as string;
      const staged = JSON.parse(
        (await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionId: pending }))).SecretString as string,
      ) as Record<string, string>;
      expect(staged.username).toBe(other?.username);
      const fresh = { username: staged.username as string, password: staged.password as string };
      expect(await logsIn(server, fresh)).toBe(false);
      const [request] = await waitForDms(h, 'U0SEC', /^Approval requested/);
      expect(JSON.stringify(request?.args.blocks)).toContain('Rotor');

      await approveBoth(h);
      const record = rotationRecord(h, id);
      expect(record.rotation).toMatchObject({ state: 'completed', reason: 'scheduled', heldBy: 'rotor', ticket: null });
      expect(record.steps.map((step) => [step.action, step.state, step.doneBy])).toEqual([
        ['create_version', 'done', 'rotor'],
        ['set_at_target', 'done', 'rotor'],
        ['verify_at_target', 'done', 'rotor'],
        ['promote', 'done', 'rotor'],
        ['verify', 'done', 'rotor'],
        ['schedule_removal', 'done', 'rotor'],
      ]);
      const [announcement] = await waitForPosts(h, 'C0ANNOUNCE', /was rotated/);
      expect(JSON.stringify(announcement?.args.blocks)).toContain('by Rotor');

      const labels = (await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
      expect(labels[pending]).toEqual(['AWSCURRENT']);
      expect(labels[initialVersion]).toEqual(['AWSPREVIOUS']);
      const current = await currentValue(name);
      expect(Object.keys(current)).toEqual(Object.keys(value));
      expect({ ...current, username: value.username, password: value.password }).toEqual(value);
      expect(current).toMatchObject({ username: other?.username, password: fresh.password });
      expect(await logsIn(server, fresh)).toBe(true);
      expect(await logsIn(server, active)).toBe(true);
      expect(server.log()).not.toContain(fresh.password);
      expect(JSON.stringify(h.fake.calls)).not.toContain(fresh.password);
      expect(JSON.stringify(snapshotTables(h.store))).not.toContain(fresh.password);

      // Through the retention window the previous role keeps working; at its end Rotor retires it, nobody asked.
      h.store.clock.advance({ hours: 47 });
      await h.runtime.runJob('follow-up-sweep');
      expect(await logsIn(server, active)).toBe(true);
      h.store.clock.advance({ hours: 2 });
      await h.runtime.runJob('follow-up-sweep');
      await followUpsSettled(h);
      expect(await logsIn(server, active)).toBe(false);
      expect(await logsIn(server, fresh)).toBe(true);
      expect(h.fake.calls.some((call) => /^Remove the previous version/.test(String(call.args.text)))).toBe(false);
      const removed = h.store.db
        .prepare(`SELECT actor, details FROM audit_events WHERE action = 'rotation.previous_removed' ORDER BY seq DESC LIMIT 1`)
        .get() as { actor: string; details: string };
      expect(removed.actor).toBe('rotor');
      expect(JSON.parse(removed.details)).toMatchObject({ retiredAtTarget: `role ${active.username} was given NOLOGIN` });

      // The next cycle is months away: the job starts nothing more.
      await h.runtime.runJob('automatic-rotation');
      expect(rotations(h)).toHaveLength(1);
    });

    it('a single role: rotated automatically after the approvals; the new password logs in and the old one is refused', async () => {
      const { h, name, active } = await arrange('single');
      await comeDue(h);
      await approveBoth(h);
      const [rotation] = rotations(h);
      expect(rotation).toMatchObject({ state: 'completed', started_by: 'rotor' });
      const current = await currentValue(name);
      expect(current.username).toBe(active.username);
      expect(await logsIn(server, { username: active.username, password: current.password as string })).toBe(true);
      expect(await logsIn(server, active)).toBe(false);
      expect(server.log()).not.toContain(current.password as string);
    });

    it('a target that refuses: owner and channel told once, retried after the backoff, then a fresh value, which succeeds once the target is fixed', async () => {
      const { h, manager } = await arrange('alternating');
      await comeDue(h);
      await server.sql(`ALTER ROLE "${manager.username}" NOCREATEROLE`);
      await approveBoth(h);
      const [first] = rotations(h);
      const firstId = (first as { id: number }).id;
      expect(rotationRecord(h, firstId).steps.find((step) => step.action === 'set_at_target')).toMatchObject({
        state: 'pending',
        attempts: 1,
      });
      const [told] = await waitForDms(h, 'U0OWNER', /automatic rotation of .* failed/);
      expect(String(told?.args.text)).toMatch(/tries again at/);
      await waitForPosts(h, 'C0ANNOUNCE', /automatic rotation of .* failed/);

      // Backoff: nothing is retried before its time.
      h.store.clock.advance({ minutes: 4 });
      await h.runtime.runJob('follow-up-sweep');
      expect(rotationRecord(h, firstId).steps.find((step) => step.action === 'set_at_target')?.attempts).toBe(1);
      // The second failure of the same value gives it up: the rotation is abandoned and a fresh one opened.
      h.store.clock.advance({ minutes: 2 });
      await h.runtime.runJob('follow-up-sweep');
      await followUpsSettled(h);
      // The fresh value's rotation is opened at once; its preflight still finds the target refusing, and is retried after the backoff.
      await server.sql(`ALTER ROLE "${manager.username}" CREATEROLE`);
      h.store.clock.advance({ minutes: 6 });
      await h.runtime.runJob('follow-up-sweep');
      await followUpsSettled(h);
      expect(auditActions(h, 'automatic_rotation.')).toEqual(['automatic_rotation.fresh_value']);
      await approveBoth(h, 2);
      const [abandoned, second] = rotations(h);
      expect(abandoned).toMatchObject({ state: 'abandoned', end_reason: expect.stringMatching(/a fresh value is tried/) });
      expect(second).toMatchObject({ state: 'completed', started_by: 'rotor' });
      expect(second?.new_fingerprint).not.toBe(abandoned?.new_fingerprint);
      // Told once, not once per failure.
      expect(dmsTo(h, 'U0OWNER').filter((call) => /automatic rotation of .* failed/.test(String(call.args.text)))).toHaveLength(1);
      expect(postsTo(h, 'C0ANNOUNCE').filter((call) => /automatic rotation of .* failed/.test(String(call.args.text)))).toHaveLength(1);
    });

    it('issue 23: a plan variant of plans.automatic is rotated by Rotor when its turn comes, without a person', async () => {
      const key = `${uniqueRole('k')}/db`;
      const role = await createLoginRole(server, uniqueRole('app'));
      const manager = await createManagingRole(server);
      await moto.sdk.send(new CreateSecretCommand({ Name: `dev/${key}_admin`, SecretString: JSON.stringify(manager) }));
      const value = {
        engine: 'postgres',
        host: server.host,
        port: server.port,
        username: role.username,
        password: role.password,
        dbname: 'postgres',
      };
      await moto.sdk.send(new CreateSecretCommand({ Name: `dev/${key}`, SecretString: JSON.stringify(value) }));
      harness = await startRotationHarness({
        policy: `${ROTATION_POLICY}\nplans:\n  order: [dev, staging]\n  automatic: [dev]\n`,
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
        seed: (store) => {
          const target = {
            engine: 'postgres',
            host: server.host,
            port: server.port,
            dbname: 'postgres',
            tls: 'disable',
            role: role.username,
            managing_ref: `dev/${key}_admin`,
          };
          for (const environment of ['dev', 'staging'])
            store.inventoryService.create(
              {
                name: `${environment}/${key}`,
                type: 'database',
                owner: 'U0OWNER',
                provider: 'aws',
                providerRef: `${environment}/${key}`,
                lastRotated: lastRotatedFor(store.clock),
                ...(environment === 'dev' ? { target } : {}),
              },
              operator(),
              'test',
            );
        },
      });
      const h = harness;
      const { responseUrl } = await h.untilHandled(() => h.command('/rotate', key, 'U0OWNER'));
      const offer = (await h.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl))).body as { blocks: unknown[] };
      const start = button(offer, ACTION_IDS.planStart);
      await h.untilHandled(() =>
        h.click({ actionId: ACTION_IDS.planStart, value: start?.value ?? '', userId: 'U0OWNER', channelId: 'C0OPS' }),
      );
      await followUpsSettled(h);
      const [dev] = rotations(h);
      expect(dev).toMatchObject({ state: 'completed', started_by: 'rotor' });
      const current = await currentValue(`dev/${key}`);
      expect(await logsIn(server, { username: role.username, password: current.password as string })).toBe(true);
      const [reply] = await waitForPosts(h, 'C0ANNOUNCE', /is verified\. Next/);
      expect(String(reply?.args.text)).toContain(`Next: \`staging/${key}\` may start now`);
    });

    it('a target that keeps refusing: after the fresh value fails too, Rotor stops and escalates, and does not start again', async () => {
      const { h, name, manager, active } = await arrange('alternating');
      await comeDue(h);
      await server.sql(`ALTER ROLE "${manager.username}" NOCREATEROLE`);
      await approveBoth(h);
      for (const minutes of [5, 5, 5, 30]) {
        h.store.clock.advance({ minutes: minutes + 1 });
        await h.runtime.runJob('follow-up-sweep');
        await followUpsSettled(h);
      }
      expect(auditActions(h, 'automatic_rotation.')).toEqual(['automatic_rotation.fresh_value', 'automatic_rotation.stopped']);
      for (const person of ['U0OWNER', 'U0SEC']) await waitForDms(h, person, /Rotor stopped rotating/);
      await waitForPosts(h, 'C0ANNOUNCE', /Rotor stopped rotating/);
      expect(rotations(h).map((rotation) => rotation.state)).toEqual(['abandoned']);
      expect(h.store.db.prepare('SELECT lifecycle FROM secrets WHERE name = ?').pluck().get(name) as string).toBe('active');
      expect(await logsIn(server, active)).toBe(true);
      // Never a loop: days later the job and the sweeps start nothing more, and nobody is told again.
      h.store.clock.advance({ days: 2 });
      await h.runtime.runJob('automatic-rotation');
      await h.runtime.runJob('follow-up-sweep');
      await followUpsSettled(h);
      expect(rotations(h)).toHaveLength(1);
      expect(dmsTo(h, 'U0OWNER').filter((call) => /automatic rotation of .* failed/.test(String(call.args.text)))).toHaveLength(1);
      expect(dmsTo(h, 'U0OWNER').filter((call) => /Rotor stopped rotating/.test(String(call.args.text)))).toHaveLength(1);
    });
  },
);

describe.runIf(shouldRunRedisSuite('automatic Redis rotations'))('automatic rotation of a Redis ACL user, through Slack', () => {
  const vault = useFakeVault();
  const server = useRedis();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('Vault-backed: two approvals, then the new password beside the old, both working until Rotor removes the old one at the end of the window', async () => {
    const suffix = randomBytes(4).toString('hex');
    const name = `prod/cache${suffix}/redis_password`;
    const app = await createAppUser(server, uniqueUser('app'));
    const manager = await createManagingUser(server);
    vault.fake.putSecret('secret', `prod/cache${suffix}/redis_admin`, { username: manager.username, password: manager.password });
    vault.fake.putSecret('secret', name, { username: app.username, password: app.password, host: server.host });
    harness = await startRotationHarness({
      policy: AUTOMATIC_POLICY,
      vault: () => new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY }),
      seed: (store) =>
        store.inventoryService.create(
          {
            name,
            type: 'redis',
            owner: 'U0OWNER',
            provider: 'vault',
            providerRef: `secret/${name}`,
            lastRotated: lastRotatedFor(store.clock),
            target: {
              engine: 'redis',
              host: server.host,
              port: server.port,
              tls: 'disable',
              user: app.username,
              managing_ref: `secret/prod/cache${suffix}/redis_admin`,
            },
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    await comeDue(h);
    // KV v2 makes a write current at once: nothing is written before the approvals.
    expect(vault.fake.version('secret', name, 2)).toBeUndefined();
    await approveBoth(h);
    const [rotation] = rotations(h);
    expect(rotation).toMatchObject({ state: 'completed', started_by: 'rotor' });
    const written = vault.fake.version('secret', name, 2)?.data as Record<string, string>;
    expect(Object.keys(written)).toEqual(['username', 'password', 'host']);
    const fresh = { username: app.username, password: written.password as string };
    expect(await redisLogsIn(server, fresh)).toBe(true);
    expect(await redisLogsIn(server, app)).toBe(true);
    expect(JSON.stringify(h.fake.calls)).not.toContain(fresh.password);
    expect(JSON.stringify(snapshotTables(h.store))).not.toContain(fresh.password);

    h.store.clock.advance({ hours: 49 });
    await h.runtime.runJob('follow-up-sweep');
    await followUpsSettled(h);
    expect(await redisLogsIn(server, app)).toBe(false);
    expect(await redisLogsIn(server, fresh)).toBe(true);
  });
});
