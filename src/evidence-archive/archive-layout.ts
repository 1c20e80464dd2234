import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { ValidationError } from '../core/errors.js';

/**
 * One evidence record to archive: what `rotor rotations evidence` / `rotor incidents evidence`
 * print, or the month's `rotor report rotations`, as Markdown and as JSON.
 */
export interface EvidenceRecord {
  kind: EvidenceKind;
  /** The object's name in its folder: the rotation's or incident's id (`42`, `42-rolled-back`), or `rotations-<YYYY>-<MM>`. */
  id: string;
  /** The secret it is about, its folder; ignored for a report, which has none. */
  secretName: string;
  /** When it completed, was abandoned, rolled back or closed (a report: its month): gives the YYYY/MM of its folder (UTC). */
  occurredAt: string;
  markdown: string;
  json: string;
}

export interface EvidenceObject {
  key: string;
  body: string;
  contentType: string;
  /** `sha256:<hex>` of the body's UTF-8 bytes. */
  digest: string;
}

export type EvidenceKind = 'rotation' | 'incident' | 'report';

const FOLDERS: Record<EvidenceKind, string> = { rotation: 'rotations', incident: 'incidents', report: 'reports' };

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** `sha256:<hex>` of the text's UTF-8 bytes: what is archived, stored beside it, and compared on verify. */
export function evidenceDigest(body: string): string {
  return `sha256:${createHash('sha256').update(body, 'utf8').digest('hex')}`;
}

/** The archive's prefix without surrounding slashes (`''` for the bucket's root). */
export function normalizePrefix(prefix: string): string {
  return prefix.trim().replace(/^\/+|\/+$/g, '');
}

/**
 * Where a record lives: `<prefix>/rotations/<YYYY>/<MM>/<secret>/<id>.md` and `.json` (and
 * `incidents/…`), the layout the runbook gives, so a person can browse the bucket by month and
 * secret; a monthly report under `<prefix>/reports/<YYYY>/<MM>/<id>`. Names are checked segment
 * by segment: no empty, `.` or `..` segment reaches a key.
 */
export function evidenceKeys(
  prefix: string,
  record: Pick<EvidenceRecord, 'kind' | 'id' | 'secretName' | 'occurredAt'>,
): { markdown: string; json: string } {
  const at = DateTime.fromISO(record.occurredAt, { zone: 'utc' });
  if (!at.isValid) throw invalid(`the instant \`${record.occurredAt}\` of ${record.kind} ${record.id} is not an ISO date-time`);
  const secret = record.kind === 'report' ? [] : record.secretName.split('/');
  for (const segment of [...secret, record.id]) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..')
      throw invalid(`\`${segment}\` in ${record.kind} ${record.id} of ${record.secretName} cannot be part of an archive key`);
  }
  const folder = [normalizePrefix(prefix), FOLDERS[record.kind], at.toFormat('yyyy'), at.toFormat('LL'), ...secret]
    .filter((part) => part !== '')
    .join('/');
  return { markdown: `${folder}/${record.id}.md`, json: `${folder}/${record.id}.json` };
}

/** The two objects of a record, each with its digest. */
export function evidenceObjects(prefix: string, record: EvidenceRecord): EvidenceObject[] {
  const keys = evidenceKeys(prefix, record);
  return [
    { key: keys.markdown, body: record.markdown, contentType: 'text/markdown; charset=utf-8', digest: evidenceDigest(record.markdown) },
    { key: keys.json, body: record.json, contentType: 'application/json', digest: evidenceDigest(record.json) },
  ];
}

function invalid(problem: string): ValidationError {
  return new ValidationError(`Cannot archive the evidence: ${problem}.`, [{ where: 'evidence', message: problem }]);
}
