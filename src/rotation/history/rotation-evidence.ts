import { DateTime } from 'luxon';
import type { AuditEvent } from '../../audit/audit-event.js';
import type { ChainBreak } from '../../audit/audit-log.js';
import { describeDifference, mergeChecks, type ChainCheck } from '../../audit/chain-difference.js';
import type { AuditChainHead } from '../../audit/audit-trail-repo.js';
import { personLabel, type PeopleNames } from '../../core/person-label.js';
import type { Secret } from '../../inventory/secret.js';
import { fingerprintParts } from '../../providers/fingerprint.js';
import { markdownCell, markdownCode, markdownTable } from './markdown-text.js';
import { rotationReasonWords, sayCheck, type Rotation, type RotationRecord, type RotationStep } from '../rotation.js';
import { describeChecklistSource, describeResult, stateLabel } from './rotation-summary.js';
import { doneByHand, roleLabel } from '../rotation-rules.js';
import { checkResultsOf } from '../../checks/check-result.js';
import { slashCommandOf, type NextStepWords } from '../../core/next-step.js';
import { sayLastError } from '../step-error.js';

/** What `rotor rotations evidence` is made of, read in one snapshot of the database. */
export interface RotationEvidenceInput {
  record: RotationRecord;
  /** The secret as the inventory holds it now; null if it is gone. */
  secret: Secret | null;
  /** The rotation's audit events (see {@link rotationAuditTrail}), oldest first. */
  trail: readonly AuditEvent[];
  head: AuditChainHead | null;
  /** The chain as `rotor audit verify` found it at export: null when intact, else where it breaks (or which key it lacked). */
  chainBreak: ChainBreak | null;
  exportedAt: string;
  retentionHours: number;
  /** Names of the people the record mentions, from the people cache: they are shown as `Name (U…)`. */
  people: PeopleNames;
  /** The rotation and its secret as the tables hold them, checked against their audit events; `record` already has the chain's side. */
  chainCheck: ChainCheck;
}

/** Detail keys through which a provider event names the version it touched. */
const VERSION_KEYS = ['versionId', 'restoredVersionId', 'currentVersionId'] as const;

/**
 * The audit events that prove a rotation: those naming it (`details.rotation`), and the
 * provider's events on its secret between its first and last event that touched its previous or
 * new version, or the placeholder an emergency made current (the provider records no rotation id,
 * since it also serves revocations).
 */
export function rotationAuditTrail(rotation: Rotation, own: readonly AuditEvent[], provider: readonly AuditEvent[]): AuditEvent[] {
  const first = own[0]?.seq;
  const last = own[own.length - 1]?.seq;
  if (first === undefined || last === undefined) return [...own];
  const versions = new Set(
    [rotation.previousVersionId, rotation.newVersionId, rotation.placeholderVersionId].filter(
      (version): version is string => version !== null,
    ),
  );
  const touched = provider.filter(
    (event) =>
      event.seq > first &&
      event.seq < last &&
      VERSION_KEYS.some((key) => typeof event.details[key] === 'string' && versions.has(event.details[key] as string)),
  );
  const seen = new Set(own.map((event) => event.seq));
  return [...own, ...touched.filter((event) => !seen.has(event.seq))].sort((a, b) => a.seq - b.seq);
}

/** When the previous version leaves service: removed (by whom), due, or why never. */
export function previousVersionRemoval(
  record: RotationRecord,
  trail: readonly AuditEvent[],
  retentionHours: number,
  who: (id: string) => string,
  words: NextStepWords,
): string {
  const { rotation } = record;
  const removed = trail.find((event) => event.action === 'rotation.previous_removed');
  if (removed) return `removed at ${removed.at} by ${who(removed.actor)} (audit #${removed.seq})`;
  // An emergency's previous version is the compromised one: disabled by its step, never kept for a retention window.
  if (rotation.kind === 'emergency') return compromisedVersionFate(record, who, words);
  if (rotation.state === 'rolled_back') return 'kept: the rotation was rolled back to it';
  if (rotation.state !== 'completed') return `kept: the rotation was ${stateLabel(rotation.state)} before the new version replaced it`;
  const scheduled = record.steps.find((step) => step.action === 'schedule_removal' && typeof step.result?.removalDueAt === 'string');
  const from = rotation.promotedAt ?? rotation.completedAt;
  const due = scheduled
    ? (scheduled.result?.removalDueAt as string)
    : from
      ? (DateTime.fromISO(from, { zone: 'utc' }).plus({ hours: retentionHours }).toUTC().toISO() as string)
      : null;
  if (!due) return 'not scheduled';
  return rotation.provider === 'manual'
    ? `due ${due} (end of the ${retentionHours} h retention window; revoked at the issuer by hand, so Rotor records no removal)`
    : `due ${due} (end of the ${retentionHours} h retention window); not removed yet`;
}

/** What the emergency checklist's disable step did to the compromised version. */
function compromisedVersionFate(record: RotationRecord, who: (id: string) => string, words: NextStepWords): string {
  const step = record.steps.find((candidate) => candidate.id === 'disable_compromised');
  if (!step) return 'compromised; the checklist has no step that disables it';
  const how = typeof step.result?.action === 'string' ? ` (${step.result.action.replace(/_/g, ' ')})` : '';
  if (step.state === 'done') return `compromised: disabled at ${step.doneAt ?? '–'} by ${someone(step.doneBy, who)}${how}`;
  if (step.state === 'skipped')
    return `compromised: disabling it was skipped by ${someone(step.doneBy, who)} at ${step.doneAt ?? '–'}: ${step.skipReason ?? 'no reason recorded'}`;
  return `compromised: not disabled yet${step.lastError ? ` (attempt ${step.attempts} failed: ${sayLastError(step, words)})` : ''}`;
}

/** The steps that validate the new version: the verify step, and the staging smoke test. */
function isValidation(step: RotationStep): boolean {
  return step.action === 'verify' || step.id === 'verify' || step.id === 'test_staging';
}

function endedText(rotation: Rotation, who: (id: string) => string): string {
  switch (rotation.state) {
    case 'awaiting_approval':
    case 'in_progress':
      return `not ended: ${stateLabel(rotation.state)}, held by ${who(rotation.heldBy)} (last change ${rotation.updatedAt})`;
    case 'completed':
      return `completed at ${rotation.completedAt ?? '–'} by ${who(rotation.heldBy)}`;
    default:
      return `${stateLabel(rotation.state)} at ${rotation.endedAt ?? '–'} by ${someone(rotation.endedBy, who)}: ${rotation.endReason ?? 'no reason recorded'}${rotation.completedAt ? ` (it had completed at ${rotation.completedAt})` : ''}`;
  }
}

/** A person who may not be on record: named, or a dash. */
export function someone(id: string | null, who: (id: string) => string): string {
  return id ? who(id) : '–';
}

/**
 * What the fingerprints a record shows are: HMAC-SHA256 when keyed with ROTOR_FINGERPRINT_KEY
 * (only its holder can recompute one), SHA-256 otherwise, or both when the key came mid-way.
 */
export function fingerprintAlgorithm(fingerprints: readonly (string | null)[]): string {
  const algorithms = [
    ...new Set(
      fingerprints.flatMap((fingerprint) => (fingerprint ? [fingerprintParts(fingerprint)?.algorithm ?? 'unrecognised scheme'] : [])),
    ),
  ];
  return algorithms.length === 0 ? 'SHA-256, or HMAC-SHA256 with ROTOR_FINGERPRINT_KEY' : algorithms.sort().join(' or ');
}

/** What the trail's event is about, in a few words. */
export function eventSubject(event: AuditEvent): string {
  const { details } = event;
  if (typeof details.step === 'string') return `step ${details.step}`;
  if (typeof details.role === 'string') return details.role;
  if (typeof details.versionId === 'string') return `version ${details.versionId}`;
  if (typeof details.restoredVersionId === 'string') return `version ${details.restoredVersionId}`;
  if (typeof details.to === 'string') return `lifecycle ${String(details.from)} → ${details.to}`;
  return '';
}

/**
 * One Markdown record of a rotation that an auditor can accept on its own: the secret, the
 * change ticket, every step with who and when, the approvals, the versions, the validation, and
 * the audit chain positions and hashes that prove each of them. `enclosing`: the check of the
 * incident record this one is part of.
 */
export function renderRotationEvidence(
  input: RotationEvidenceInput,
  enclosing: ChainCheck | null = null,
  words: NextStepWords = slashCommandOf,
): string {
  const { record, secret, trail, head } = input;
  const { rotation, steps, approvals } = record;
  const who = (id: string) => personLabel(id, input.people);
  const fingerprints = fingerprintAlgorithm([rotation.previousFingerprint, rotation.newFingerprint]);
  const out: string[] = [];
  out.push(`# Rotation evidence: ${markdownCode(rotation.secretName)}, rotation #${rotation.id}`, '');
  out.push(
    `Exported by Rotor at ${input.exportedAt}. Rotor never holds a secret's value: versions are named by their provider id and a fingerprint (${fingerprints}).`,
    '',
  );
  out.push(...differenceWarning(input.chainCheck, 'rotation'));

  out.push('## Secret', '');
  out.push(
    ...markdownTable(
      ['Field', 'Value'],
      [
        ['Name', markdownCode(rotation.secretName)],
        ['Environment', markdownCell(rotation.environment)],
        ['Type', markdownCell(secret?.type ?? 'unknown (no longer in the inventory)')],
        ['Provider', markdownCell(rotation.provider)],
        ['Reference', rotation.provider === 'manual' ? 'manual (rotated at its issuer by hand)' : markdownCode(rotation.providerRef)],
        ['Owner (now)', markdownCell(secret?.owner ? who(secret.owner) : null)],
        ['Rotation interval (now)', secret ? `${secret.intervalDays} days` : '–'],
      ],
    ),
    '',
  );

  out.push('## Rotation', '');
  const kind =
    rotation.kind === 'emergency'
      ? `emergency, break-glass by ${someone(rotation.breakGlassBy, who)}: ${rotation.breakGlassReason ?? 'no reason recorded'}${rotation.incidentId ? ` (incident #${rotation.incidentId})` : ''}`
      : 'scheduled';
  out.push(
    ...markdownTable(
      ['Field', 'Value'],
      [
        ['Change ticket', markdownCell(rotation.ticket ?? 'none (emergency)')],
        ['Kind', markdownCell(kind)],
        ['Reason', markdownCell(`${rotation.reason} (${rotationReasonWords(rotation.reason)})`)],
        ['Started', markdownCell(`${rotation.startedAt} by ${who(rotation.startedBy)}`)],
        ['State', markdownCell(stateLabel(rotation.state))],
        ['How it ended', markdownCell(endedText(rotation, who))],
        ['Due date rotated against', markdownCell(rotation.previousNextRotation)],
        [
          'Checklist',
          markdownCell(
            `${describeChecklistSource(rotation.checklistSource, secret?.type ?? null)}, snapshotted when the rotation started (${steps.length} steps)`,
          ),
        ],
      ],
    ),
    '',
  );

  out.push('## Preflight findings', '');
  if (rotation.preflight.length === 0) out.push('None recorded.', '');
  else
    out.push(
      ...markdownTable(
        ['Check', 'Status', 'Finding'],
        rotation.preflight.map((check) => [markdownCell(check.check), check.status, markdownCell(sayCheck(check, words))]),
      ),
      '',
    );

  out.push('## Steps', '');
  out.push(
    ...markdownTable(
      ['#', 'Step', 'Performed by', 'Required', 'State', 'By', 'When', 'Note or skip reason', 'Provider result'],
      steps.map((step) => [
        String(step.position + 1),
        `${markdownCell(step.title)} (${markdownCode(step.id)})`,
        step.action ? (doneByHand(step) ? 'a person, by hand (instead of Rotor)' : 'Rotor at the provider') : 'a person',
        step.required ? 'yes' : 'no',
        step.state,
        markdownCell(step.doneBy ? who(step.doneBy) : null),
        markdownCell(step.doneAt),
        markdownCell(
          step.skipReason
            ? `skipped: ${step.skipReason}`
            : doneByHand(step)
              ? `by hand, by ${someone(step.doneBy, who)}: ${step.note ?? ''}`
              : step.note,
        ),
        markdownCell(
          `${describeResult(step.result, { fullFingerprints: true })}${step.lastError ? `${step.result ? '; ' : ''}last error (attempt ${step.attempts}): ${sayLastError(step, words)}` : ''}`,
        ),
      ]),
    ),
    '',
  );

  out.push('## Approvals', '');
  if (approvals.length > 0) {
    out.push(
      ...markdownTable(
        ['Role', 'Decision', 'By', 'When', 'Reason'],
        approvals.map((approval) => [
          roleLabel(approval.role),
          approval.decision,
          markdownCell(who(approval.decidedBy)),
          markdownCell(approval.decidedAt),
          markdownCell(approval.reason),
        ]),
      ),
      '',
    );
  }
  const required = rotation.requiredApprovals.map((role) => roleLabel(role)).join(' and ');
  if (!required)
    out.push(
      `No approval required (${rotation.kind === 'emergency' ? 'an emergency rotation goes ahead without approvals' : `the policy asks none for ${markdownCell(rotation.environment)}`}).`,
    );
  else {
    out.push(`Required for ${markdownCell(rotation.environment)}: ${required}. The rotator cannot approve, and one person fills one role.`);
    const decided = new Set(approvals.map((approval) => approval.role));
    const missing = rotation.requiredApprovals.filter((role) => !decided.has(role)).map((role) => roleLabel(role));
    if (missing.length > 0) out.push('', `Not given: ${missing.join(', ')}.`);
  }
  out.push('');

  out.push('## Versions', '');
  out.push(
    ...markdownTable(
      ['', 'Version id', `Fingerprint (${fingerprints})`],
      [
        ['Previous', markdownCode(rotation.previousVersionId), markdownCode(rotation.previousFingerprint)],
        ['New', markdownCode(rotation.newVersionId), markdownCode(rotation.newFingerprint)],
      ],
    ),
    '',
  );
  out.push(`- New version live (promoted): ${markdownCell(rotation.promotedAt)}`);
  out.push(`- Previous version: ${markdownCell(previousVersionRemoval(record, trail, input.retentionHours, who, words))}`, '');

  out.push('## Validation', '');
  const validation = steps.filter(isValidation);
  if (validation.length === 0) out.push('The checklist had no validation step.');
  for (const step of validation) {
    const result = describeResult(step.result, { fullFingerprints: true });
    const done = step.doneAt ? `${step.state} by ${someone(step.doneBy, who)} at ${step.doneAt}` : step.state;
    out.push(
      `- **${markdownCell(step.title)}** (${markdownCode(step.id)}): ${markdownCell(done)}${step.note ? `; note: ${markdownCell(step.note)}` : ''}${step.skipReason ? `; skipped: ${markdownCell(step.skipReason)}` : ''}${result ? `; provider: ${markdownCell(result)}` : ''}`,
    );
  }
  if (rotation.provider !== 'manual') {
    out.push(
      rotation.verifiedAt
        ? `- The provider's current version was read back at ${rotation.verifiedAt} and matched the new version's id and fingerprint.`
        : '- The provider has not confirmed the new version (no verify recorded).',
    );
  }
  out.push('');

  out.push(...automatedCheckLines(steps));
  out.push(...chainCheckLines(input.chainCheck));
  out.push('## Audit trail', '');
  // Inside an incident's record, the verdict also counts the incident's differences.
  out.push(...auditTrailLines(trail, head, input.chainBreak, eventSubject, who, mergeChecks(input.chainCheck, enclosing)));
  return `${out.join('\n')}\n`;
}

/**
 * Every automated check the verify steps ran (the policy's `checks`), each attempt's: what, where,
 * outcome, latency, when. Apart from the notes people wrote when they ticked a step, which the
 * Steps and Validation sections print as theirs.
 */
function automatedCheckLines(steps: readonly RotationStep[]): string[] {
  const rows = steps.flatMap((step) =>
    checkResultsOf(step.result).map((check) => [
      markdownCode(step.id),
      String(check.attempt),
      markdownCell(check.what),
      markdownCell(check.where),
      check.outcome,
      check.latencyMs === null ? '–' : `${check.latencyMs} ms`,
      markdownCell(check.at),
      markdownCell(check.detail),
    ]),
  );
  const out = ['## Automated checks', ''];
  if (rows.length === 0) return [...out, 'None configured for this secret (policy key `checks`).', ''];
  const rolledForward = steps.filter(
    (step) => step.state === 'skipped' && checkResultsOf(step.result).some((check) => check.outcome === 'failed'),
  );
  out.push(...markdownTable(['Step', 'Attempt', 'What', 'Where', 'Outcome', 'Latency', 'When', 'Answer'], rows), '');
  for (const step of rolledForward)
    out.push(`Rolled forward past the failed checks of ${markdownCode(step.id)} by a person: ${markdownCell(step.skipReason)}.`, '');
  return out;
}

/** At the top of a record whose tables differ from the chain: say so before anyone reads on. */
export function differenceWarning(check: ChainCheck, what: 'rotation' | 'incident'): string[] {
  const count = check.differences.length;
  if (count === 0) return [];
  return [
    `**The ${what} and inventory tables differ from the audit chain in ${count} place${count === 1 ? '' : 's'}** (listed under “Checked against the audit chain”): this record prints what the chain recorded.`,
    '',
  ];
}

/** Each fact of the record checked against its audit event: the differences, and what the chain does not hold. */
export function chainCheckLines(check: ChainCheck): string[] {
  const out = ['## Checked against the audit chain', ''];
  if (check.differences.length === 0)
    out.push('Every fact above was checked against the audit event that records it: the tables agree with the chain.', '');
  else {
    out.push(
      'The tables differ from the audit chain here; the record above shows the chain’s side. Someone changed the database outside Rotor: find out who, and restore it from a backup.',
      '',
    );
    out.push(...check.differences.map((difference) => `- ${markdownCell(describeDifference(difference))}`), '');
  }
  if (check.uncovered.length > 0) {
    out.push('Not covered by the chain (recorded before Rotor put these facts in its events), so printed from the tables unchecked:', '');
    out.push(...check.uncovered.map((fact) => `- ${markdownCell(fact)}`), '');
  }
  return out;
}

/** What the chain's verification at export said, with the configured keys (see `rotor audit verify`). */
function chainVerdict(chainBreak: RotationEvidenceInput['chainBreak'], check: ChainCheck): string {
  const differences = check.differences.length;
  if (!chainBreak && differences > 0) {
    return `Every hash and link of the chain verified at export, **but the tables differ from it in ${differences} place${differences === 1 ? '' : 's'}** (see “Checked against the audit chain”): rely on the chain’s facts printed here, not on the database’s copy.`;
  }
  if (!chainBreak) return 'The whole chain verified at export (every hash and link, from event #1 to the head).';
  if (chainBreak.missingKeyId) {
    return `**The audit chain could not be checked at export**: event #${chainBreak.seq} is signed with audit key ${markdownCode(chainBreak.missingKeyId)}, which was not configured. Export again with ROTOR_AUDIT_KEY set; until then this record is unverified.`;
  }
  return `**The audit chain was broken at export**, at event #${chainBreak.seq}: ${markdownCell(chainBreak.reason)}. Do not rely on this record until that is explained.`;
}

/**
 * What proves an evidence record: its audit events as rows of the hash-chained log, the chain's
 * head at export, whether the whole chain verified, and how to check both again.
 */
export function auditTrailLines(
  trail: readonly AuditEvent[],
  head: AuditChainHead | null,
  chainBreak: RotationEvidenceInput['chainBreak'],
  subject: (event: AuditEvent) => string,
  who: (id: string) => string,
  check: ChainCheck,
): string[] {
  const out: string[] = [];
  out.push(
    `Each event below is a row of Rotor's hash-chained audit log: its hash covers its position, time, actor, action, details and the previous event's hash.`,
    '',
  );
  out.push(
    ...markdownTable(
      ['Seq', 'Time', 'Actor', 'Action', 'About', 'Hash'],
      trail.map((event) => [
        String(event.seq),
        event.at,
        markdownCell(who(event.actor)),
        markdownCode(event.action),
        markdownCell(subject(event)),
        markdownCode(event.hash),
      ]),
    ),
    '',
  );
  out.push(
    head ? `Chain head at export: seq ${head.seq}, hash ${markdownCode(head.hash)}.` : 'Chain head at export: the audit log is empty.',
  );
  out.push(chainVerdict(chainBreak, check));
  const from = trail[0]?.at.slice(0, 10);
  const to = trail[trail.length - 1]?.at.slice(0, 10);
  out.push(
    '',
    `Re-check the chain with \`rotor audit verify\`${from && to ? `, and compare these rows with \`rotor audit export --since ${from} --until ${to}\`` : ''}.`,
  );
  return out;
}
