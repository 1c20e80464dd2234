import { DateTime } from 'luxon';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditTrailRepo } from '../audit/audit-trail-repo.js';
import { isoInstant, type Clock } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import type { ArchiveRetention } from './archive-retention.js';
import { evidenceKeys } from './archive-layout.js';
import type { ArchivedRecord, ArchiveItem, ArchiveLedgerRepo, StagedRecord } from './archive-ledger-repo.js';
import { EvidenceArchiveVerifier, type EvidenceVerification, type ExpectedEvidence } from './evidence-archive-verifier.js';
import { EvidenceArchiveWriter, type ArchivedObject } from './evidence-archive-writer.js';
import type { EvidenceBucket } from './evidence-bucket.js';
import type { EvidenceDocuments } from './evidence-documents.js';
import { recordDigest } from './record-digest.js';

/** The audit action that records an archived record: the digests `rotor evidence verify` checks the bucket against. */
export const EVIDENCE_ARCHIVED = 'evidence.archived';

/** How long after it ended a record may still be unarchived before verify counts it missing (a follow-up runs every minute). */
const GRACE_MINUTES = 60;

/** What the archive says about itself in /healthz. */
export type EvidenceArchiveHealth =
  | { state: 'not_configured'; detail: string }
  | { state: 'ok' | 'failing'; bucket: string; lastArchivedAt: string | null; due: number; lastError: string | null };

export interface ArchiveOutcome {
  /** `already_archived`: the ledger had it, or every object was in the bucket already (a retry after a crash). */
  status: 'archived' | 'already_archived';
  record: ArchivedRecord;
  objects: ArchivedObject[];
}

/** One thing `rotor evidence verify` found wrong, naming the object (or the record not archived). */
export interface ArchiveProblem {
  /** `s3://bucket/key`, or `rotation 42` for a record not archived. */
  where: string;
  problem: string;
}

export interface ArchiveCheck {
  bucket: string;
  /** Objects read back, locked and holding the audit chain's digest. */
  ok: string[];
  problems: ArchiveProblem[];
  /** Records that ended less than an hour ago and wait for their follow-up. */
  waiting: string[];
  /** Objects under the prefix that no record names (listed, not judged). */
  unexpected: string[];
  /** Records archived to a bucket the policy no longer names: not checked. */
  elsewhere: string[];
}

export interface EvidenceArchiveDeps {
  bucket: EvidenceBucket;
  retention: ArchiveRetention;
  ledger: ArchiveLedgerRepo;
  /** What renders the records: loaded by the first record archived, with the report's CSV writer, not with every bot. */
  documents: () => Promise<EvidenceDocuments>;
  audit: AuditLog;
  trail: AuditTrailRepo;
  clock: Clock;
}

/**
 * Evidence archived where it cannot be rewritten. Finds what is due (rotations that ended,
 * incidents that closed, months that ended), archives one record at a time exactly once —
 * rendered and staged in the ledger first, then written under Object Lock, then marked archived
 * with an `evidence.archived` audit event — and verifies everything archived against the bucket
 * and the audit chain. Knows nothing of how the work is scheduled (see archive-follow-ups.ts).
 */
export class EvidenceArchiveService {
  private readonly writer: EvidenceArchiveWriter;
  private bucketChecked = false;

  constructor(private readonly deps: EvidenceArchiveDeps) {
    this.writer = new EvidenceArchiveWriter(deps.bucket, deps.retention);
  }

  /** `s3://bucket/prefix/`: where records go. */
  get location(): string {
    return this.deps.bucket.url(this.deps.bucket.prefix === '' ? '' : `${this.deps.bucket.prefix}/`);
  }

  /** Refuses a bucket without versioning or Object Lock, saying what to set (start-up, and before the first write of a process). */
  async checkBucket(): Promise<void> {
    await this.deps.bucket.check();
    this.bucketChecked = true;
  }

  /** Records due now: ended rotations and closed incidents not archived, then the months whose report is not. */
  due(now: DateTime, limit = 500): ArchiveItem[] {
    return [...this.deps.ledger.dueRotations(limit), ...this.deps.ledger.dueIncidents(limit), ...this.dueReports(now)];
  }

  /**
   * The months whose `rotor report rotations` is due: the month that ended last, and every month
   * since the first one archived that is not (so a month the bot was down for is not skipped).
   */
  dueReports(now: DateTime): ArchiveItem[] {
    const lastEnded = now.toUTC().startOf('month').minus({ months: 1 });
    const months = this.deps.ledger.reportMonths();
    const first = months[0] ? DateTime.fromFormat(months[0], 'yyyy-LL', { zone: 'utc' }) : lastEnded;
    const archived = new Set(months);
    const due: ArchiveItem[] = [];
    for (let month = first; month <= lastEnded; month = month.plus({ months: 1 })) {
      const subject = month.toFormat('yyyy-LL');
      if (!archived.has(subject))
        due.push({ kind: 'report', subject, name: `rotations-${subject}`, endedAt: isoInstant(month.endOf('month')) });
    }
    return due;
  }

  /**
   * Archives one record, once. The first attempt renders and stages it; every attempt writes
   * the staged bytes (the writer finds objects already there with the same digest), then marks
   * it archived with its audit event. A failure changes nothing but the staging: the follow-up
   * retries it.
   */
  async archive(item: ArchiveItem): Promise<ArchiveOutcome> {
    const known = this.deps.ledger.archivedRecord(item.kind, item.name);
    if (known) return { status: 'already_archived', record: known, objects: [] };
    const staged = this.deps.ledger.stagedRecord(item.kind, item.name) ?? (await this.stage(item));
    if (!this.bucketChecked) await this.checkBucket();
    const now = this.deps.clock.now();
    const objects = await this.writer.archive(
      {
        kind: staged.kind,
        id: staged.name,
        secretName: staged.secretName,
        occurredAt: staged.occurredAt,
        markdown: staged.markdownBody,
        json: staged.jsonBody,
      },
      now,
    );
    const [markdown, json] = objects as [ArchivedObject, ArchivedObject];
    const record: ArchivedRecord = {
      kind: staged.kind,
      subject: staged.subject,
      name: staged.name,
      outcome: staged.outcome,
      secretName: staged.secretName,
      bucket: this.deps.bucket.bucket,
      markdownKey: markdown.key,
      markdownDigest: markdown.digest,
      markdownVersion: markdown.versionId,
      jsonKey: json.key,
      jsonDigest: json.digest,
      jsonVersion: json.versionId,
      recordDigest: staged.recordDigest,
      chainSeqs: staged.chainSeqs,
      retainUntil: json.retainUntil,
      archivedAt: isoInstant(now),
    };
    const added = this.deps.audit.record(() => {
      const inserted = this.deps.ledger.recordArchived(record);
      return { result: inserted, events: inserted ? [archivedEvent(record)] : [] };
    });
    const stored = this.deps.ledger.archivedRecord(item.kind, item.name) as ArchivedRecord;
    return {
      status: added && objects.some((object) => object.status === 'written') ? 'archived' : 'already_archived',
      record: stored,
      objects,
    };
  }

  private async stage(item: ArchiveItem): Promise<StagedRecord> {
    const documents = await this.deps.documents();
    const now = this.deps.clock.now();
    const built = documents.build(item, now);
    const record: StagedRecord = {
      kind: item.kind,
      subject: item.subject,
      name: item.name,
      outcome: built.outcome,
      secretName: built.record.secretName,
      occurredAt: built.record.occurredAt,
      markdownBody: built.record.markdown,
      jsonBody: built.record.json,
      recordDigest: built.recordDigest,
      chainSeqs: built.positions.map((position) => position.seq),
      stagedAt: isoInstant(now),
    };
    // Checked now, not at the write: a name that cannot be a key is refused before anything is kept.
    evidenceKeys(this.deps.bucket.prefix, {
      kind: record.kind,
      id: record.name,
      secretName: record.secretName,
      occurredAt: record.occurredAt,
    });
    this.deps.ledger.stage(record);
    // Another process may have staged it first: its bytes are the record.
    return this.deps.ledger.stagedRecord(item.kind, item.name) as StagedRecord;
  }

  /**
   * Reads every archived record back: each object present, locked in COMPLIANCE mode until a
   * date ahead, a single version, holding the digest the audit chain's `evidence.archived` event
   * gives; the record's digest recomputed from the audit chain now; and every record due for
   * more than an hour archived.
   */
  async verify(): Promise<ArchiveCheck> {
    const now = this.deps.clock.now();
    const bucket = this.deps.bucket;
    const events = new Map<string, Record<string, unknown>>();
    for (const event of this.deps.trail.withActions([EVIDENCE_ARCHIVED]))
      events.set(`${String(event.details.kind)}|${String(event.details.name)}`, event.details);
    const check: ArchiveCheck = { bucket: this.location, ok: [], problems: [], waiting: [], unexpected: [], elsewhere: [] };
    const expected: ExpectedEvidence[] = [];
    for (const entry of this.deps.ledger.archived()) {
      if (entry.bucket !== bucket.bucket) {
        check.elsewhere.push(`s3://${entry.bucket}/${entry.jsonKey}`);
        continue;
      }
      const chained = events.get(`${entry.kind}|${entry.name}`);
      const chainedObjects = Array.isArray(chained?.objects) ? (chained.objects as { key?: unknown; digest?: unknown }[]) : [];
      if (!chained)
        check.problems.push({
          where: bucket.url(entry.jsonKey),
          problem: `no ${EVIDENCE_ARCHIVED} event in the audit chain records it, so its digest cannot be checked against the chain; the ledger's is used`,
        });
      for (const [key, ledgerDigest] of [
        [entry.markdownKey, entry.markdownDigest],
        [entry.jsonKey, entry.jsonDigest],
      ] as const) {
        const chainDigest = chainedObjects.find((object) => object.key === key)?.digest;
        if (chained && chainDigest !== ledgerDigest)
          check.problems.push({
            where: bucket.url(key),
            problem: `the ledger's digest ${ledgerDigest} differs from the audit chain's ${String(chainDigest)}: the database was changed outside Rotor`,
          });
        expected.push({ key, digest: typeof chainDigest === 'string' ? chainDigest : ledgerDigest });
      }
      const recomputed = recordDigest(entry.kind, entry.subject, this.deps.trail.positions(entry.chainSeqs));
      const archivedDigest = typeof chained?.recordDigest === 'string' ? chained.recordDigest : entry.recordDigest;
      if (recomputed !== archivedDigest) {
        check.problems.push({
          where: bucket.url(entry.jsonKey),
          problem: `the audit chain no longer holds the events it cites unchanged (events #${entry.chainSeqs[0] ?? '–'}–#${entry.chainSeqs[entry.chainSeqs.length - 1] ?? '–'}): recomputed ${recomputed}, archived ${archivedDigest}; run \`rotor audit verify\``,
        });
      }
    }
    const objects: EvidenceVerification = await new EvidenceArchiveVerifier(bucket).verify(expected, now);
    check.ok = objects.ok;
    check.unexpected = objects.unexpected.map((key) => bucket.url(key));
    check.problems.unshift(
      ...objects.missing.map((key) => ({ where: bucket.url(key), problem: 'missing' })),
      ...objects.different.map(({ key, problem }) => ({ where: bucket.url(key), problem })),
    );
    const graceStart = isoInstant(now.minus({ minutes: GRACE_MINUTES }));
    for (const item of this.due(now, 100_000)) {
      const what = `${item.kind} ${item.name}`;
      if (item.endedAt !== null && item.endedAt > graceStart) check.waiting.push(what);
      else
        check.problems.push({
          where: what,
          problem: `not archived${item.endedAt ? ` (ended ${item.endedAt})` : ''}: its follow-up is retrying or was given up on; see \`/healthz\` and the announcement channel`,
        });
    }
    return check;
  }

  health(followUpKind: string): EvidenceArchiveHealth {
    const failure = this.deps.ledger.latestFailure(followUpKind);
    const now = this.deps.clock.now();
    return {
      state: failure ? 'failing' : 'ok',
      bucket: this.location,
      lastArchivedAt: this.deps.ledger.lastArchivedAt(),
      due: this.due(now, 10_000).length,
      lastError: failure ? `${failure.at}: ${failure.error}${failure.givenUp ? ' (given up on; tried again within a day)' : ''}` : null,
    };
  }
}

/** Archiving is refused without a bucket in the policy: what the CLI says. */
export function notConfigured(): RotorError {
  return new RotorError(
    'config',
    'No evidence archive is configured: set evidence_archive (bucket, prefix, retention_years or retention_days) in the policy file (docs/policy.md). Nothing has been archived.',
  );
}

/** The audit event of an archived record: the digests verify checks the bucket against. */
function archivedEvent(record: ArchivedRecord): AuditEventInput {
  return {
    actor: 'rotor',
    action: EVIDENCE_ARCHIVED,
    secret: record.secretName === '' ? null : record.secretName,
    // Not `rotation` or `incident`: those would make this event part of the record it archives.
    details: {
      kind: record.kind,
      subject: record.subject,
      name: record.name,
      outcome: record.outcome,
      bucket: record.bucket,
      objects: [
        { key: record.markdownKey, digest: record.markdownDigest, versionId: record.markdownVersion },
        { key: record.jsonKey, digest: record.jsonDigest, versionId: record.jsonVersion },
      ],
      recordDigest: record.recordDigest,
      chainSeqs: {
        first: record.chainSeqs[0] ?? null,
        last: record.chainSeqs[record.chainSeqs.length - 1] ?? null,
        count: record.chainSeqs.length,
      },
      retainUntil: record.retainUntil,
    },
  };
}
