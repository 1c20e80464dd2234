import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/audit-log.js';
import { parsePolicy } from '../../src/config/policy.js';
import { createLogger } from '../../src/logging/logger.js';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import type { SecretProvider } from '../../src/providers/secret-provider.js';
import { BUILT_IN_STORES } from '../../src/providers/store-catalog.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { ROTATION_FOLLOW_UPS } from '../../src/rotation/rotation-follow-ups.js';
import { PreflightBlockedError, StaleRotationError } from '../../src/rotation/rotation-service.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { InMemorySecretStore } from '../fakes/in-memory-store.js';
import { operator, slackActor } from '../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { useFakeVault } from '../support/vault.js';
import { daysAgo } from '../support/clock-dates.js';

const FAST = { attempts: 2, timeoutMs: 3_000, baseDelayMs: 1, maxDelayMs: 2 };
const POLICY = parsePolicy(`
channels:
  announce: C0ANNOUNCE
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC, U0SEC2]
  devops_leads: [U0OPS]
retention_hours: 48
`);

const OWNER = slackActor('U0OWNER');
const SEC = slackActor('U0SEC');
const OPS = slackActor('U0OPS');

function runtimeFor(store: TempStore, providers: { aws?: SecretProvider; vault?: SecretProvider }): Runtime {
  return createRuntime({
    db: store.db,
    clock: store.clock,
    policy: store.policy,
    logger: createLogger('silent'),
    providers: { registry: createProviderRegistry(providers), close: () => providers.aws?.destroy?.() },
    slack: null,
  });
}

/** Ticks or runs every step until `stopAt` (exclusive), as the person holding the rotation would. */
async function driveUntil(runtime: Runtime, id: number, stopAt: string | null, actor = OWNER): Promise<void> {
  for (;;) {
    const record = runtime.rotation.get(id);
    const step = record.steps.find((candidate) => candidate.state === 'pending');
    if (!step || step.id === stopAt) return;
    if (step.action === null) runtime.rotation.tickStep(actor, id, step.id, { expectedVersion: record.rotation.version });
    else {
      const { error } = await runtime.rotation.runStep(actor, id, step.id, { expectedVersion: record.rotation.version });
      if (error) throw error;
    }
  }
}

/** A store that stages versions (AWS's kind): moto behind the real adapter, or the in-memory store driven by the kind's capabilities. */
interface StagingBackend {
  /** A fresh connection for one test. */
  connect(): SecretProvider;
  /** Creates the secret with a value made at run time; returns its first version. */
  create(ref: string): Promise<string>;
  /** Each version's staging labels. */
  labels(ref: string): Promise<Record<string, string[]>>;
  /** A version written by hand, left pending outside Rotor. */
  writePendingByHand(ref: string): Promise<void>;
}

function motoBackend(): StagingBackend {
  const moto = useMoto();
  return {
    connect: () => new AwsSecretsManagerProvider({ retry: FAST }),
    create: async (ref) =>
      (await moto.sdk.send(new CreateSecretCommand({ Name: ref, SecretString: randomBytes(12).toString('hex') }))).VersionId as string,
    labels: async (ref) => (await moto.sdk.send(new DescribeSecretCommand({ SecretId: ref }))).VersionIdsToStages ?? {},
    writePendingByHand: async (ref) => {
      await moto.sdk.send(
        new PutSecretValueCommand({ SecretId: ref, SecretString: randomBytes(8).toString('hex'), VersionStages: ['AWSPENDING'] }),
      );
    },
  };
}

function memoryBackend(): StagingBackend {
  let memory = new InMemorySecretStore('aws', BUILT_IN_STORES.of('aws').capabilities);
  return {
    connect: () => (memory = new InMemorySecretStore('aws', BUILT_IN_STORES.of('aws').capabilities)),
    create: async (ref) => memory.put(ref),
    labels: async (ref) => memory.labelsOf(ref),
    writePendingByHand: async (ref) => {
      memory.writeByHand(ref);
    },
  };
}

describe.runIf(shouldRunMotoSuite('the rotation service suite'))('RotationService against moto (AWS)', () =>
  stagingStoreScenarios(motoBackend()),
);
describe('RotationService against the in-memory staging store (AWS-like, no moto)', () => stagingStoreScenarios(memoryBackend()));

function stagingStoreScenarios(backend: StagingBackend): void {
  let store: TempStore;
  let runtime: Runtime;
  let initialVersion: string;

  beforeEach(async () => {
    store = openTempStore({ at: '2027-02-01T10:00:00Z', policy: POLICY });
    const provider = backend.connect();
    initialVersion = await backend.create('prod/app/db');
    store.inventoryService.create(
      {
        name: 'prod/app/db',
        type: 'database',
        owner: 'U0OWNER',
        provider: 'aws',
        providerRef: 'prod/app/db',
        lastRotated: daysAgo(store.clock, 92),
        consumers: ['C0CHECKOUT'],
      },
      operator(),
      'test',
    );
    runtime = runtimeFor(store, { aws: provider });
  });
  afterEach(() => {
    runtime.close();
    store.close();
  });

  const labels = () => backend.labels('prod/app/db');

  it('runs a production rotation end to end: approvals by two people, provider steps at AWS, completion', async () => {
    const opening = await runtime.rotation.prepare(OWNER, 'prod/app/db');
    expect(opening).toMatchObject({ kind: 'start', requiredApprovals: ['security_lead', 'devops_lead'] });
    const started = await runtime.rotation.start(OWNER, 'prod/app/db', { ticket: 'sec-123' });
    expect(started.rotation).toMatchObject({
      state: 'awaiting_approval',
      ticket: 'SEC-123',
      previousVersionId: initialVersion,
      heldBy: 'U0OWNER',
    });
    expect(store.inventory.get('prod/app/db')?.lifecycle).toBe('rotating');
    const requests = runtime.followUps.repo
      .ofTopic(`rotation:${started.rotation.id}`)
      .filter((followUp) => followUp.kind === ROTATION_FOLLOW_UPS.approvalRequest);
    expect(requests.map((followUp) => followUp.occurrence).sort()).toEqual(['U0OPS', 'U0SEC', 'U0SEC2']);

    const id = started.rotation.id;
    // Setting the password on the database is the first step that changes anything outside the store: it waits for the approvals.
    await driveUntil(runtime, id, 'set_new_value');
    const pendingVersion = runtime.rotation.get(id).rotation.newVersionId as string;
    expect((await labels())[pendingVersion]).toEqual(['AWSPENDING']);
    const blocked = runtime.rotation.get(id);
    expect(() => runtime.rotation.tickStep(OWNER, id, 'set_new_value', { expectedVersion: blocked.rotation.version })).toThrow(
      /waits for the approval of a security lead and a DevOps lead/,
    );

    expect(() => runtime.rotation.approve(OWNER, id)).toThrow(/cannot also approve it/);
    runtime.rotation.approve(SEC, id);
    expect(() => runtime.rotation.approve(SEC, id)).toThrow(/already approved this rotation as security lead/);
    expect(() => runtime.rotation.approve(slackActor('U0SEC2'), id)).toThrow(/already given/);
    expect(runtime.rotation.approve(OPS, id).rotation.state).toBe('in_progress');

    await driveUntil(runtime, id, null);
    expect((await labels())[pendingVersion]).toEqual(['AWSCURRENT']);
    expect((await labels())[initialVersion]).toEqual(['AWSPREVIOUS']);
    const done = runtime.rotation.complete(OWNER, id, runtime.rotation.get(id).rotation.version);
    expect(done.rotation).toMatchObject({ state: 'completed', newVersionId: pendingVersion });
    const secret = store.inventory.get('prod/app/db');
    expect(secret).toMatchObject({ lifecycle: 'active', currentVersionId: pendingVersion, nextRotation: '2027-05-02' });
    const followUps = runtime.followUps.repo.ofTopic(`rotation:${id}`);
    expect(
      followUps
        .filter((followUp) => followUp.kind === ROTATION_FOLLOW_UPS.announce)
        .map((followUp) => followUp.occurrence)
        .sort(),
    ).toEqual(['C0ANNOUNCE', 'C0CHECKOUT']);
    expect(followUps.find((followUp) => followUp.kind === ROTATION_FOLLOW_UPS.removalDue)).toMatchObject({
      state: 'pending',
      dueAt: '2027-02-03T10:00:00.000Z',
    });
    expect(verifyAuditChain(store.db).firstBreak).toBeNull();
    const actions = store.db.prepare(`SELECT action FROM audit_events WHERE action LIKE 'rotation.%' ORDER BY seq`).pluck().all();
    expect(actions).toEqual(expect.arrayContaining(['rotation.started', 'rotation.approved', 'rotation.step_done', 'rotation.completed']));
  });

  it('refuses to skip a required step, to tick a provider step, to act out of order, and a stale view', async () => {
    const { rotation } = await runtime.rotation.start(OWNER, 'prod/app/db', { ticket: 'SEC-1' });
    const before = snapshotTables(store, ['rotations', 'rotation_steps']);
    expect(() =>
      runtime.rotation.skipStep(OWNER, rotation.id, 'create_version', { reason: 'no', expectedVersion: rotation.version }),
    ).toThrow(/required and cannot be skipped/);
    expect(() => runtime.rotation.tickStep(OWNER, rotation.id, 'create_version', { expectedVersion: rotation.version })).toThrow(
      /press its button/,
    );
    expect(() => runtime.rotation.tickStep(OWNER, rotation.id, 'update_staging', { expectedVersion: rotation.version })).toThrow(
      /comes later: first “Create the new version”/,
    );
    expect(() => runtime.rotation.complete(OWNER, rotation.id, rotation.version)).toThrow(/cannot complete yet/);
    expect(() => runtime.rotation.tickStep(OWNER, rotation.id, 'update_staging', { expectedVersion: rotation.version - 1 })).toThrow(
      StaleRotationError,
    );
    expect(() =>
      runtime.rotation.tickStep(slackActor('U0STRANGER'), rotation.id, 'update_staging', { expectedVersion: rotation.version }),
    ).toThrow(/may not rotate/);
    expect(snapshotTables(store, ['rotations', 'rotation_steps'])).toEqual(before);
  });

  it('two people ticking the same step at once: exactly one transition, the other told', async () => {
    const { rotation } = await runtime.rotation.start(OWNER, 'prod/app/db', { ticket: 'SEC-2' });
    runtime.rotation.approve(SEC, rotation.id);
    runtime.rotation.approve(OPS, rotation.id);
    await driveUntil(runtime, rotation.id, 'set_new_value');
    const seen = runtime.rotation.get(rotation.id).rotation.version;
    runtime.rotation.tickStep(OWNER, rotation.id, 'set_new_value', { expectedVersion: seen });
    expect(() => runtime.rotation.tickStep(slackActor('U0ADMIN'), rotation.id, 'set_new_value', { expectedVersion: seen })).toThrow(
      StaleRotationError,
    );
    const events = store.db
      .prepare(
        `SELECT count(*) FROM audit_events WHERE action = 'rotation.step_done' AND json_extract(details, '$.step') = 'set_new_value'`,
      )
      .pluck()
      .get();
    expect(events).toBe(1);
  });

  it('abandoning removes the AWSPENDING it left, so the next rotation is not blocked', async () => {
    const { rotation } = await runtime.rotation.start(OWNER, 'prod/app/db', { ticket: 'SEC-3' });
    await driveUntil(runtime, rotation.id, 'set_new_value');
    const pending = runtime.rotation.get(rotation.id).rotation.newVersionId as string;
    await expect(
      runtime.rotation.abandon(OWNER, rotation.id, { reason: '', expectedVersion: runtime.rotation.get(rotation.id).rotation.version }),
    ).rejects.toThrow(/reason is required/);
    const abandoned = await runtime.rotation.abandon(OWNER, rotation.id, {
      reason: 'wrong ticket',
      expectedVersion: runtime.rotation.get(rotation.id).rotation.version,
    });
    expect(abandoned.rotation).toMatchObject({ state: 'abandoned', endReason: 'wrong ticket' });
    expect((await labels())[pending] ?? []).toEqual([]);
    expect(store.inventory.get('prod/app/db')?.lifecycle).toBe('active');
    const next = await runtime.rotation.prepare(OWNER, 'prod/app/db');
    expect(next.kind === 'start' && next.preflight.every((check) => check.status !== 'blocking')).toBe(true);
  });

  it('a stale AWSPENDING left outside Rotor blocks the start, saying how to remove it', async () => {
    await backend.writePendingByHand('prod/app/db');
    const before = snapshotTables(store, ['rotations', 'secrets']);
    await expect(runtime.rotation.start(OWNER, 'prod/app/db', { ticket: 'SEC-4' })).rejects.toThrow(PreflightBlockedError);
    await expect(runtime.rotation.start(OWNER, 'prod/app/db', { ticket: 'SEC-4' })).rejects.toThrow(
      /update-secret-version-stage --secret-id prod\/app\/db --version-stage AWSPENDING --remove-from-version-id/,
    );
    expect(snapshotTables(store, ['rotations', 'secrets'])).toEqual(before);
  });

  it('within the retention window a completed rotation rolls back: AWSCURRENT moves back, the dates are restored', async () => {
    const { rotation } = await runtime.rotation.start(OWNER, 'prod/app/db', { ticket: 'SEC-5' });
    runtime.rotation.approve(SEC, rotation.id);
    runtime.rotation.approve(OPS, rotation.id);
    await driveUntil(runtime, rotation.id, null);
    runtime.rotation.complete(OWNER, rotation.id, runtime.rotation.get(rotation.id).rotation.version);
    store.clock.advance({ hours: 2 });
    // ALTER USER replaced the password at the database: it is set back there first, and confirmed.
    await expect(runtime.rotation.rollback(OWNER, rotation.id, 'checkout errors after the switch')).rejects.toThrow(
      /The previous password is set on the database again/,
    );
    const rolledBack = await runtime.rotation.rollback(OWNER, rotation.id, 'checkout errors after the switch', ['undo_set_new_value']);
    expect(rolledBack.rotation.state).toBe('rolled_back');
    expect((await labels())[initialVersion]).toContain('AWSCURRENT');
    expect(store.inventory.get('prod/app/db')).toMatchObject({
      lastRotated: '2026-11-01T00:00:00.000Z',
      nextRotation: '2027-01-30',
      currentVersionId: initialVersion,
    });
    expect(runtime.followUps.repo.find(ROTATION_FOLLOW_UPS.removalDue, `rotation:${rotation.id}`)?.state).toBe('cancelled');
    await expect(runtime.rotation.rollback(OWNER, rotation.id, 'again')).rejects.toThrow(/Only a completed rotation/);
  });

  it('refuses a bad ticket on the field, and a retired secret', async () => {
    for (const ticket of ['', 'x'.repeat(500), '<!channel>', 'see the thread']) {
      await expect(runtime.rotation.start(OWNER, 'prod/app/db', { ticket })).rejects.toMatchObject({ issues: [{ where: 'ticket' }] });
    }
    store.inventoryService.update('prod/app/db', { lifecycle: 'retired' }, operator(), 'test');
    await expect(runtime.rotation.start(OWNER, 'prod/app/db', { ticket: 'SEC-6' })).rejects.toThrow(/is retired/);
  });
}

describe('RotationService with Vault and with a manual secret', () => {
  const { fake, token } = useFakeVault();
  let store: TempStore;
  let runtime: Runtime;

  beforeEach(() => {
    store = openTempStore({ at: '2027-02-01T10:00:00Z', policy: POLICY });
    runtime = runtimeFor(store, { vault: new VaultKv2Provider({ endpoint: fake.address, token, retry: FAST }) });
  });
  afterEach(() => {
    runtime.close();
    store.close();
  });

  it('a staging Vault secret: no approvals, create is current at once, verify, complete', async () => {
    fake.putSecret('secret', 'staging/hooks/hmac', { value: randomBytes(8).toString('hex') });
    store.inventoryService.create(
      { name: 'staging/hooks/hmac', type: 'webhook', owner: 'U0OWNER', provider: 'vault', providerRef: 'secret/staging/hooks/hmac' },
      operator(),
      'test',
    );
    const { rotation } = await runtime.rotation.start(OWNER, 'staging/hooks/hmac', { ticket: 'OPS-7' });
    expect(rotation).toMatchObject({ state: 'in_progress', requiredApprovals: [], previousVersionId: '1' });
    await driveUntil(runtime, rotation.id, null);
    const done = runtime.rotation.complete(OWNER, rotation.id, runtime.rotation.get(rotation.id).rotation.version);
    expect(done.rotation).toMatchObject({ state: 'completed', newVersionId: '2' });
    expect(store.inventory.get('staging/hooks/hmac')?.currentVersionId).toBe('2');
  });

  it('a manual secret: every step ticked by a person, then completed', async () => {
    store.inventoryService.create({ name: 'staging/stripe/api_key', type: 'api_key', owner: 'U0OWNER' }, operator(), 'test');
    const { rotation } = await runtime.rotation.start(OWNER, 'staging/stripe/api_key', { ticket: 'https://tracker.example/SEC-9' });
    const record = runtime.rotation.get(rotation.id);
    expect(record.steps.every((step) => step.action === null)).toBe(true);
    await driveUntil(runtime, rotation.id, null);
    expect(runtime.rotation.complete(OWNER, rotation.id, runtime.rotation.get(rotation.id).rotation.version).rotation.state).toBe(
      'completed',
    );
    expect(runtime.followUps.repo.find(ROTATION_FOLLOW_UPS.removalDue, `rotation:${rotation.id}`)).toMatchObject({ state: 'pending' });
  });
});

describe('RotationService against the in-memory store that promotes on create (Vault-like, no moto)', () => {
  let store: TempStore;
  let runtime: Runtime;
  let memory: InMemorySecretStore;

  beforeEach(() => {
    store = openTempStore({ at: '2027-02-01T10:00:00Z', policy: POLICY });
    memory = new InMemorySecretStore('vault', BUILT_IN_STORES.of('vault').capabilities);
    memory.put('secret/staging/hooks/hmac', { value: JSON.stringify({ value: randomBytes(8).toString('hex') }) });
    store.inventoryService.create(
      { name: 'staging/hooks/hmac', type: 'webhook', owner: 'U0OWNER', provider: 'vault', providerRef: 'secret/staging/hooks/hmac' },
      operator(),
      'test',
    );
    runtime = runtimeFor(store, { vault: memory });
  });
  afterEach(() => {
    runtime.close();
    store.close();
  });

  it('create is current at once, verify, complete', async () => {
    const { rotation } = await runtime.rotation.start(OWNER, 'staging/hooks/hmac', { ticket: 'OPS-7' });
    expect(rotation).toMatchObject({ state: 'in_progress', requiredApprovals: [], previousVersionId: '1' });
    await driveUntil(runtime, rotation.id, null);
    const done = runtime.rotation.complete(OWNER, rotation.id, runtime.rotation.get(rotation.id).rotation.version);
    expect(done.rotation).toMatchObject({ state: 'completed', newVersionId: '2' });
    expect(memory.labelsOf('secret/staging/hooks/hmac')).toEqual({ '1': [], '2': ['current'] });
    expect(store.inventory.get('staging/hooks/hmac')?.currentVersionId).toBe('2');
  });

  it('abandoning after the write restores the previous data as a new version', async () => {
    const { rotation } = await runtime.rotation.start(OWNER, 'staging/hooks/hmac', { ticket: 'OPS-8' });
    const record = runtime.rotation.get(rotation.id);
    const create = record.steps.find((step) => step.action === 'create_version');
    await driveUntil(runtime, rotation.id, record.steps[(create?.position ?? 0) + 1]?.id ?? null);
    expect(runtime.rotation.get(rotation.id).rotation.newVersionId).toBe('2');
    const abandoned = await runtime.rotation.abandon(OWNER, rotation.id, {
      reason: 'wrong secret',
      expectedVersion: runtime.rotation.get(rotation.id).rotation.version,
    });
    expect(abandoned.rotation.state).toBe('abandoned');
    expect(memory.labelsOf('secret/staging/hooks/hmac')['3']).toEqual(['current']);
    expect(store.inventory.get('staging/hooks/hmac')?.lifecycle).toBe('active');
  });

  it('two starts at once: the one-open-rotation index lets one in, the other is told who started it', async () => {
    const [first, second] = await Promise.allSettled([
      runtime.rotation.start(OWNER, 'staging/hooks/hmac', { ticket: 'OPS-9' }),
      runtime.rotation.start(slackActor('U0ADMIN'), 'staging/hooks/hmac', { ticket: 'OPS-9' }),
    ]);
    expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
    const refused = [first, second].find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(String(refused.reason.message)).toMatch(/was started a moment ago by|is already being rotated by/);
    expect(store.db.prepare('SELECT count(*) FROM rotations').pluck().get()).toBe(1);
  });
});
