/**
 * (6) Executors (issue 21): PostgreSQL roles rotated automatically, end to end, through the
 * automatic rotation service against a real PostgreSQL, each against its raw floor: the same work
 * done directly with `pg` (a SCRAM verifier computed, `ALTER ROLE … PASSWORD` as the managing role,
 * a fresh login as the role and `SELECT 1`).
 *
 * Every secret is of a type the policy's `automatic.types` names, and each comes due on its own
 * day. A rotation is what the bot does when one comes due: the automatic-rotation job schedules its
 * start, the follow-up sweep opens the rotation as Rotor (staging the new version), both approvals
 * are granted here (a security lead and a DevOps lead, the clicks' service calls), and the sweep's
 * drive follow-up runs every executor step (set it at the target, log in with it, promote, verify,
 * schedule the removal) and completes the rotation. No Slack: its follow-ups wait unclaimed, so
 * what is timed is Rotor's own work. The retention window outlasts the bench, so no removal of a
 * previous credential falls inside a timed rotation. The store is the fake Vault (KV v2 over HTTP,
 * the real adapter), so the section needs no moto; alternating roles, so every rotation sets the
 * inactive role. Rotations and floors alternate one by one, so machine noise hits both.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { slackActor, SYSTEM_ACTOR } from '../../src/access/actor.js';
import { DateTime } from 'luxon';
import { parsePolicy } from '../../src/config/policy.js';
import { FixedClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/logging/logger.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { scramSha256Verifier } from '../../src/targets/postgres/scram-verifier.js';
import { generateTargetPassword } from '../../src/targets/target-password-generator.js';
import type { LoginCredential } from '../../src/targets/credential-target.js';
import { createServices } from '../../src/services.js';
import { openDatabase } from '../../src/storage/database.js';
import { FakeVaultServer } from '../../test/fakes/vault-kv2-server.js';
import { createAlternatingPair, createLoginRole, createManagingRole, uniqueRole } from '../../test/support/postgres-roles.js';
import { findPostgresBinaries, startPostgres, type PostgresServer } from '../../test/support/postgres-server.js';
import { figure, median, percentile, type Figure } from '../support/report.js';

const POLICY = `
environments: [prod, staging, dev]
roles:
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
retention_hours: 4380
intervals:
  database: 365
automatic:
  types: [database]
`;
const APPROVERS = [slackActor('U0SEC'), slackActor('U0OPS')];

export async function executorSection(options: {
  dir: string;
  rotations: number;
}): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  if (!findPostgresBinaries()) {
    process.stderr.write(
      'executors: PostgreSQL (initdb, postgres) is not installed; the section is skipped. Install the postgresql package.\n',
    );
    return { figures: [], details: { skipped: 'PostgreSQL is not installed' } };
  }
  const server = await startPostgres();
  const token = `bench-${randomBytes(8).toString('hex')}`;
  const vault = new FakeVaultServer({ token, mounts: { secret: 2 } });
  await vault.start();
  const db = openDatabase(join(options.dir, 'executors.db'));
  const clock = new FixedClock('2027-02-01T10:00:00Z');
  const policy = parsePolicy(POLICY);
  const provider = new VaultKv2Provider({
    endpoint: vault.address,
    token,
    retry: { attempts: 2, timeoutMs: 10_000, baseDelayMs: 5, maxDelayMs: 20 },
  });
  let runtime: Runtime | undefined;
  try {
    const manager = await createManagingRole(server);
    vault.putSecret('secret', 'prod/bench/db_admin', { username: manager.username, password: manager.password });
    const services = createServices(db, clock, policy);
    // Secret i comes due on day i + 1 of the bench: one a day, the day its turn comes.
    const firstDue = DateTime.fromISO(clock.now().toISODate() as string, { zone: 'utc' }).minus({ days: policy.intervals.database });
    const names: string[] = [];
    for (let index = 0; index < options.rotations; index += 1) {
      const pair = await createAlternatingPair(server);
      const name = `prod/bench${String(index).padStart(3, '0')}/db`;
      vault.putSecret('secret', name, { username: pair.first.username, password: pair.first.password, host: server.host });
      services.inventoryService.create(
        {
          name,
          type: 'database',
          owner: 'U0OWNER',
          provider: 'vault',
          providerRef: `secret/${name}`,
          lastRotated: firstDue.plus({ days: index + 1 }).toISODate() as string,
          target: {
            engine: 'postgres',
            host: server.host,
            port: server.port,
            dbname: 'postgres',
            tls: 'disable',
            roles: [pair.first.username, pair.second.username],
            managing_ref: 'secret/prod/bench/db_admin',
          },
        },
        SYSTEM_ACTOR,
        'bench',
      );
      names.push(name);
    }
    const floorRoles: LoginCredential[] = [];
    for (let index = 0; index < options.rotations; index += 1) floorRoles.push(await createLoginRole(server, uniqueRole('floor')));
    runtime = createRuntime({
      db,
      clock,
      policy,
      logger: createLogger('silent'),
      providers: { registry: createProviderRegistry({ vault: provider }), close: () => undefined },
      slack: null,
      // Sweeps run here, one after the other, not in the background after each change.
      sweepAfterChanges: false,
    });

    // One of each first, unmeasured: connections, the JIT and the statement caches warm up.
    await rawRotation(server, manager, await createLoginRole(server, uniqueRole('warm')));
    const times = { rotor: [] as number[], floor: [] as number[] };
    for (let index = 0; index < options.rotations; index += 1) {
      clock.advance({ days: 1 });
      let started = performance.now();
      await rotateAutomatically(runtime, names[index] as string);
      times.rotor.push(performance.now() - started);
      started = performance.now();
      await rawRotation(server, manager, floorRoles[index] as LoginCredential);
      times.floor.push(performance.now() - started);
    }
    const completed = db
      .prepare(`SELECT count(*) FROM rotations WHERE state = 'completed' AND started_by = 'rotor' AND held_by = 'rotor'`)
      .pluck()
      .get() as number;
    if (completed !== options.rotations)
      throw new Error(`executors: ${completed} of ${options.rotations} rotations completed automatically`);
    const rotor = median(times.rotor);
    const floor = median(times.floor);
    return {
      figures: [
        figure({
          section: 'executors',
          label: `PostgreSQL role rotated automatically end to end (due → opened by Rotor → two approvals → every step), median of ${options.rotations}`,
          unit: 'ms',
          rotor,
          floor,
          note: 'floor: SCRAM verifier + ALTER ROLE + login + SELECT 1 with pg',
        }),
        figure({
          section: 'executors',
          label: `same, p95 of ${options.rotations}`,
          unit: 'ms',
          rotor: percentile(times.rotor, 95),
          floor: percentile(times.floor, 95),
        }),
      ],
      details: {
        rotations: options.rotations,
        driven:
          'automatic rotation: scheduleDue (the job) → follow-up sweep opens it as Rotor → two approvals → sweeps drive every step and complete it',
        store: 'fake Vault (KV v2) through the real adapter',
        rotorMs: times.rotor,
        floorMs: times.floor,
      },
    };
  } finally {
    runtime?.close();
    db.close();
    await vault.stop();
    await server.stop();
  }
}

/**
 * One automatic rotation, as the bot does it: the job finds the secret due and schedules its start,
 * the follow-up sweep opens the rotation (its first step stages the new version, then it waits for
 * approvals), both approvals are granted, and the sweep's drive runs every step and completes it.
 */
async function rotateAutomatically(runtime: Runtime, name: string): Promise<void> {
  const scheduled = runtime.automatic.scheduleDue();
  if (scheduled !== 1) throw new Error(`executors: the job scheduled ${scheduled} rotations when ${name} came due, not 1`);
  await sweepUntilIdle(runtime);
  const opened = runtime.rotation.openFor(name);
  if (!opened) throw new Error(`executors: Rotor opened no rotation of ${name}${lastAutomaticFailure(runtime)}`);
  for (const approver of APPROVERS) runtime.rotation.approve(approver, opened.rotation.id);
  await sweepUntilIdle(runtime);
  const state = runtime.rotation.get(opened.rotation.id).rotation.state;
  if (state !== 'completed') throw new Error(`executors: rotation of ${name} is ${state}, not completed${lastAutomaticFailure(runtime)}`);
}

/** Sweeps until a sweep finds nothing due it can do (what each did may have scheduled the next: the drive after a start). */
async function sweepUntilIdle(runtime: Runtime): Promise<void> {
  for (let sweeps = 0; sweeps < 20; sweeps += 1) {
    const report = await runtime.followUps.service.sweep();
    if (report.done + report.reconciled === 0) return;
  }
  throw new Error('executors: the follow-up sweeps still found work after 20 rounds');
}

function lastAutomaticFailure(runtime: Runtime): string {
  const row = runtime.services.db
    .prepare(`SELECT action, details FROM audit_events WHERE action LIKE 'automatic_rotation.%' ORDER BY seq DESC LIMIT 1`)
    .get() as { action: string; details: string } | undefined;
  return row ? ` (${row.action}: ${row.details})` : '';
}

/** The floor: the same change done directly, as the managing role, then a fresh login as the role. */
async function rawRotation(server: PostgresServer, manager: LoginCredential, role: LoginCredential): Promise<void> {
  const password = generateTargetPassword();
  const managing = new pg.Client({
    host: server.host,
    port: server.port,
    database: 'postgres',
    user: manager.username,
    password: manager.password,
  });
  await managing.connect();
  try {
    await managing.query(`ALTER ROLE "${role.username}" WITH LOGIN PASSWORD '${scramSha256Verifier(password)}'`);
  } finally {
    await managing.end();
  }
  const login = new pg.Client({ host: server.host, port: server.port, database: 'postgres', user: role.username, password });
  await login.connect();
  try {
    await login.query('SELECT 1');
  } finally {
    await login.end();
  }
}
