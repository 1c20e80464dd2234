import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
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
import { INCIDENT_FOLLOW_UPS } from '../../src/revocation/incident.js';
import type { RevocationInput } from '../../src/revocation/revocation-request.js';
import { IncidentOpenError } from '../../src/revocation/revocation-service.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { InMemorySecretStore } from '../fakes/in-memory-store.js';
import { operator, slackActor } from '../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { useFakeVault } from '../support/vault.js';

const FAST = { attempts: 2, timeoutMs: 3_000, baseDelayMs: 1, maxDelayMs: 2 };
const POLICY = parsePolicy(`
channels:
  announce: C0ANNOUNCE
  incident: [C0INCIDENT]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC, U0SEC2]
  responders: [U0ONCALL]
  team_leads: { payments: U0PAYLEAD }
  cto: U0CTO
incident:
  ack_minutes: 15
  postmortem_hours: 48
`);

const ONCALL = slackActor('U0ONCALL', 'C0INCIDENT');
const TABLES = ['secrets', 'incidents', 'incident_events', 'incident_pages', 'rotations', 'rotation_steps', 'follow_ups'];
const confirm = (name: string, extra: Partial<RevocationInput> = {}): RevocationInput => ({
  confirmName: name,
  severity: 'SEV1',
  ticket: 'INC-7',
  order: 'replace_then_disable',
  destroy: false,
  ...extra,
});

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

/** Works the emergency rotation to its end as the responder would: ticks, runs, retries nothing. */
async function driveToEnd(runtime: Runtime, rotationId: number, options: { stopAt?: string } = {}): Promise<void> {
  for (;;) {
    const record = runtime.rotation.get(rotationId);
    const step = record.steps.find((candidate) => candidate.state === 'pending' && candidate.lastError === null);
    if (!step || step.id === options.stopAt) return;
    if (step.action === null) runtime.rotation.tickStep(ONCALL, rotationId, step.id, { expectedVersion: record.rotation.version });
    else {
      const { error } = await runtime.rotation.runStep(ONCALL, rotationId, step.id, { expectedVersion: record.rotation.version });
      if (error) throw error;
    }
  }
}

function seedSecret(store: TempStore, fields: Record<string, unknown>): void {
  store.inventoryService.create(
    {
      type: 'database',
      owner: 'U0OWNER',
      backupOwner: 'U0BACKUP',
      team: 'payments',
      lastRotated: '2027-01-10',
      consumers: ['checkout'],
      ...fields,
    },
    operator(),
    'test',
  );
}

/** A store that stages versions (AWS's kind): moto behind the real adapter, or the in-memory store driven by the kind's capabilities. */
interface StagingBackend {
  /** A fresh connection for one test. */
  connect(): SecretProvider;
  /** Creates the secret with a value made at run time; returns its first version. */
  create(ref: string): Promise<string>;
  /** Each version's staging labels. */
  labels(ref: string): Promise<Record<string, string[]>>;
}

function motoBackend(): StagingBackend {
  const moto = useMoto();
  return {
    connect: () => new AwsSecretsManagerProvider({ retry: FAST }),
    create: async (ref) =>
      (await moto.sdk.send(new CreateSecretCommand({ Name: ref, SecretString: randomBytes(12).toString('hex') }))).VersionId as string,
    labels: async (ref) => (await moto.sdk.send(new DescribeSecretCommand({ SecretId: ref }))).VersionIdsToStages ?? {},
  };
}

function memoryBackend(): StagingBackend {
  let memory = new InMemorySecretStore('aws', BUILT_IN_STORES.of('aws').capabilities);
  return {
    connect: () => (memory = new InMemorySecretStore('aws', BUILT_IN_STORES.of('aws').capabilities)),
    create: async (ref) => memory.put(ref),
    labels: async (ref) => memory.labelsOf(ref),
  };
}

describe.runIf(shouldRunMotoSuite('the revocation suite'))('RevocationService against moto (AWS)', () =>
  stagingStoreScenarios(motoBackend()),
);
describe('RevocationService against the in-memory staging store (AWS-like, no moto)', () => stagingStoreScenarios(memoryBackend()));

function stagingStoreScenarios(backend: StagingBackend): void {
  let store: TempStore;
  let runtime: Runtime;
  let compromised: string;

  beforeEach(async () => {
    store = openTempStore({ at: '2027-02-01T10:00:00Z', policy: POLICY });
    const name = `prod/app/db-${randomBytes(3).toString('hex')}`;
    const provider = backend.connect();
    compromised = await backend.create(name);
    seedSecret(store, { name: 'prod/app/db', provider: 'aws', providerRef: name });
    runtime = runtimeFor(store, { aws: provider });
  });
  afterEach(() => {
    runtime.close();
    store.close();
  });

  const labels = () => backend.labels(store.inventory.get('prod/app/db')?.providerRef ?? '');

  it('replace, then disable: opened, compromised, paged, rotated, the compromised version stripped once the replacement is current, closed', async () => {
    const opened = await runtime.revocation.open(ONCALL, 'prod/app/db', 'leaked in a public gist', confirm('prod/app/db'));
    const { incident } = opened;
    expect(incident).toMatchObject({
      state: 'open',
      severity: 'SEV1',
      ticket: 'INC-7',
      channel: 'C0INCIDENT',
      responder: 'U0ONCALL',
      revocationOrder: 'replace_then_disable',
      compromisedVersionId: compromised,
    });
    expect(store.inventory.get('prod/app/db')?.lifecycle).toBe('compromised');
    expect(opened.pages.map((page) => [page.userId, page.level]).sort()).toEqual([
      ['U0BACKUP', 'backup_owner'],
      ['U0OWNER', 'owner'],
      ['U0SEC', 'security'],
      ['U0SEC2', 'security'],
    ]);
    const kinds = runtime.followUps.repo.ofTopic(`incident:${incident.id}`).map((followUp) => followUp.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        INCIDENT_FOLLOW_UPS.statusPost,
        INCIDENT_FOLLOW_UPS.escalate,
        INCIDENT_FOLLOW_UPS.statusRequest,
        INCIDENT_FOLLOW_UPS.postmortem,
        INCIDENT_FOLLOW_UPS.page,
      ]),
    );

    const rotationId = incident.rotationId as number;
    const emergency = runtime.rotation.get(rotationId);
    expect(emergency.rotation).toMatchObject({
      kind: 'emergency',
      state: 'in_progress',
      breakGlassBy: 'U0ONCALL',
      breakGlassReason: 'leaked in a public gist',
      incidentId: incident.id,
      requiredApprovals: [],
    });
    expect(emergency.steps.map((step) => step.id)).toEqual(
      expect.arrayContaining([
        'hotfix_deploy',
        'invalidate_sessions',
        'revoke_at_issuer',
        'disable_compromised',
        'search_logs',
        'incident_report',
      ]),
    );
    expect(emergency.steps.findIndex((step) => step.id === 'promote')).toBeLessThan(
      emergency.steps.findIndex((step) => step.id === 'disable_compromised'),
    );

    await driveToEnd(runtime, rotationId, { stopAt: 'disable_compromised' });
    const replacement = runtime.rotation.get(rotationId).rotation.newVersionId as string;
    expect((await labels())[replacement]).toEqual(['AWSCURRENT']);
    expect((await labels())[compromised]).toEqual(['AWSPREVIOUS']);
    await driveToEnd(runtime, rotationId);
    expect((await labels())[compromised] ?? []).toEqual([]);
    expect(() => runtime.revocation.close(ONCALL, incident.id, 'https://wiki.example/pm/1')).toThrow(
      /still open: complete it, or abandon it/,
    );
    runtime.rotation.complete(ONCALL, rotationId, runtime.rotation.get(rotationId).rotation.version);
    expect(store.inventory.get('prod/app/db')).toMatchObject({ lifecycle: 'active', currentVersionId: replacement });

    const closed = await runtime.revocation.close(ONCALL, incident.id, 'https://wiki.example/pm/1');
    expect(closed.incident).toMatchObject({ state: 'closed', closedBy: 'U0ONCALL', postmortemUrl: 'https://wiki.example/pm/1' });
    expect(closed.events.map((event) => event.kind)).toEqual(
      expect.arrayContaining(['opened', 'compromised', 'paged', 'rotation_started', 'disabled', 'rotation_completed', 'closed']),
    );
    const pending = runtime.followUps.repo
      .ofTopic(`incident:${incident.id}`)
      .filter((followUp) => followUp.state === 'pending')
      .map((followUp) => followUp.kind);
    expect(pending).not.toContain(INCIDENT_FOLLOW_UPS.escalate);
    expect(pending).not.toContain(INCIDENT_FOLLOW_UPS.postmortem);
    expect(pending).toContain(INCIDENT_FOLLOW_UPS.signOffRequest);
    expect(verifyAuditChain(store.db).firstBreak).toBeNull();
  });

  it('disable now: a generated placeholder becomes AWSCURRENT at once and the compromised version loses every label; the replacement follows it', async () => {
    const opened = await runtime.revocation.open(
      ONCALL,
      'prod/app/db',
      'being abused right now',
      confirm('prod/app/db', { order: 'disable_now' }),
    );
    const rotationId = opened.incident.rotationId as number;
    const afterDisable = runtime.rotation.get(rotationId);
    expect(afterDisable.steps[0]).toMatchObject({ id: 'disable_compromised', state: 'done' });
    const placeholder = afterDisable.rotation.placeholderVersionId as string;
    expect((await labels())[placeholder]).toEqual(['AWSCURRENT']);
    expect((await labels())[compromised] ?? []).toEqual([]);
    await driveToEnd(runtime, rotationId);
    const replacement = runtime.rotation.get(rotationId).rotation.newVersionId as string;
    expect((await labels())[replacement]).toEqual(['AWSCURRENT']);
    expect((await labels())[compromised] ?? []).toEqual([]);
  });

  it('a second /revoke, a replayed confirmation and bad confirmations open nothing', async () => {
    const before = snapshotTables(store, TABLES);
    await expect(runtime.revocation.open(ONCALL, 'prod/app/db', 'leak', confirm('prod/app/dbx'))).rejects.toMatchObject({
      issues: [expect.objectContaining({ where: 'confirm' })],
    });
    await expect(
      runtime.revocation.open(ONCALL, 'prod/app/db', 'leak', confirm('prod/app/db', { severity: 'SEV9' })),
    ).rejects.toMatchObject({ issues: [expect.objectContaining({ where: 'severity' })] });
    await expect(runtime.revocation.open(ONCALL, 'prod/app/db', '', confirm('prod/app/db'))).rejects.toMatchObject({
      issues: [expect.objectContaining({ where: 'reason' })],
    });
    await expect(runtime.revocation.open(ONCALL, 'prod/app/db', 'leak', confirm('prod/app/db', { destroy: true }))).rejects.toMatchObject({
      issues: [expect.objectContaining({ where: 'destroy' })],
    });
    await expect(
      runtime.revocation.open(ONCALL, 'prod/app/db', 'leak', confirm('prod/app/db', { ticket: '<!channel>' })),
    ).rejects.toMatchObject({ issues: [expect.objectContaining({ where: 'ticket' })] });
    await expect(
      runtime.revocation.open(slackActor('U0ONCALL', 'C0GENERAL'), 'prod/app/db', 'leak', confirm('prod/app/db')),
    ).rejects.toThrow(/only allowed in an incident channel/);
    await expect(
      runtime.revocation.open(slackActor('U0OWNER', 'C0INCIDENT'), 'prod/app/db', 'leak', confirm('prod/app/db')),
    ).rejects.toThrow(/may not revoke/);
    const pasted = ['ghp', '_', randomBytes(18).toString('hex')].join('');
    await expect(runtime.revocation.open(ONCALL, 'prod/app/db', `leaked: ${pasted}`, confirm('prod/app/db'))).rejects.toThrow(
      /looks like it holds a GitHub token/,
    );
    // Refusals are audited (access.denied), so the audit log is the one thing they change.
    expect(snapshotTables(store, TABLES)).toEqual(before);
    expect(JSON.stringify(snapshotTables(store, [...TABLES, 'audit_events']))).not.toContain(pasted);

    const first = await runtime.revocation.open(ONCALL, 'prod/app/db', 'leak', confirm('prod/app/db'));
    await expect(runtime.revocation.open(ONCALL, 'prod/app/db', 'leak', confirm('prod/app/db'))).rejects.toBeInstanceOf(IncidentOpenError);
    expect(runtime.revocation.list()).toHaveLength(1);
    expect(runtime.revocation.list()[0]?.id).toBe(first.incident.id);
  });
}

describe('RevocationService with Vault (fake KV v2)', () => {
  const vault = useFakeVault();
  let store: TempStore;
  let runtime: Runtime;

  beforeEach(() => {
    store = openTempStore({ at: '2027-02-01T10:00:00Z', policy: POLICY });
    vault.fake.putSecret('secret', 'payments/stripe', { value: randomBytes(12).toString('hex') });
    seedSecret(store, { name: 'prod/payments/stripe', type: 'webhook', provider: 'vault', providerRef: 'secret/payments/stripe' });
    runtime = runtimeFor(store, { vault: new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST }) });
  });
  afterEach(() => {
    runtime.close();
    store.close();
  });

  it('disable now soft-deletes the compromised version at once (destroyed when asked), and the replacement is written after it', async () => {
    const opened = await runtime.revocation.open(
      ONCALL,
      'prod/payments/stripe',
      'key pasted in a support ticket',
      confirm('prod/payments/stripe', { order: 'disable_now', destroy: true }),
    );
    expect(opened.incident).toMatchObject({ compromisedVersionId: '1', destroy: true });
    expect(vault.fake.version('secret', 'payments/stripe', 1)).toMatchObject({ destroyed: true });
    const rotationId = opened.incident.rotationId as number;
    await driveToEnd(runtime, rotationId);
    runtime.rotation.complete(ONCALL, rotationId, runtime.rotation.get(rotationId).rotation.version);
    expect(store.inventory.get('prod/payments/stripe')).toMatchObject({ lifecycle: 'active', currentVersionId: '2' });
  });

  it('a provider failing while disabling: the step fails with the error, the steps after it go on, Retry disables it, and the incident records both', async () => {
    const opened = await runtime.revocation.open(
      ONCALL,
      'prod/payments/stripe',
      'key pasted in a support ticket',
      confirm('prod/payments/stripe'),
    );
    const rotationId = opened.incident.rotationId as number;
    await driveToEnd(runtime, rotationId, { stopAt: 'disable_compromised' });
    vault.fake.failNext(4, 503, ['Vault is sealed']);
    const record = runtime.rotation.get(rotationId);
    const { error } = await runtime.rotation.runStep(ONCALL, rotationId, 'disable_compromised', {
      expectedVersion: record.rotation.version,
    });
    expect(error?.message).toMatch(/sealed|503/);
    expect(runtime.rotation.get(rotationId).steps.find((step) => step.id === 'disable_compromised')).toMatchObject({
      state: 'pending',
      lastError: expect.stringMatching(/sealed|503/),
    });
    expect(runtime.revocation.get(opened.incident.id).events.map((event) => event.kind)).toContain('step_failed');
    vault.fake.failNext(0, 0, []);
    // The remaining steps do not wait for the failed one, but completion does.
    await driveToEnd(runtime, rotationId);
    expect(
      runtime.rotation
        .get(rotationId)
        .steps.filter((step) => step.state === 'pending')
        .map((step) => step.id),
    ).toEqual(['disable_compromised']);
    expect(() => runtime.rotation.complete(ONCALL, rotationId, runtime.rotation.get(rotationId).rotation.version)).toThrow(
      /cannot complete yet/,
    );
    const retried = await runtime.revocation.retry(ONCALL, opened.incident.id);
    expect(retried.error).toBeNull();
    expect(vault.fake.version('secret', 'payments/stripe', 1)?.deletion_time).not.toBe('');
    expect(runtime.revocation.get(opened.incident.id).events.map((event) => event.kind)).toContain('disabled');
    runtime.rotation.complete(ONCALL, rotationId, runtime.rotation.get(rotationId).rotation.version);
  });

  it('the store down when /revoke runs: disable now fails and is retried once the store is back, finding the compromised version then', async () => {
    vault.fake.failNext(1000, 503, ['Vault is sealed']);
    const opened = await runtime.revocation.open(
      ONCALL,
      'prod/payments/stripe',
      'key pasted in a support ticket',
      confirm('prod/payments/stripe', { order: 'disable_now' }),
    );
    expect(opened.incident).toMatchObject({ state: 'open', compromisedVersionId: null });
    expect(store.inventory.get('prod/payments/stripe')?.lifecycle).toBe('compromised');
    const rotationId = opened.incident.rotationId as number;
    expect(runtime.rotation.get(rotationId).steps[0]).toMatchObject({
      id: 'disable_compromised',
      state: 'pending',
      lastError: expect.stringMatching(/sealed|503/),
    });
    vault.fake.failNext(0, 0, []);
    expect((await runtime.revocation.retry(ONCALL, opened.incident.id)).error).toBeNull();
    expect(vault.fake.version('secret', 'payments/stripe', 1)?.deletion_time).not.toBe('');
    expect(runtime.revocation.get(opened.incident.id).incident.compromisedVersionId).toBe('1');
  });
});

describe('escalation and the postmortem reminder, across a restart', () => {
  let store: TempStore;

  beforeEach(() => {
    store = openTempStore({ at: '2027-02-01T10:00:00Z', policy: POLICY });
    seedSecret(store, { name: 'prod/payments/webhook', type: 'webhook', provider: 'manual' });
  });
  afterEach(() => store.close());

  const sweepAt = async (at: string) => {
    store.clock.set(at);
    const runtime = runtimeFor(store, {});
    try {
      await runtime.followUps.service.sweep();
    } finally {
      runtime.close();
    }
  };

  it('pages the next level once after ack_minutes, then the next, and stops at the first acknowledgement', async () => {
    const first = runtimeFor(store, {});
    const { incident } = await first.revocation.open(
      ONCALL,
      'prod/payments/webhook',
      'signing secret in a log',
      confirm('prod/payments/webhook'),
    );
    first.close();
    const paged = () =>
      store.db.prepare('SELECT user_id, level FROM incident_pages WHERE incident_id = ? ORDER BY paged_at, user_id').all(incident.id);
    await sweepAt('2027-02-01T10:14:00Z');
    expect(paged()).toHaveLength(4);
    await sweepAt('2027-02-01T10:15:00Z');
    await sweepAt('2027-02-01T10:16:00Z');
    expect(paged()).toContainEqual({ user_id: 'U0PAYLEAD', level: 'team_lead' });
    expect(paged()).toHaveLength(5);
    await sweepAt('2027-02-01T10:30:00Z');
    expect(paged()).toContainEqual({ user_id: 'U0CTO', level: 'cto' });
    await sweepAt('2027-02-01T10:31:00Z');
    await sweepAt('2027-02-01T10:45:00Z');
    expect(paged()).toHaveLength(6);
    const events = () =>
      store.db
        .prepare(`SELECT kind FROM incident_events WHERE incident_id = ? AND kind LIKE 'escalat%' ORDER BY id`)
        .pluck()
        .all(incident.id);
    expect(events()).toEqual(['escalated', 'escalated', 'escalation_exhausted']);
    await sweepAt('2027-02-01T11:45:00Z');
    expect(events()).toHaveLength(3);
  });

  it('an acknowledgement stops the escalation', async () => {
    const runtime = runtimeFor(store, {});
    const { incident } = await runtime.revocation.open(
      ONCALL,
      'prod/payments/webhook',
      'signing secret in a log',
      confirm('prod/payments/webhook'),
    );
    store.clock.set('2027-02-01T10:05:00Z');
    runtime.revocation.acknowledge(slackActor('U0OWNER'), incident.id);
    expect(() => runtime.revocation.acknowledge(slackActor('U0OWNER'), incident.id)).toThrow(/You acknowledged incident/);
    expect(() => runtime.revocation.acknowledge(slackActor('U0STRANGER'), incident.id)).toThrow(/may not work the incident/);
    runtime.close();
    await sweepAt('2027-02-01T11:00:00Z');
    expect(store.db.prepare('SELECT count(*) FROM incident_pages WHERE incident_id = ?').pluck().get(incident.id)).toBe(4);
    expect(store.db.prepare('SELECT acknowledged_by FROM incidents WHERE id = ?').pluck().get(incident.id)).toBe('U0OWNER');
  });

  it('stops the reminders of the secret while its incident is open', async () => {
    const runtime = runtimeFor(store, {});
    const until = '2099-01-01';
    expect(runtime.reminders.ledger.candidates(until).map((candidate) => candidate.secret.name)).toContain('prod/payments/webhook');
    await runtime.revocation.open(ONCALL, 'prod/payments/webhook', 'signing secret in a log', confirm('prod/payments/webhook'));
    expect(runtime.reminders.ledger.candidates(until).map((candidate) => candidate.secret.name)).not.toContain('prod/payments/webhook');
    runtime.close();
  });
});

describe('the emergency rotation that could not start when /revoke ran', () => {
  let store: TempStore;

  beforeEach(() => {
    store = openTempStore({ at: '2027-02-01T10:00:00Z', policy: POLICY });
    seedSecret(store, { name: 'prod/payments/webhook', type: 'webhook', provider: 'manual' });
  });
  afterEach(() => store.close());

  it('is started by the proceed follow-up once it can be, exactly once; the incident, the pages and the lifecycle are kept meanwhile', async () => {
    // The database refuses the rotation's insert, as a full disk would, after the incident committed.
    store.db.exec(
      `CREATE TEMP TRIGGER refuse_rotation BEFORE INSERT ON rotations BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`,
    );
    const first = runtimeFor(store, {});
    const opened = await first.revocation.open(
      ONCALL,
      'prod/payments/webhook',
      'signing secret in a log',
      confirm('prod/payments/webhook'),
    );
    first.close();
    expect(opened.incident.rotationId).toBeNull();
    expect(opened.events.map((event) => event.kind)).toEqual(
      expect.arrayContaining(['opened', 'compromised', 'paged', 'rotation_start_failed']),
    );
    expect(store.inventory.get('prod/payments/webhook')?.lifecycle).toBe('compromised');
    store.db.exec('DROP TRIGGER refuse_rotation');

    const sweepAt = async (at: string) => {
      store.clock.set(at);
      const runtime = runtimeFor(store, {});
      try {
        await runtime.followUps.service.sweep();
      } finally {
        runtime.close();
      }
    };
    const rotations = () => store.db.prepare('SELECT count(*) FROM rotations').pluck().get();
    await sweepAt('2027-02-01T10:01:00Z');
    expect(rotations()).toBe(0);
    await sweepAt('2027-02-01T10:02:00Z');
    expect(rotations()).toBe(1);
    await sweepAt('2027-02-01T10:03:00Z');
    expect(rotations()).toBe(1);
    const incident = store.db.prepare('SELECT rotation_id FROM incidents WHERE id = ?').pluck().get(opened.incident.id);
    expect(incident).toBe(1);
    expect(store.db.prepare('SELECT count(*) FROM incident_pages WHERE incident_id = ?').pluck().get(opened.incident.id)).toBe(4);
  });
});
