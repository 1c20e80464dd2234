import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { connect, createServer, type Server } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import type { LoginCredential } from '../../../src/targets/credential-target.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { shouldRunPostgresSuite, usePostgres, type PostgresServer } from '../../support/postgres.js';
import { logsIn } from '../../support/postgres-roles.js';
import { seedPostgresTargetSecret } from '../../support/postgres-target-secret.js';
import {
  incidentRecord,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  revokeConfirmed,
  statusShown,
  clickOnStatus,
} from '../../support/revocation-slack.js';
import { ACTION_IDS, FAST_RETRY, rotationRecord, rotorCli, stagesAt, startRotationHarness } from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Forwards `port` on loopback to `to`: the target that did not answer comes back. */
async function forward(port: number, to: number): Promise<Server> {
  const proxy = createServer((socket) => {
    const upstream = connect(to, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return proxy;
}

/** A session open as `credential`, as a consumer holding the compromised password has one. */
async function openSession(server: PostgresServer, credential: LoginCredential): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    database: 'postgres',
    user: credential.username,
    password: credential.password,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function sessionAlive(client: pg.Client): Promise<boolean> {
  try {
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

/**
 * Issue 21 item 6: `/revoke` of an AWS-backed (moto) PostgreSQL secret with a target, through the
 * real Bolt app with signed requests: in the confirmation's own flow the new credential is staged,
 * set and proved at a real PostgreSQL, made current, then the compromised role is refused at the
 * server and its open session ended; the status message and `rotor incidents evidence` say when.
 */
describe.runIf(shouldRunMotoSuite('target revocations') && shouldRunPostgresSuite('target revocations'))(
  '/revoke of a PostgreSQL secret with a target',
  () => {
    const moto = useMoto();
    const server = usePostgres();
    let harness: SlackHarness | undefined;
    const sessions: pg.Client[] = [];
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
      for (const session of sessions.splice(0)) await session.end().catch(() => undefined);
    });

    async function arrange(options: { roles: 'alternating' | 'single'; port?: number }) {
      const { name, active, other, initialVersion, target } = await seedPostgresTargetSecret(server, moto.sdk, { ...options, prefix: 'r' });
      harness = await startRotationHarness({
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
        policy: REVOCATION_POLICY,
        people: REVOCATION_PEOPLE,
        seed: (store) =>
          store.inventoryService.create(
            { name, type: 'database', owner: 'U0OWNER', provider: 'aws', providerRef: name, lastRotated: daysAgo(store.clock, 31), target },
            operator(),
            'test',
          ),
      });
      return { h: harness, name, active, other, compromisedVersion: initialVersion };
    }

    async function currentLogin(name: string): Promise<LoginCredential> {
      const read = await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' }));
      const value = JSON.parse(read.SecretString as string) as Record<string, string>;
      return { username: value.username as string, password: value.password as string };
    }

    it('alternating roles: the new role is set and logs in, then the compromised role is refused and its session ended, in the same flow; the status message and the evidence say when', async () => {
      const { h, name, active, other, compromisedVersion } = await arrange({ roles: 'alternating' });
      const session = await openSession(server, active);
      sessions.push(session);
      expect(await sessionAlive(session)).toBe(true);

      await revokeConfirmed(h, name);

      const incident = incidentRecord(h, 1).incident;
      const record = rotationRecord(h, incident.rotationId as number);
      expect(record.steps.map((step) => [step.id, step.action, step.state])).toEqual([
        ['create_version', 'create_version', 'done'],
        ['set_at_target', 'set_at_target', 'done'],
        ['verify_at_target', 'verify_at_target', 'done'],
        ['promote', 'promote', 'done'],
        ['revoke_at_issuer', 'lock_at_target', 'done'],
        ['hotfix_deploy', null, 'pending'],
        ['verify', 'verify', 'pending'],
        ['invalidate_sessions', null, 'pending'],
        ['disable_compromised', 'disable_compromised', 'pending'],
        ['search_logs', null, 'pending'],
        ['incident_report', null, 'pending'],
      ]);
      // Set and proved before the lock: the order of the steps' times says so.
      const doneAt = (id: string) => record.steps.find((step) => step.id === id)?.doneAt as string;
      expect(doneAt('verify_at_target') <= doneAt('revoke_at_issuer')).toBe(true);

      // At the server: the compromised role is refused, its open session is gone; the new role works.
      const fresh = await currentLogin(name);
      expect(fresh.username).toBe(other?.username);
      expect(await logsIn(server, active)).toBe(false);
      expect(await sessionAlive(session)).toBe(false);
      expect(await logsIn(server, fresh)).toBe(true);
      const stages = await stagesAt(moto, name);
      expect(stages[compromisedVersion]).toEqual(['AWSPREVIOUS']);

      const lock = record.steps.find((step) => step.id === 'revoke_at_issuer');
      expect(lock?.result).toMatchObject({
        loginRefused: true,
        sessionsEnded: 1,
        versionId: compromisedVersion,
        lockedAt: doneAt('revoke_at_issuer'),
      });

      // The status message: the lock with when and what, and no warning that the credential still works.
      const shown = statusShown(h);
      const text = JSON.stringify(shown.blocks);
      expect(text).toContain('Lock the compromised credential out at the target');
      expect(text).toContain(`refuses new logins (NOLOGIN); 1 session ended`);
      expect(text).not.toContain('The credential stays valid until it is revoked at its issuer.');

      // The incident evidence: when the new one was set and when the compromised one was locked out.
      const evidence = await rotorCli(h, 'incidents', 'evidence', '1');
      expect(evidence.code, evidence.stderr).toBe(0);
      const row = (label: string) => evidence.stdout.split('\n').find((line) => line.startsWith(`| ${label}`)) ?? '';
      expect(row('New credential set at the target')).toContain(`at ${doneAt('set_at_target')}`);
      expect(row('New credential logged in at the target')).toContain(`at ${doneAt('verify_at_target')}`);
      expect(row('Compromised credential locked out at PostgreSQL')).toContain(`at ${doneAt('revoke_at_issuer')}`);
      expect(row('Compromised credential locked out at PostgreSQL')).toContain('1 session ended');

      // Neither value anywhere Rotor writes or the server logs.
      for (const password of [fresh.password, active.password]) {
        expect(server.log()).not.toContain(password);
        expect(JSON.stringify(h.fake.calls)).not.toContain(password);
        expect(JSON.stringify(snapshotTables(h.store))).not.toContain(password);
        expect(evidence.stdout).not.toContain(password);
      }
    });

    it('a single role: the new password replaces the compromised one, and its open session is ended', async () => {
      const { h, name, active } = await arrange({ roles: 'single' });
      const session = await openSession(server, active);
      sessions.push(session);
      await revokeConfirmed(h, name);
      const record = rotationRecord(h, incidentRecord(h, 1).incident.rotationId as number);
      expect(record.steps.find((step) => step.id === 'revoke_at_issuer')).toMatchObject({
        state: 'done',
        result: { loginRefused: false, sessionsEnded: 1 },
      });
      const fresh = await currentLogin(name);
      expect(fresh.username).toBe(active.username);
      expect(await logsIn(server, active)).toBe(false);
      expect(await sessionAlive(session)).toBe(false);
      expect(await logsIn(server, fresh)).toBe(true);
    });

    it('the target unreachable: the new version stays staged, nothing is current or locked, the status message says what to do by hand; a Retry while it still does not answer does nothing more; once it answers, Retry sets, proves and locks', async () => {
      const port = await closedPort();
      const { h, name, active, compromisedVersion } = await arrange({ roles: 'alternating', port });
      await revokeConfirmed(h, name);
      const rotationId = incidentRecord(h, 1).incident.rotationId as number;
      const record = rotationRecord(h, rotationId);
      const set = record.steps.find((step) => step.id === 'set_at_target');
      expect(record.steps.find((step) => step.id === 'create_version')?.state).toBe('done');
      expect(set).toMatchObject({ state: 'pending', attempts: 1 });
      expect(set?.lastError).toMatch(/127\.0\.0\.1/);
      expect(record.steps.filter((step) => step.state === 'done').map((step) => step.id)).toEqual(['create_version']);

      // The new version is staged and kept; the compromised one is still current and still logs in.
      const stages = await stagesAt(moto, name);
      expect(stages[compromisedVersion]).toEqual(['AWSCURRENT']);
      expect(stages[record.rotation.newVersionId as string]).toEqual(['AWSPENDING']);
      expect(await logsIn(server, active)).toBe(true);

      const text = JSON.stringify(statusShown(h).blocks);
      expect(text).toContain('Set the new password at the target failed:');
      expect(text).toContain('The new value is staged in the store and kept');
      expect(text).toContain('ALTER ROLE <role> NOLOGIN');
      expect(text).toContain('The credential stays valid until it is revoked at its issuer.');

      // A Retry while it still does not answer: told so, nothing more is done.
      await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentRetry);
      expect(
        rotationRecord(h, rotationId)
          .steps.filter((step) => step.state === 'done')
          .map((step) => step.id),
      ).toEqual(['create_version']);
      expect(await logsIn(server, active)).toBe(true);

      // The target answers again: Retry runs the failed step and the rest up to the lock-out.
      const proxy = await forward(port, server.port);
      try {
        await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentRetry);
      } finally {
        await new Promise<void>((resolve) => proxy.close(() => resolve()));
      }
      const after = rotationRecord(h, rotationId);
      expect(after.steps.filter((step) => step.state === 'done').map((step) => step.id)).toEqual([
        'create_version',
        'set_at_target',
        'verify_at_target',
        'promote',
        'revoke_at_issuer',
      ]);
      expect(await logsIn(server, active)).toBe(false);
      expect(await logsIn(server, await currentLogin(name))).toBe(true);
    });
  },
);
