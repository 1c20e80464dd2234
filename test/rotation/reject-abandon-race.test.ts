import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { BUILT_IN_STORES } from '../../src/providers/store-catalog.js';
import { StaleRotationError } from '../../src/rotation/rotation-errors.js';
import type { Runtime } from '../../src/runtime.js';
import { sideRuntime } from '../support/rotations.js';
import { InMemorySecretStore } from '../fakes/in-memory-store.js';
import { operator, slackActor } from '../support/actors.js';
import { rotor } from '../support/cli.js';
import { daysAgo } from '../support/clock-dates.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

const POLICY = parsePolicy(`
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
`);
const NAME = 'prod/app/db';
const OWNER = slackActor('U0OWNER');
const SEC = slackActor('U0SEC');

/**
 * An approver's Reject and the rotator's Abandon pressed at once on one rotation, each cleaning up
 * at the store before it records: one ends the rotation, the other is refused clearly, and the
 * database and the audit chain say one ending.
 */
describe('Reject and Abandon pressed at once', () => {
  let store: TempStore;
  let runtime: Runtime;
  let memory: InMemorySecretStore;

  beforeEach(() => {
    store = openTempStore({ policy: POLICY });
    memory = new InMemorySecretStore('aws', BUILT_IN_STORES.of('aws').capabilities);
    memory.put(NAME);
    store.inventoryService.create(
      { name: NAME, type: 'database', owner: 'U0OWNER', provider: 'aws', providerRef: NAME, lastRotated: daysAgo(store.clock, 92) },
      operator(),
      'test',
    );
    runtime = sideRuntime(store, createProviderRegistry({ aws: memory }));
  });
  afterEach(() => {
    runtime.close();
    store.close();
  });

  it.each([
    ['Reject', 'Abandon'],
    ['Abandon', 'Reject'],
  ] as const)(
    '%s first, %s a moment after: one wins, the other is refused; one ending recorded, `rotor audit verify` passes',
    async (first, _second) => {
      const { rotation } = await runtime.rotation.start(OWNER, NAME, { ticket: 'OPS-1' });
      const create = runtime.rotation.get(rotation.id).steps.find((step) => step.action === 'create_version');
      const created = await runtime.rotation.runStep(OWNER, rotation.id, create?.id as string, {
        expectedVersion: runtime.rotation.get(rotation.id).rotation.version,
      });
      expect(created.error).toBeNull();
      const pending = runtime.rotation.get(rotation.id).rotation.newVersionId as string;
      expect(memory.labelsOf(NAME)[pending]).toEqual(['AWSPENDING']);

      const version = runtime.rotation.get(rotation.id).rotation.version;
      const reject = () => runtime.rotation.reject(SEC, rotation.id, 'not approved: wrong window');
      const abandon = () => runtime.rotation.abandon(OWNER, rotation.id, { reason: 'starting over', expectedVersion: version });
      // Both pass their checks and clean up at the store before either records its ending: the
      // first is held at the store until the second has reached it too, so the race always happens.
      const reachStore = memory.validateReference.bind(memory);
      let arrived = 0;
      let releaseStore = () => {};
      const bothAtStore = new Promise<void>((resolve) => {
        releaseStore = resolve;
      });
      memory.validateReference = async (target) => {
        arrived += 1;
        if (arrived === 2) releaseStore();
        await bothAtStore;
        return reachStore(target);
      };
      const started = first === 'Reject' ? [reject(), abandon()] : [abandon(), reject()];
      // A second that ended without reaching the store releases the first, so the test fails instead of hanging.
      void Promise.allSettled([started[1]]).then(releaseStore);
      const settled = await Promise.allSettled(started);
      expect(arrived).toBe(2);
      const outcomes = first === 'Reject' ? settled : [...settled].reverse();
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      const won = outcomes.findIndex((outcome) => outcome.status === 'fulfilled');
      const refused = (outcomes[1 - won] as PromiseRejectedResult).reason as Error;
      expect(refused).toBeInstanceOf(StaleRotationError);
      expect(refused.message).toMatch(
        /^Someone changed the rotation of prod\/app\/db while you were looking .*Try again if it still applies\.$/,
      );

      const ended = runtime.rotation.get(rotation.id).rotation;
      expect(ended.state).toBe(won === 0 ? 'rejected' : 'abandoned');
      const endings = store.db
        .prepare(`SELECT action FROM audit_events WHERE action IN ('rotation.rejected', 'rotation.abandoned')`)
        .pluck()
        .all();
      expect(endings).toEqual([won === 0 ? 'rotation.rejected' : 'rotation.abandoned']);
      expect(store.db.prepare(`SELECT count(*) FROM rotation_approvals WHERE decision = 'rejected'`).pluck().get()).toBe(won === 0 ? 1 : 0);
      expect(memory.labelsOf(NAME)[pending] ?? []).not.toContain('AWSPENDING');
      expect(store.inventory.get(NAME)?.lifecycle).toBe('active');

      // The chain, and its replay into the tables (--deep), agree with what was recorded.
      for (const deep of [[], ['--deep']]) expect(await rotor(store.path, 'audit', 'verify', ...deep)).toMatchObject({ code: 0 });
    },
  );
});
