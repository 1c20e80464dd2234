import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAutomatic } from '../../src/automatic-rotation/automatic-marking.js';
import { AutomaticRotationService } from '../../src/automatic-rotation/automatic-rotation-service.js';
import { parsePolicy, type Policy } from '../../src/config/policy.js';
import type { FollowUpRequest } from '../../src/follow-ups/follow-up.js';
import { toUtcDate } from '../../src/inventory/schedule.js';
import { RotationRepo } from '../../src/rotation/rotation-repo.js';
import { operator } from '../support/actors.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

const POLICY = 'automatic:\n  types: [database, redis]\n  lead_days: 3\n';

/**
 * The automatic-rotation job runs every minute: it reads only the due secrets of the automatic
 * types or carrying the `rotor:rotation` tag, not every due secret whole. What it schedules must
 * stay exactly what the policy and the tags mark automatic.
 */
describe('the automatic-rotation job picks exactly the automatic secrets that came due', () => {
  let store: TempStore;
  let policy: Policy;
  let scheduled: FollowUpRequest[];
  let job: AutomaticRotationService;

  beforeEach(() => {
    policy = parsePolicy(POLICY);
    store = openTempStore({ policy });
    scheduled = [];
    job = new AutomaticRotationService({
      // scheduleDue reads the inventory and the rotations only; it never opens a rotation itself.
      rotation: null as never,
      rotations: new RotationRepo(store.db),
      inventory: store.inventory,
      followUps: {
        schedule: (request: FollowUpRequest) => {
          scheduled.push(request);
          return true;
        },
      },
      audit: store.audit,
      clock: store.clock,
      policy,
    });
  });
  afterEach(() => store.close());

  /** A secret due `inDays` days from the injected clock's today (negative: overdue). */
  const add = (name: string, type: string, inDays: number, extra: Record<string, unknown> = {}) => {
    store.inventoryService.create({ name, type, owner: 'U0OWNER', ...extra }, operator(), 'test');
    const due = toUtcDate(store.clock.now().plus({ days: inDays }));
    store.db.prepare('UPDATE secrets SET next_rotation = ? WHERE name = ?').run(due, name);
  };
  const scheduledNames = () => scheduled.map((request) => store.inventory.getById(Number(request.payload?.secretId))?.name).sort();

  it('by type, by the tag either way, within lead_days, active only', () => {
    add('prod/app/db', 'database', -5);
    add('prod/app/cache', 'redis', 2);
    add('prod/app/later-db', 'database', 4);
    add('prod/app/api', 'api_key', -1);
    add('prod/app/tagged-api', 'api_key', 0, { tags: { 'rotor:rotation': ' Automatic ' } });
    add('prod/app/manual-db', 'database', -2, { tags: { 'rotor:rotation': 'manual' } });
    add('prod/app/other-tag-db', 'database', -3, { tags: { team: 'payments' } });
    add('prod/app/burnt-db', 'database', -1);
    store.db.prepare("UPDATE secrets SET lifecycle = 'compromised' WHERE name = 'prod/app/burnt-db'").run();
    add('prod/app/old-db', 'database', -9);
    store.db.prepare("UPDATE secrets SET lifecycle = 'retired' WHERE name = 'prod/app/old-db'").run();

    expect(job.scheduleDue()).toBe(4);
    const expected = ['prod/app/cache', 'prod/app/db', 'prod/app/other-tag-db', 'prod/app/tagged-api'];
    expect(scheduledNames()).toEqual(expected);
    // The same secrets as the whole due list filtered in memory, as the job read them before.
    const until = store.clock.now().plus({ days: policy.automatic.leadDays });
    const whole = store.inventory.overdue(until).filter((secret) => secret.lifecycle === 'active' && isAutomatic(secret, policy));
    expect(whole.map((secret) => secret.name).sort()).toEqual(expected);
  });

  it('schedules nothing when no type is automatic and no secret is tagged', () => {
    policy = parsePolicy('automatic:\n  lead_days: 3\n');
    job = new AutomaticRotationService({
      rotation: null as never,
      rotations: new RotationRepo(store.db),
      inventory: store.inventory,
      followUps: { schedule: (request: FollowUpRequest) => scheduled.push(request) > 0 },
      audit: store.audit,
      clock: store.clock,
      policy,
    });
    add('prod/app/db', 'database', -5);
    add('prod/app/api', 'api_key', -1, { tags: { 'rotor:rotation': 'manual' } });
    expect(job.scheduleDue()).toBe(0);
    expect(scheduled).toEqual([]);
  });
});
