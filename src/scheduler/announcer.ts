import type { AuditCheckpoint } from '../audit/audit-checkpoint.js';
import type { MessageRef } from '../core/delivery.js';
import type { SyncReport } from '../providers/sync-service.js';

/** What Rotor's scheduled jobs say in the announcement channel; the words come from views. */
export type Announcement =
  /** A job failed as a whole; `job` names it, `reason` quotes the failure (shown literally). */
  | { kind: 'job_failed'; job: 'reminder-sweep' | 'follow-up-sweep' | 'provider-sync'; at: string; reason: string }
  /** A follow-up was given up on after repeated failures: a person must do it. */
  | { kind: 'follow_up_failed'; followUp: { kind: string; topic: string; attempts: number }; error: string }
  /** The daily signed copy of the audit head, kept outside the database. */
  | { kind: 'audit_checkpoint'; checkpoint: AuditCheckpoint }
  /** The scheduled provider sync found secrets that need a person. */
  | { kind: 'sync_attention'; report: SyncReport };

/** The jobs' port to the announcement channel. */
export interface Announcer {
  announce(channel: string, announcement: Announcement): Promise<MessageRef>;
}
