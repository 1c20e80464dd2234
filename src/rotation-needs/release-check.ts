import { actorId, type Actor } from '../access/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { isoInstant, type Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import { daysUntil, MAX_WINDOW_DAYS, toUtcDate } from '../inventory/schedule.js';
import type { Secret } from '../inventory/secret.js';
import { effectiveDueDay, type RotationNeed } from './rotation-need.js';
import type { RotationNeedService } from './rotation-need-service.js';

/** `rotor release check`'s window when none is given. */
export const DEFAULT_RELEASE_WINDOW_DAYS = 14;

/** What `--open` schedules: one DM per owner; topic `release:<environment>:<checked at>`, occurrence the owner. */
export const RELEASE_FOLLOW_UPS = { ownerNotice: 'release.owner_notice' } as const;

export interface ReleaseItem {
  secret: Secret;
  /** Its next rotation, or an open rotation need's day when earlier. */
  dueDay: string;
  /** Negative once overdue; a compromised secret counts as overdue whatever its date. */
  daysUntilDue: number;
  overdue: boolean;
  needs: RotationNeed[];
}

export interface ReleaseCheck {
  environment: string;
  withinDays: number;
  at: string;
  /** Due today or earlier, or compromised: the release should wait for their rotations. */
  overdue: ReleaseItem[];
  /** Due within the window: rotate them before or soon after the release. */
  dueSoon: ReleaseItem[];
}

export interface ReleaseOpened {
  /** The needs recorded (reason `release`), one per secret not already marked by this check. */
  opened: RotationNeed[];
  /** Owners told by DM (one each). */
  owners: string[];
  /** Secrets with no owner to tell. */
  unowned: string[];
}

/**
 * Before a release: an environment's secrets overdue or due within a window, rotation needs
 * included, for a CI/CD gate (`rotor release check`). `open` marks their rotation needed with
 * reason `release`, due by the end of the window, and tells each owner once; the rotations
 * themselves are started by their owners (Start rotation) until the rotation engine takes a
 * reason of its own.
 */
export class ReleaseCheckService {
  constructor(
    private readonly deps: {
      inventory: InventoryRepo;
      needs: RotationNeedService;
      audit: AuditLog;
      followUps: { schedule(request: FollowUpRequest): unknown };
      clock: Clock;
      policy: Policy;
    },
  ) {}

  check(environment: string, withinDays = DEFAULT_RELEASE_WINDOW_DAYS): ReleaseCheck {
    if (!this.deps.policy.environments.includes(environment)) {
      throw new ValidationError(`${environment} is not an environment of the policy, so there is nothing to check.`, [
        { where: '--env', message: `use one of ${this.deps.policy.environments.join(', ')}` },
      ]);
    }
    if (!Number.isInteger(withinDays) || withinDays < 0 || withinDays > MAX_WINDOW_DAYS) {
      throw new ValidationError(`The window must be a whole number of days from 0 to ${MAX_WINDOW_DAYS}.`, [
        { where: '--within', message: 'e.g. --within 14d' },
      ]);
    }
    const now = this.deps.clock.now();
    const until = toUtcDate(now.plus({ days: withinDays }));
    const due = this.deps.inventory.dueInEnvironment(environment, until);
    const compromised = this.deps.inventory
      .list({ environment, status: 'compromised' }, now, 0)
      .filter((secret) => !due.some((item) => item.id === secret.id));
    const secrets = [...due, ...compromised];
    const needs = this.deps.needs.openFor(secrets.map((secret) => secret.id));
    const items = secrets.map((secret): ReleaseItem => {
      const own = needs.get(secret.id) ?? [];
      const dueDay = effectiveDueDay(secret.nextRotation, own);
      const days = daysUntil(dueDay, now);
      return { secret, dueDay, daysUntilDue: days, overdue: days <= 0 || secret.lifecycle === 'compromised', needs: own };
    });
    items.sort(
      (a, b) => Number(b.overdue) - Number(a.overdue) || a.dueDay.localeCompare(b.dueDay) || a.secret.name.localeCompare(b.secret.name),
    );
    return {
      environment,
      withinDays,
      at: isoInstant(now),
      overdue: items.filter((item) => item.overdue),
      dueSoon: items.filter((item) => !item.overdue),
    };
  }

  /** Marks every listed secret's rotation needed for the release and tells each owner once; audited. */
  open(check: ReleaseCheck, actor: Actor): ReleaseOpened {
    const items = [...check.overdue, ...check.dueSoon];
    const now = this.deps.clock.now();
    const dueAt = isoInstant(now.plus({ days: check.withinDays }));
    const origin = `release:${check.environment}:${toUtcDate(now)}`;
    const topic = `release:${check.environment}:${check.at}`;
    return this.deps.audit.record(() => {
      const opened = this.deps.needs.mark(
        items.map((item) => ({
          secretId: item.secret.id,
          reason: 'release' as const,
          dueAt,
          person: null,
          detail: `the ${check.environment} release (rotor release check)`,
          origin,
        })),
        actor,
      );
      const byOwner = new Map<string, string[]>();
      for (const item of items) {
        if (!item.secret.owner) continue;
        byOwner.set(item.secret.owner, [...(byOwner.get(item.secret.owner) ?? []), item.secret.name]);
      }
      for (const [owner, secrets] of byOwner) {
        this.deps.followUps.schedule({
          kind: RELEASE_FOLLOW_UPS.ownerNotice,
          topic,
          occurrence: owner,
          dueAt: check.at,
          payload: { user: owner, environment: check.environment, secrets, dueAt },
        });
      }
      const unowned = items.filter((item) => !item.secret.owner).map((item) => item.secret.name);
      const details = {
        environment: check.environment,
        withinDays: check.withinDays,
        overdue: check.overdue.map((item) => item.secret.name),
        dueSoon: check.dueSoon.map((item) => item.secret.name),
        owners: [...byOwner.keys()],
        unowned,
        dueAt,
      };
      return {
        result: { opened, owners: [...byOwner.keys()], unowned },
        events: [{ actor: actorId(actor), action: 'release.rotations_requested', details }],
      };
    });
  }
}
