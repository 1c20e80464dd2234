import type { DateTime } from 'luxon';
import { isoInstant } from '../core/clock.js';
import type { FollowUpPayload } from './follow-up.js';
import type { FollowUpRepo } from './follow-up-repo.js';
import type { FollowUpService } from './follow-up-service.js';

/**
 * Schedules the follow-up that does one piece of work a sweep found still undone, unless one
 * is already waiting or running. A follow-up given up on (after its retries, announced) is
 * followed by a new one once `retryAfterHours` have passed, under the next occurrence
 * (`retry-1`, `retry-2`, …): the work is never dropped, and the failure is announced again
 * while it lasts. Returns whether one was scheduled.
 */
export function scheduleUnlessActive(
  deps: { followUps: FollowUpService; repo: FollowUpRepo },
  request: { kind: string; topic: string; payload: FollowUpPayload },
  now: DateTime,
  retryAfterHours: number,
): boolean {
  const series = deps.repo.ofTopic(request.topic).filter((followUp) => followUp.kind === request.kind);
  if (series.some((followUp) => followUp.state === 'pending' || followUp.state === 'claimed')) return false;
  const latest = [...series].sort((a, b) => (a.doneAt ?? a.createdAt).localeCompare(b.doneAt ?? b.createdAt)).at(-1);
  if (latest?.state === 'failed' && isoInstant(now.minus({ hours: retryAfterHours })) < (latest.doneAt ?? latest.createdAt)) return false;
  return deps.followUps.schedule({ ...request, occurrence: series.length === 0 ? '' : `retry-${series.length}`, dueAt: isoInstant(now) });
}
