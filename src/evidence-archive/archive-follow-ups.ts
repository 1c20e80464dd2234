import type { DateTime } from 'luxon';
import { RotorError, describeError, isRotorError } from '../core/errors.js';
import type { FollowUp } from '../follow-ups/follow-up.js';
import type { FollowUpRepo } from '../follow-ups/follow-up-repo.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import { scheduleUnlessActive } from '../follow-ups/retried-series.js';
import type { EvidenceKind } from './archive-layout.js';
import type { ArchiveItem } from './archive-ledger-repo.js';
import type { EvidenceArchiveService } from './evidence-archive-service.js';

/** The follow-up that archives one record. */
export const ARCHIVE_FOLLOW_UP = 'evidence.archive';

/** After a follow-up is given up on (and announced), the sweep starts a new one this much later. */
const RETRY_AFTER_HOURS = 24;

const KINDS: readonly EvidenceKind[] = ['rotation', 'incident', 'report'];

/** `evidence:rotation:42`: its own topic, so cancelling a rotation's follow-ups never cancels its archiving. */
export function archiveTopic(item: Pick<ArchiveItem, 'kind' | 'name'>): string {
  return `evidence:${item.kind}:${item.name}`;
}

/**
 * The sweep's half: a durable follow-up for every record due (none while one waits or runs; a
 * new one a day after one was given up on). Returns how many it scheduled.
 */
export function scheduleDueArchives(
  deps: { archive: EvidenceArchiveService; followUps: FollowUpService; repo: FollowUpRepo },
  now: DateTime,
): number {
  let scheduled = 0;
  for (const item of deps.archive.due(now)) {
    const payload = { kind: item.kind, subject: item.subject, name: item.name };
    if (scheduleUnlessActive(deps, { kind: ARCHIVE_FOLLOW_UP, topic: archiveTopic(item), payload }, now, RETRY_AFTER_HOURS)) scheduled += 1;
  }
  return scheduled;
}

/**
 * The follow-up's half: archives the record named in its payload. Running it again is harmless
 * (the ledger and the writer's HeadObject find what an interrupted run did), so an interrupted
 * run is simply run again.
 */
export function registerArchiveFollowUps(followUps: FollowUpService, archive: EvidenceArchiveService): void {
  followUps.register({
    kind: ARCHIVE_FOLLOW_UP,
    async run(followUp) {
      const item = itemOf(followUp);
      try {
        const outcome = await archive.archive(item);
        return {
          outcome: {
            status: outcome.status,
            objects: outcome.objects.map((object) => ({ key: object.key, status: object.status, versionId: object.versionId })),
          },
        };
      } catch (error) {
        throw new RotorError(
          isRotorError(error) ? error.code : 'internal',
          `Could not archive the evidence of ${item.kind} ${item.name} to ${archive.location}: ${describeError(error)}`,
          { cause: error },
        );
      }
    },
    reconcile: () => Promise.resolve(null),
  });
}

function itemOf(followUp: FollowUp): ArchiveItem {
  const { kind, subject, name } = followUp.payload;
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind) || typeof subject !== 'string' || typeof name !== 'string') {
    throw new RotorError('internal', `Follow-up ${followUp.id} (${ARCHIVE_FOLLOW_UP}) names no record to archive.`);
  }
  return { kind: kind as EvidenceKind, subject, name, endedAt: null };
}
