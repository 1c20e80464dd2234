import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { RotorError } from '../../src/core/errors.js';
import { SECRET_TYPES, type SecretType } from '../../src/inventory/secret.js';
import { resolveChecklist } from '../../src/rotation/checklists/resolve-checklist.js';
import type { RotationRecord } from '../../src/rotation/rotation.js';
import { RotationRepo } from '../../src/rotation/rotation-repo.js';
import { stepFor } from '../../src/rotation/rotation-rules.js';
import { rotationSteps } from '../../src/rotation/checklists/rotation-templates.js';
import type { Runtime } from '../../src/runtime.js';
import { operator, slackActor } from '../support/actors.js';
import { sideRuntime } from '../support/rotations.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { BUILT_IN_STORES } from '../../src/providers/store-catalog.js';
import { isIrreversibleOn } from '../../src/rotation/checklists/step-definition.js';
import { routeNamed, ROUTES, type RouteName } from './support.js';
import { daysAgo } from '../support/clock-dates.js';

/**
 * The approval gate sits on every step that changes something outside the store (the credential
 * set at its issuer or target, production switched, a store write current at once). For every
 * type, on every route, with and without an emergency, and under a policy override: each gated
 * step refuses a tick, a skip and its provider action until the approvals are complete, and a
 * refusal writes nothing. The rotations are arranged in the real database as `start` would
 * write them (the preflight, which reads a store, is not what is tried here), with every step
 * before the gated one done.
 */

const OVERRIDDEN = 'prod/dboverride/password';
const POLICY = parsePolicy(`
roles:
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
approvals:
  prod: [security_lead, devops_lead]
checklists:
  ${OVERRIDDEN}:
    - create_version
    - { id: set_new_value, title: Rotate the password with the DBA on call }
    - { id: freeze_deploys, title: Freeze deploys for the switch, gate: approval }
    - { id: switch, title: Switch production, action: promote }
    - verify
`);
const TABLES = ['secrets', 'rotations', 'rotation_steps', 'rotation_approvals', 'follow_ups', 'audit_events'];
const OWNER = slackActor('U0OWNER');

/** Every type on every route it can take (storage keys come from IAM, never generated). */
const COMBINATIONS = SECRET_TYPES.flatMap((type) =>
  ROUTES.filter((route) => !(type === 'storage' && route.endsWith('_generate'))).map((route) => [type, route] as const),
);

/** A secret last rotated a month before the store's clock. */
function secretFields(store: TempStore, type: SecretType, route: RouteName, name: string): Record<string, unknown> {
  const source = route.endsWith('_generate') ? 'generate' : route.endsWith('_issuer') ? 'issuer' : null;
  const where =
    route === 'manual'
      ? { provider: 'manual' }
      : route.startsWith('aws')
        ? { provider: 'aws', providerRef: name }
        : { provider: 'vault', providerRef: `secret/${name}` };
  return {
    name,
    type,
    owner: 'U0OWNER',
    lastRotated: daysAgo(store.clock, 31),
    ...where,
    ...(source ? { tags: { 'rotor:value_source': source } } : {}),
  };
}

describe('every irreversible step waits for the approvals', () => {
  let store: TempStore;
  let runtime: Runtime;
  beforeEach(() => {
    store = openTempStore({ at: '2027-02-01T10:00:00Z', policy: POLICY });
    runtime = sideRuntime(store);
  });
  afterEach(() => {
    runtime.close();
    store.close();
  });

  /** A rotation of `name` as `start` records it, awaiting both approvals. */
  function arrange(name: string, route: RouteName, emergency = false): RotationRecord {
    const secret = store.inventory.get(name);
    if (!secret) throw new Error(`no ${name}`);
    const checklist = resolveChecklist({
      secret,
      store: BUILT_IN_STORES.of(secret.provider),
      provider: { rotationConfigured: route === 'aws_rotation' },
      policy: store.policy,
      emergency,
    });
    const repo = new RotationRepo(store.db);
    const id = repo.insert(
      {
        secretId: secret.id,
        secretName: secret.name,
        kind: emergency ? 'emergency' : 'scheduled',
        state: 'awaiting_approval',
        ticket: 'SEC-1',
        environment: secret.environment,
        provider: secret.provider,
        providerRef: secret.providerRef,
        requiredApprovals: ['security_lead', 'devops_lead'],
        checklistSource: { kind: 'template' },
        preflight: [],
        startedBy: 'U0OWNER',
        startedAt: '2027-02-01T10:00:00.000Z',
        previousVersionId: route === 'manual' ? null : '1',
        previousFingerprint: null,
        previousLastRotated: secret.lastRotated,
        previousNextRotation: secret.nextRotation,
        previousLifecycle: 'active',
      },
      checklist,
    );
    return repo.get(id) as RotationRecord;
  }

  /** Every step before `position` done by the owner, the others pending, as if the rotation had come this far. */
  function comeUpTo(record: RotationRecord, position: number): RotationRecord {
    store.db
      .prepare(
        `UPDATE rotation_steps SET state = CASE WHEN position < ? THEN 'done' ELSE 'pending' END, done_by = CASE WHEN position < ? THEN 'U0OWNER' END WHERE rotation_id = ?`,
      )
      .run(position, position, record.rotation.id);
    return new RotationRepo(store.db).get(record.rotation.id) as RotationRecord;
  }

  /** Tick, skip and run of each gated step are refused for the gate, and the database is left as it was. */
  async function expectEveryGateHolds(record: RotationRecord, where: string): Promise<number> {
    const gated = record.steps.filter((step) => step.gate === 'approval');
    for (const step of gated) {
      const current = comeUpTo(record, step.position);
      const version = current.rotation.version;
      const before = snapshotTables(store, TABLES);
      const what = `${where}: ${step.id}`;
      const refusal = /waits for the approval of a security lead and a DevOps lead.*cannot be done, skipped or run before/;
      expect(
        () => runtime.rotation.tickStep(OWNER, current.rotation.id, step.id, { note: null, expectedVersion: version }),
        `${what} tick`,
      ).toThrow(refusal);
      expect(
        () => runtime.rotation.skipStep(OWNER, current.rotation.id, step.id, { reason: 'not needed', expectedVersion: version }),
        `${what} skip`,
      ).toThrow(refusal);
      await expect(
        runtime.rotation.runStep(OWNER, current.rotation.id, step.id, { expectedVersion: version }),
        `${what} run`,
      ).rejects.toThrow(refusal);
      expect(snapshotTables(store, TABLES), `${what}: nothing written`).toEqual(before);
      // The approvals, and only they, lift the lock.
      const approved: RotationRecord = {
        ...current,
        approvals: (['security_lead', 'devops_lead'] as const).map((role) => ({
          role,
          decision: 'approved',
          decidedBy: role === 'security_lead' ? 'U0SEC' : 'U0OPS',
          decidedAt: '2027-02-01T10:00:00.000Z',
          reason: null,
        })),
      };
      expect(() => stepFor(approved, step.id, step.action ? 'run' : 'tick'), `${what} once approved`).not.toThrow();
    }
    return gated.length;
  }

  // Walks every type × route combination (dozens of rotations): 20 s alone on a quiet 2-core machine, so it gets its own limit.
  it('on every type and route: the first step that changes anything outside the store, and every such step after it', async () => {
    for (const [type, route] of COMBINATIONS) {
      const name = `prod/${type}-${route}/credential`;
      store.inventoryService.create(secretFields(store, type, route, name), operator(), 'test');
      const record = arrange(name, route);
      const where = `${type} ${route}`;
      const gated = await expectEveryGateHolds(record, where);
      // Every step its definition marks irreversible on this route is gated, and nothing else.
      const irreversible = rotationSteps(type)
        .filter((definition) => isIrreversibleOn(definition, routeNamed(route)))
        .map((definition) => definition.id);
      expect(
        record.steps.filter((step) => step.gate === 'approval').map((step) => step.id),
        where,
      ).toEqual(record.steps.map((step) => step.id).filter((id) => irreversible.includes(id)));
      expect(gated, where).toBeGreaterThanOrEqual(2);
      // Nothing that changes anything outside the store comes before the first gate.
      const first = record.steps.findIndex((step) => step.gate === 'approval');
      for (const step of record.steps.slice(0, first))
        expect(['create_version', 'update_staging', 'test_staging'], `${where}: ${step.id} before the gate`).toContain(step.id);
    }
  }, 90_000);

  it('names the steps the issue found ungated: ALTER USER, the Vault write, the rotation Lambda, a key rolled at its issuer', () => {
    const gateOf = (type: SecretType, route: RouteName, id: string) => {
      const name = `prod/${type}-${route}/credential`;
      store.inventoryService.create(secretFields(store, type, route, name), operator(), 'test');
      return arrange(name, route).steps.find((step) => step.id === id)?.gate;
    };
    expect(gateOf('database', 'aws_generate', 'set_new_value')).toBe('approval');
    expect(gateOf('database', 'manual', 'set_new_value')).toBe('approval');
    expect(gateOf('redis', 'vault_generate', 'create_version')).toBe('approval');
    expect(gateOf('generic', 'vault_issuer', 'create_version')).toBe('approval');
    expect(gateOf('jwt', 'aws_rotation', 'create_version')).toBe('approval');
    expect(gateOf('api_key', 'manual', 'create_version')).toBe('approval');
    expect(gateOf('webhook', 'aws_issuer', 'create_version')).toBe('approval');
    // Writing a pending version changes nothing consumers read: it stays before the gate.
    expect(gateOf('smtp', 'aws_generate', 'create_version')).toBeNull();
  });

  it('an emergency rotation goes ahead without approvals: no step of it is gated, on any type and route', () => {
    for (const [type, route] of COMBINATIONS) {
      const name = `prod/${type}-${route}/credential`;
      store.inventoryService.create(secretFields(store, type, route, name), operator(), 'test');
      for (const order of ['replace_then_disable', 'disable_now'] as const) {
        const secret = store.inventory.get(name);
        const steps = resolveChecklist({
          secret: secret!,
          store: BUILT_IN_STORES.of(secret!.provider),
          provider: { rotationConfigured: route === 'aws_rotation' },
          policy: store.policy,
          emergency: true,
          revocationOrder: order,
        });
        expect(
          steps.filter((step) => step.gate !== null).map((step) => step.id),
          `${type} ${route} ${order}`,
        ).toEqual([]);
      }
    }
  });

  it('under a policy override: a built-in step keeps its gate under a new title, a step of its own with a provider action takes that action’s, and a gate: approval holds', async () => {
    for (const route of ['manual', 'aws_generate', 'vault_generate'] as const) {
      // The previous route's rotation ends first: a reference is never moved under an open rotation.
      store.db.prepare(`UPDATE rotations SET state = 'abandoned' WHERE secret_name = ?`).run(OVERRIDDEN);
      if (store.inventory.get(OVERRIDDEN))
        store.inventoryService.update(OVERRIDDEN, secretFields(store, 'database', route, OVERRIDDEN), operator(), 'test');
      else store.inventoryService.create(secretFields(store, 'database', route, OVERRIDDEN), operator(), 'test');
      const record = arrange(OVERRIDDEN, route);
      expect(
        record.steps.map((step) => `${step.id}${step.gate ? '!' : ''}`),
        route,
      ).toEqual([
        route === 'vault_generate' ? 'create_version!' : 'create_version',
        'set_new_value!',
        'freeze_deploys!',
        'switch!',
        'verify',
      ]);
      expect(record.steps.find((step) => step.id === 'set_new_value')?.title).toBe('Rotate the password with the DBA on call');
      expect(await expectEveryGateHolds(record, `override ${route}`)).toBe(route === 'vault_generate' ? 4 : 3);
    }
  });

  it('a refusal is a conflict the person can read, never a crash', async () => {
    const name = 'prod/database-aws_generate/credential';
    store.inventoryService.create(secretFields(store, 'database', 'aws_generate', name), operator(), 'test');
    const record = comeUpTo(arrange(name, 'aws_generate'), 1);
    const error = (() => {
      try {
        runtime.rotation.skipStep(OWNER, record.rotation.id, 'set_new_value', {
          reason: 'done by the DBA already',
          expectedVersion: record.rotation.version,
        });
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(RotorError);
    expect((error as RotorError).code).toBe('conflict');
    expect((error as RotorError).message).toBe(
      '“Set the new password on the database (ALTER USER)” waits for the approval of a security lead and a DevOps lead; they were asked in Slack. It changes something outside the store, so it cannot be done, skipped or run before.',
    );
  });
});
