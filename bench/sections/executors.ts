/**
 * (6) Executors (issue 21): PostgreSQL roles rotated end to end through the engine against a real
 * PostgreSQL, each against its raw floor: the same work done directly with `pg` (a SCRAM verifier
 * computed, `ALTER ROLE … PASSWORD` as the managing role, a fresh login as the role and `SELECT 1`).
 *
 * Each rotation is driven as a person's *Run* drives it: the rotation service's start, both
 * approvals (granted here by a security lead and a DevOps lead), every step through the step
 * runner (stage the new version, set it at the target, log in with it, promote, verify, schedule
 * the removal), then completion. Automatic rotation (issue 21 item 5) will drive the same step
 * runner; it is not used here. The store is the fake Vault (KV v2 over HTTP, the real adapter),
 * so the section needs no moto; alternating roles, so every rotation sets the inactive role.
 * Rotations and floors alternate one by one, so machine noise hits both.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { slackActor, SYSTEM_ACTOR } from '../../src/access/actor.js';
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
retention_hours: 48
`;
const OWNER = slackActor('U0OWNER');
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
          lastRotated: '2027-01-01',
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
    });

    // One of each first, unmeasured: connections, the JIT and the statement caches warm up.
    await rawRotation(server, manager, await createLoginRole(server, uniqueRole('warm')));
    const times = { rotor: [] as number[], floor: [] as number[] };
    for (let index = 0; index < options.rotations; index += 1) {
      clock.advance({ minutes: 10 });
      let started = performance.now();
      await rotateThroughEngine(runtime, names[index] as string);
      times.rotor.push(performance.now() - started);
      started = performance.now();
      await rawRotation(server, manager, floorRoles[index] as LoginCredential);
      times.floor.push(performance.now() - started);
    }
    const completed = db.prepare(`SELECT count(*) FROM rotations WHERE state = 'completed'`).pluck().get() as number;
    if (completed !== options.rotations) throw new Error(`executors: ${completed} of ${options.rotations} rotations completed`);
    const rotor = median(times.rotor);
    const floor = median(times.floor);
    return {
      figures: [
        figure({
          section: 'executors',
          label: `PostgreSQL role rotated end to end through the engine (approvals, Run on each step), median of ${options.rotations}`,
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
        driven: "rotation service start → two approvals → every step through the step runner, as a person's Run (not automatic rotation)",
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

/** Start, both approvals, Run on every step in order, complete: what the modal's buttons do. */
async function rotateThroughEngine(runtime: Runtime, name: string): Promise<void> {
  const started = await runtime.rotation.start(OWNER, name, { ticket: 'BENCH-1' });
  const id = started.rotation.id;
  for (const approver of APPROVERS) runtime.rotation.approve(approver, id);
  for (;;) {
    const record = runtime.rotation.get(id);
    const step = record.steps.find((candidate) => candidate.state === 'pending');
    if (!step) break;
    if (step.action === null) runtime.rotation.tickStep(OWNER, id, step.id, { expectedVersion: record.rotation.version });
    else {
      const { error } = await runtime.rotation.runStep(OWNER, id, step.id, { expectedVersion: record.rotation.version });
      if (error) throw error;
    }
  }
  runtime.rotation.complete(OWNER, id, runtime.rotation.get(id).rotation.version);
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
