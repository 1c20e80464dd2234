import { membersOfRole } from '../access/role-members.js';
import { DateTime } from 'luxon';
import { isoInstant as iso } from '../core/clock.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import { OPEN_STATES, type ApproverRole, type RotationRecord, type RotationStep } from './rotation.js';
import {
  APPROVAL_RESEND_HOURS,
  ROTATION_FOLLOW_UPS,
  rotationTopic,
  STALE_ESCALATION_HOURS,
  STALE_NUDGE_HOURS,
} from './rotation-follow-ups.js';
import { holdersOfRole } from './rotation-rules.js';
import type { RotationServiceDeps } from './rotation-deps.js';

/**
 * Minutes between Rotor's own re-drives of an open incident's disable step that failed (the last
 * repeats): a safety net behind the responders' Retry, so a disable never waits on a person
 * forever. A run that died is settled (and re-driven at once) when its lease ends.
 */
const REDRIVE_MINUTES = [15, 30, 60];

/** The follow-ups a rotation schedules: approval requests, stale nudges, the removal offer, announcements, step checks and re-drives. */
export class RotationFollowUpPlan {
  constructor(private readonly deps: RotationServiceDeps) {}

  scheduleNudges(id: number, version: number, heldBy: string): void {
    const now = this.deps.clock.now();
    const topic = rotationTopic(id);
    this.deps.followUps.schedule({
      kind: ROTATION_FOLLOW_UPS.staleNudge,
      topic,
      occurrence: `v${version}`,
      dueAt: iso(now.plus({ hours: STALE_NUDGE_HOURS })),
      payload: { version, user: heldBy },
    });
    for (const lead of membersOfRole(this.deps.policy, 'security_leads', this.deps.groups ?? null)) {
      this.deps.followUps.schedule({
        kind: ROTATION_FOLLOW_UPS.staleEscalation,
        topic,
        occurrence: `v${version}:${lead}`,
        dueAt: iso(now.plus({ hours: STALE_ESCALATION_HOURS })),
        payload: { version, user: lead },
      });
    }
  }

  /** One DM per person who can fill a required role (the rotator excluded), now, and once more a day later. */
  approvalRequests(id: number, by: string, roles: readonly ApproverRole[]): FollowUpRequest[] {
    const people = [...new Set(roles.flatMap((role) => holdersOfRole(this.deps.policy, role, this.deps.groups ?? null)))].filter(
      (person) => person !== by,
    );
    const now = this.deps.clock.now();
    const topic = rotationTopic(id);
    return people.flatMap((person) => [
      { kind: ROTATION_FOLLOW_UPS.approvalRequest, topic, occurrence: person, dueAt: iso(now), payload: { user: person } },
      {
        kind: ROTATION_FOLLOW_UPS.approvalReminder,
        topic,
        occurrence: person,
        dueAt: iso(now.plus({ hours: APPROVAL_RESEND_HOURS })),
        payload: { user: person },
      },
    ]);
  }

  removalFollowUp(record: RotationRecord, from: string): FollowUpRequest {
    const start = record.rotation.promotedAt ?? from;
    const dueAt = iso(DateTime.fromISO(start, { zone: 'utc' }).plus({ hours: this.deps.policy.retentionHours }));
    return { kind: ROTATION_FOLLOW_UPS.removalDue, topic: rotationTopic(record.rotation.id), dueAt, payload: {} };
  }

  /** The announcement channel, and each consumer given as a channel id or mapped to one in the policy. */
  announcementChannels(secretName: string): string[] {
    const secret = this.deps.inventory.get(secretName);
    const channels = new Set<string>();
    if (this.deps.policy.channels.announce) channels.add(this.deps.policy.channels.announce);
    for (const consumer of secret?.consumers ?? []) {
      const mapped = this.deps.policy.channels.consumers[consumer];
      if (mapped) channels.add(mapped);
      else if (/^[CG][A-Z0-9]{2,}$/.test(consumer)) channels.add(consumer);
    }
    return [...channels];
  }

  stepCheck(id: number, stepId: string, attempt: number, dueAt: string, why: 'lease' | 'redrive' = 'lease'): FollowUpRequest {
    return {
      kind: ROTATION_FOLLOW_UPS.stepCheck,
      topic: rotationTopic(id),
      occurrence: `${stepId}:${attempt}:${why}`,
      dueAt,
      payload: { step: stepId, attempt, why },
    };
  }

  /** After a disable step that did not hold, the next re-drive, further apart each time. */
  scheduleRedrive(record: RotationRecord, step: RotationStep, attempts: number, now: string): void {
    if (step.action !== 'disable_compromised' || !(this.deps.incidents.revocationFacts(record.rotation.id)?.incidentOpen ?? false)) return;
    const minutes = REDRIVE_MINUTES[Math.min(attempts, REDRIVE_MINUTES.length) - 1] ?? 1;
    this.deps.followUps.schedule(
      this.stepCheck(record.rotation.id, step.id, attempts, iso(DateTime.fromISO(now, { zone: 'utc' }).plus({ minutes })), 'redrive'),
    );
  }

  /** An open incident's disable step that has run and is not done: it is run again until the store shows it done. */
  mustRedrive(record: RotationRecord, step: RotationStep): boolean {
    return (
      step.action === 'disable_compromised' &&
      step.state === 'pending' &&
      step.attempts > 0 &&
      OPEN_STATES.includes(record.rotation.state) &&
      (this.deps.incidents.revocationFacts(record.rotation.id)?.incidentOpen ?? false)
    );
  }
}
