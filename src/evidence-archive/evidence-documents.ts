import { DateTime } from 'luxon';
import type { AuditChainHead, AuditTrailRepo } from '../audit/audit-trail-repo.js';
import { RotorError } from '../core/errors.js';
import type { IncidentHistoryService } from '../revocation/incident-history-service.js';
import { renderIncidentEvidence } from '../revocation/incident-evidence.js';
import { isOpen } from '../rotation/rotation.js';
import { renderRotationEvidence } from '../rotation/history/rotation-evidence.js';
import type { RotationHistoryService } from '../rotation/history/rotation-history-service.js';
import { renderRotationReportMarkdown } from '../rotation/history/rotation-report-text.js';
import { evidenceDigest, type EvidenceRecord } from './archive-layout.js';
import { recordDigest } from './record-digest.js';
import type { ArchiveItem } from './archive-ledger-repo.js';
import { CLI_NEXT_STEP_WORDS } from '../cli/cli-next-step.js';

/** An archived record is read outside Slack, as the CLI's output is: a step's next step is said in the CLI's words. */
const OUTSIDE_SLACK = CLI_NEXT_STEP_WORDS;

/** The JSON record's `format`: what a reader of the bucket checks before relying on its shape. */
export const EVIDENCE_FORMAT = 'rotor-evidence/1';

/** A record ready to archive, with what ties it to the audit chain. */
export interface BuiltRecord {
  record: EvidenceRecord;
  /** How it stood: the rotation's state, `closed`, or `month_ended`. */
  outcome: string;
  /** The audit events the record cites, as the chain holds them (seq and hash). */
  positions: AuditChainHead[];
  /** {@link recordDigest} of those positions. */
  recordDigest: string;
}

export interface EvidenceDocumentSources {
  rotations: RotationHistoryService;
  incidents: IncidentHistoryService;
  trail: AuditTrailRepo;
}

/**
 * Builds the archived records from what the CLI prints: `rotor rotations evidence`,
 * `rotor incidents evidence` and `rotor report rotations` as Markdown, and the same as JSON with
 * the audit chain positions and the record's digest.
 */
export class EvidenceDocuments {
  constructor(private readonly sources: EvidenceDocumentSources) {}

  build(item: ArchiveItem, now: DateTime): BuiltRecord {
    switch (item.kind) {
      case 'rotation':
        return this.rotation(item, now);
      case 'incident':
        return this.incident(item, now);
      case 'report':
        return this.report(item, now);
    }
  }

  private rotation(item: ArchiveItem, now: DateTime): BuiltRecord {
    const evidence = this.sources.rotations.evidence(item.subject);
    const { rotation } = evidence.record;
    const afterCompletion = item.name !== item.subject;
    if (isOpen(rotation.state) || (afterCompletion && rotation.state !== 'rolled_back')) {
      throw new RotorError(
        'conflict',
        `Rotation #${rotation.id} is ${rotation.state.replace(/_/g, ' ')}, so its record ${item.name} cannot be archived yet.`,
      );
    }
    // The first record goes in the month the rotation first ended; a later rollback's in its own.
    const occurredAt = afterCompletion ? rotation.endedAt : (rotation.completedAt ?? rotation.endedAt);
    const positions = evidence.trail.map((event) => ({ seq: event.seq, hash: event.hash }));
    return this.assemble({
      item,
      now,
      secretName: rotation.secretName,
      outcome: rotation.state,
      occurredAt: required(occurredAt, `rotation #${rotation.id}`),
      markdown: renderRotationEvidence(evidence, null, OUTSIDE_SLACK),
      positions,
      head: evidence.head,
      chainBreak: evidence.chainBreak,
      evidence,
    });
  }

  private incident(item: ArchiveItem, now: DateTime): BuiltRecord {
    const evidence = this.sources.incidents.evidence(item.subject);
    const { incident } = evidence.record;
    if (incident.state !== 'closed')
      throw new RotorError('conflict', `Incident #${incident.id} is still open, so its record cannot be archived yet.`);
    return this.assemble({
      item,
      now,
      secretName: incident.secretName,
      outcome: 'closed',
      occurredAt: required(incident.closedAt, `incident #${incident.id}`),
      markdown: renderIncidentEvidence(evidence, OUTSIDE_SLACK),
      positions: evidence.trail.map((event) => ({ seq: event.seq, hash: event.hash })),
      head: evidence.head,
      chainBreak: evidence.chainBreak,
      evidence,
    });
  }

  private report(item: ArchiveItem, now: DateTime): BuiltRecord {
    const month = DateTime.fromFormat(item.subject, 'yyyy-LL', { zone: 'utc' });
    if (!month.isValid) throw new RotorError('internal', `The report month ${item.subject} is not YYYY-MM.`);
    if (month.endOf('month') >= now)
      throw new RotorError('conflict', `The month ${item.subject} has not ended, so its report cannot be archived yet.`);
    const report = this.sources.rotations.report({ since: month.toISODate() as string, until: month.endOf('month').toISODate() as string });
    const seqs = [
      ...new Set(
        report.secrets.flatMap((secret) => secret.rotations.flatMap((rotation) => (rotation.auditSeq === null ? [] : [rotation.auditSeq]))),
      ),
    ].sort((a, b) => a - b);
    return this.assemble({
      item,
      now,
      secretName: '',
      outcome: 'month_ended',
      occurredAt: month.toISO() as string,
      markdown: renderRotationReportMarkdown(report),
      positions: this.sources.trail.positions(seqs),
      head: this.sources.trail.head(),
      chainBreak: null,
      evidence: report,
    });
  }

  private assemble(parts: {
    item: ArchiveItem;
    now: DateTime;
    secretName: string;
    outcome: string;
    occurredAt: string;
    markdown: string;
    positions: AuditChainHead[];
    head: AuditChainHead | null;
    chainBreak: unknown;
    evidence: unknown;
  }): BuiltRecord {
    const { item } = parts;
    const digest = recordDigest(item.kind, item.subject, parts.positions);
    const document = {
      format: EVIDENCE_FORMAT,
      kind: item.kind,
      subject: item.subject,
      name: item.name,
      ...(item.kind === 'report' ? {} : { secret: parts.secretName }),
      outcome: parts.outcome,
      occurredAt: parts.occurredAt,
      archivedAt: parts.now.toUTC().toISO(),
      markdownDigest: evidenceDigest(parts.markdown),
      auditChain: { recordDigest: digest, positions: parts.positions, headAtArchive: parts.head, breakAtArchive: parts.chainBreak ?? null },
      record: parts.evidence,
    };
    return {
      record: {
        kind: item.kind,
        id: item.name,
        secretName: parts.secretName,
        occurredAt: parts.occurredAt,
        markdown: parts.markdown,
        json: `${JSON.stringify(document, null, 2)}\n`,
      },
      outcome: parts.outcome,
      positions: parts.positions,
      recordDigest: digest,
    };
  }
}

function required(instant: string | null, what: string): string {
  if (!instant) throw new RotorError('internal', `${what} ended without a recorded time, so its record has no month to be filed under.`);
  return instant;
}
