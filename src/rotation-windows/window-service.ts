import type { GroupMembers } from '../access/role-members.js';
import { DateTime } from 'luxon';
import { actorId, type Actor } from '../access/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { isoInstant, type Clock } from '../core/clock.js';
import { RotorError, ValidationError } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { RotationRecord } from '../rotation/rotation.js';
import { approverRolesOf, cleanNote, requireOpen } from '../rotation/rotation-rules.js';
import type { RotationService } from '../rotation/rotation-service.js';
import { isInsideWindow, type RotationWindow } from '../rotation/rotation-window.js';
import { checkWindowRequest, type WindowRequest } from './window-rules.js';
import type { RotationWindowRepo, ScheduledWindow } from './window-repo.js';

/** The notices a window sends, each to every announcement and consumer channel (occurrence: the channel). */
export const WINDOW_FOLLOW_UPS = {
  planned: 'rotation_window.planned',
  reminder: 'rotation_window.reminder',
  started: 'rotation_window.started',
} as const;
export type WindowNotice = keyof typeof WINDOW_FOLLOW_UPS;

export function windowTopic(windowId: number): string {
  return `rotation_window:${windowId}`;
}

export function windowIdOfTopic(topic: string): number | null {
  const match = /^rotation_window:(\d+)$/.exec(topic);
  return match ? Number(match[1]) : null;
}

export interface WindowServiceDeps {
  repo: RotationWindowRepo;
  rotation: Pick<RotationService, 'get' | 'rotatable' | 'announcementChannels'>;
  audit: AuditLog;
  followUps: { schedule(request: FollowUpRequest): unknown; cancel(topic: string, kind?: string): unknown };
  clock: Clock;
  policy: Policy;
  /** User groups' members, for approvers named by a group in a role the policy defines. */
  groups?: GroupMembers;
  kickFollowUps?: () => void;
}

/**
 * Planned windows (issue 23 item 4): whoever may rotate the secret plans its open rotation for a
 * window; the consumers' channels and the announcement channel are told at once, the policy's
 * lead time before (`windows.lead_time_hours`) and when it starts, each exactly once (durable
 * follow-ups). Planning again replaces the window (its notices not yet sent are dropped). An
 * approver may override the window, with a reason: the irreversible steps unlock outside it.
 */
export class WindowService {
  constructor(private readonly deps: WindowServiceDeps) {}

  /**
   * Plans the rotation's window. Refused, with nothing changed: a start in the past, a duration
   * or impact text out of bounds, a production window outside the policy's days and hours, a
   * window overlapping another planned window in the same environment, a rotation that is over.
   */
  plan(actor: Actor, rotationId: number, request: WindowRequest): { window: RotationWindow; record: RotationRecord } {
    const record = this.deps.rotation.get(rotationId);
    requireOpen(record);
    const { rotation } = record;
    this.deps.rotation.rotatable(actor, rotation.secretName);
    const now = this.deps.clock.now();
    const { window: checked, issues } = checkWindowRequest(request, rotation.environment, now, this.deps.policy);
    if (!checked) throw new ValidationError(`The window for ${rotation.secretName} was not planned; nothing was changed.`, issues);
    const startsAt = isoInstant(checked.startsAt);
    const endsAt = isoInstant(checked.endsAt);
    const clash = this.deps.repo.overlapping(rotation.environment, startsAt, endsAt, rotationId)[0];
    if (clash)
      throw new ValidationError(`The window for ${rotation.secretName} was not planned; nothing was changed.`, [
        {
          where: 'start',
          message: `It overlaps the window planned for ${clash.secretName} in ${clash.environment} (${clash.startsAt} to ${clash.endsAt}): choose another time.`,
        },
      ]);
    const by = actorId(actor);
    const plannedAt = isoInstant(now);
    const window = this.deps.audit.record(() => {
      const { window: planned, replaced } = this.deps.repo.replace(
        { rotationId, environment: rotation.environment, startsAt, endsAt, impact: checked.impact, plannedBy: by, plannedAt },
        plannedAt,
      );
      if (replaced !== null) this.deps.followUps.cancel(windowTopic(replaced));
      this.scheduleNotices(planned, rotation.secretName, plannedAt);
      const details = { rotation: rotationId, window: planned.id, startsAt, endsAt, impact: checked.impact, replaced };
      return { result: planned, events: [{ actor: by, action: 'rotation.window_planned', secret: rotation.secretName, details }] };
    });
    this.deps.kickFollowUps?.();
    return { window, record: this.deps.rotation.get(rotationId) };
  }

  /** An approver lets the irreversible steps run outside the window, with a reason (audited). */
  override(actor: Actor, rotationId: number, reasonText: string | null): RotationRecord {
    const record = this.deps.rotation.get(rotationId);
    requireOpen(record);
    const by = actorId(actor);
    if (approverRolesOf(this.deps.policy, by, this.deps.groups ?? null).length === 0)
      throw new RotorError(
        'forbidden',
        'Only an approver (a security lead or a DevOps lead in the policy) may override a planned window; nothing was changed.',
      );
    const window = this.deps.repo.current(rotationId);
    if (!window) throw new RotorError('conflict', `The rotation of ${record.rotation.secretName} has no planned window to override.`);
    if (window.override)
      throw new RotorError('conflict', `The window was already overridden by <@${window.override.by}> at ${window.override.at}.`);
    if (isInsideWindow(window, this.deps.clock.now()))
      throw new RotorError('conflict', 'The window is open now: its steps may be done without an override.');
    const reason = cleanNote(reasonText, true, 'reason') as string;
    const at = isoInstant(this.deps.clock.now());
    this.deps.audit.record(() => {
      if (!this.deps.repo.override(window.id, by, reason, at))
        throw new RotorError('conflict', 'Someone overrode or replaced this window a moment ago; reopen the rotation to see it.');
      const details = { rotation: rotationId, window: window.id, reason };
      return {
        result: undefined,
        events: [{ actor: by, action: 'rotation.window_overridden', secret: record.rotation.secretName, details }],
      };
    });
    return this.deps.rotation.get(rotationId);
  }

  /** The window a notice is about, while it is its rotation's current one and the rotation is open; else null (the notice is moot). */
  liveWindow(windowId: number): ScheduledWindow | null {
    return this.deps.repo.isLive(windowId) ? this.deps.repo.get(windowId) : null;
  }

  /** Upcoming windows of open rotations, for the calendar. */
  upcoming(): ScheduledWindow[] {
    return this.deps.repo.upcoming(isoInstant(this.deps.clock.now()));
  }

  private scheduleNotices(window: RotationWindow, secretName: string, now: string): void {
    const reminderAt = isoInstant(DateTime.fromISO(window.startsAt).minus({ hours: this.deps.policy.windows.leadTimeHours }));
    for (const channel of this.deps.rotation.announcementChannels(secretName)) {
      const notice = (kind: WindowNotice, dueAt: string) =>
        this.deps.followUps.schedule({
          kind: WINDOW_FOLLOW_UPS[kind],
          topic: windowTopic(window.id),
          occurrence: channel,
          dueAt,
          payload: { channel },
        });
      notice('planned', now);
      // A window closer than the lead time is told at planning, then at its start.
      if (reminderAt > now) notice('reminder', reminderAt);
      notice('started', window.startsAt);
    }
  }
}
