import { DateTime } from 'luxon';
import type { AuditEvent } from '../audit/audit-event.js';
import type { ChainBreak } from '../audit/audit-log.js';
import { mergeChecks, type ChainCheck } from '../audit/chain-difference.js';
import type { AuditChainHead } from '../audit/audit-trail-repo.js';
import { personLabel, type PeopleNames } from '../core/person-label.js';
import type { Secret } from '../inventory/secret.js';
import type { StoreCatalog } from '../providers/store-kind.js';
import { markdownCell, markdownCode, markdownTable } from '../rotation/history/markdown-text.js';
import {
  auditTrailLines,
  chainCheckLines,
  differenceWarning,
  eventSubject,
  fingerprintAlgorithm,
  renderRotationEvidence,
  someone,
  type RotationEvidenceInput,
} from '../rotation/history/rotation-evidence.js';
import { describeResult, stateLabel } from '../rotation/history/rotation-summary.js';
import { slashCommandOf, type NextStepWords } from '../core/next-step.js';
import { sayLastError } from '../rotation/step-error.js';
import type { IncidentEvent, IncidentRecord } from './incident.js';
import { elapsed, orderLabel } from './incident-summary.js';

/** What `rotor incidents evidence` is made of, read in one snapshot of the database. */
export interface IncidentEvidenceInput {
  /** The store kinds, for what the incident's store could do. */
  stores: StoreCatalog;
  record: IncidentRecord;
  /** The secret as the inventory holds it now; null if it is gone. */
  secret: Secret | null;
  /** The emergency rotation's own evidence; null if it never started. */
  rotation: RotationEvidenceInput | null;
  /** The incident's audit events (see {@link incidentAuditTrail}), oldest first. */
  trail: readonly AuditEvent[];
  head: AuditChainHead | null;
  /** The chain as `rotor audit verify` found it at export: null when intact, else where it breaks. */
  chainBreak: ChainBreak | null;
  exportedAt: string;
  /** `incident.postmortem_hours`: when the postmortem is due after the revocation. */
  postmortemHours: number;
  /** Names of the people the record mentions, from the people cache: they are shown as `Name (U…)`. */
  people: PeopleNames;
  /** The incident and its secret as the tables hold them, checked against their audit events; `record` already has the chain's side. */
  chainCheck: ChainCheck;
}

/**
 * The audit events that prove an incident: those naming it (`details.incident`: its opening,
 * the secret marked compromised, acknowledgements, escalations, status updates, sign-off,
 * closing) and its emergency rotation's trail, the provider's actions included.
 */
export function incidentAuditTrail(own: readonly AuditEvent[], rotationTrail: readonly AuditEvent[]): AuditEvent[] {
  const bySeq = new Map<number, AuditEvent>();
  for (const event of [...own, ...rotationTrail]) bySeq.set(event.seq, event);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The audit action that records each kind of timeline event, and what else must match. */
const TIMELINE_ACTIONS: Readonly<
  Record<string, { actions: readonly string[]; match?: (event: IncidentEvent, audit: AuditEvent) => boolean }>
> = {
  opened: { actions: ['incident.opened'] },
  compromised: { actions: ['secret.lifecycle_changed'], match: (_event, audit) => audit.details.to === 'compromised' },
  paged: { actions: ['incident.opened', 'incident.escalated'], match: (event, audit) => listed(audit.details.paged, event.details.people) },
  acknowledged: { actions: ['incident.acknowledged'], match: sameActor },
  status_update: { actions: ['incident.status_update'], match: sameActor },
  escalated: { actions: ['incident.escalated'], match: sameDetail('step') },
  escalation_exhausted: { actions: ['incident.escalated'], match: sameDetail('step') },
  signed_off: { actions: ['incident.signed_off'] },
  closed: { actions: ['incident.closed'] },
  rotation_started: { actions: ['rotation.started'] },
  step_done: { actions: ['rotation.step_done'], match: sameDetail('step') },
  disabled: { actions: ['rotation.step_done'], match: sameDetail('step') },
  step_failed: { actions: ['rotation.step_failed'], match: sameDetail('step') },
  step_skipped: { actions: ['rotation.step_skipped'], match: sameDetail('step') },
  step_waiting: { actions: ['rotation.step_waiting'], match: sameDetail('step') },
  rotation_taken_over: { actions: ['rotation.taken_over'], match: sameActor },
  rotation_completed: { actions: ['rotation.completed'] },
  rotation_abandoned: { actions: ['rotation.abandoned'] },
};

function sameActor(event: IncidentEvent, audit: AuditEvent): boolean {
  return audit.actor === event.actor;
}

function sameDetail(key: string): (event: IncidentEvent, audit: AuditEvent) => boolean {
  return (event, audit) => audit.details[key] === event.details[key];
}

function listed(paged: unknown, people: unknown): boolean {
  const person = Array.isArray(people) ? (people[0] as unknown) : undefined;
  return Array.isArray(paged) && typeof person === 'string' && paged.includes(person);
}

/**
 * The audit chain position that records each timeline event, or null (an event with no audit
 * row of its own, such as a rotation that failed to start). The timeline and the audit rows are
 * written in the same transactions, so both run in the same order: each event takes the first
 * matching row not taken yet; pages share the row that paged them.
 */
export function timelineSeqs(events: readonly IncidentEvent[], trail: readonly AuditEvent[]): (number | null)[] {
  const taken = new Set<number>();
  return events.map((event) => {
    const rule = TIMELINE_ACTIONS[event.kind];
    if (!rule) return null;
    const shared = event.kind === 'paged';
    const found = trail.find(
      (audit) => (shared || !taken.has(audit.seq)) && rule.actions.includes(audit.action) && (rule.match?.(event, audit) ?? true),
    );
    if (!found) return null;
    if (!shared) taken.add(found.seq);
    return found.seq;
  });
}

/** What an incident's audit event is about, in a few words. */
function incidentEventSubject(event: AuditEvent): string {
  const { details } = event;
  const paged = Array.isArray(details.paged) && details.paged.length > 0 ? `paged ${details.paged.join(', ')}` : '';
  switch (event.action) {
    case 'incident.opened':
      return [`${String(details.severity)}, ${orderLabel(details.order === 'disable_now' ? 'disable_now' : 'replace_then_disable')}`, paged]
        .filter(Boolean)
        .join('; ');
    case 'incident.escalated':
      return [
        `escalation step ${String(details.step)}${typeof details.level === 'string' ? ` (${details.level.replace('_', ' ')})` : ': path exhausted'}`,
        paged,
      ]
        .filter(Boolean)
        .join('; ');
    case 'incident.acknowledged':
      return details.first === true ? 'first acknowledgement' : 'acknowledgement';
    case 'incident.status_update':
      return 'status update';
    case 'incident.signed_off':
      return `sign-off of rotation #${String(details.rotation)}`;
    case 'incident.closed':
      return 'closed with the postmortem link';
    default:
      return eventSubject(event);
  }
}

/** Which of the incident's versions a provider action touched. */
function versionRole(versionId: string, input: IncidentEvidenceInput): string {
  const { incident } = input.record;
  const rotation = input.rotation?.record.rotation;
  if (versionId === incident.compromisedVersionId || versionId === rotation?.previousVersionId) return ' (compromised)';
  if (versionId === rotation?.placeholderVersionId) return ' (placeholder)';
  if (versionId === rotation?.newVersionId) return ' (replacement)';
  return '';
}

function providerVersion(event: AuditEvent): string | null {
  for (const key of ['versionId', 'restoredVersionId', 'currentVersionId'] as const) {
    const value = event.details[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/** A rotation step's outcome, for the incident's facts: who did it and when, or where it stands. */
function stepText(input: IncidentEvidenceInput, stepId: string, who: (id: string) => string, words: NextStepWords): string {
  const step = input.rotation?.record.steps.find((candidate) => candidate.id === stepId);
  if (!step) return input.rotation ? 'not in the checklist' : 'not done (the emergency rotation never started)';
  if (step.state === 'done')
    return `done by ${someone(step.doneBy, who)} at ${step.doneAt ?? '–'} (${elapsed(input.record.incident.openedAt, step.doneAt ?? input.record.incident.openedAt)} after the revocation)`;
  if (step.state === 'skipped') return `skipped by ${someone(step.doneBy, who)} at ${step.doneAt ?? '–'}: ${step.skipReason ?? '–'}`;
  return `not done yet${step.lastError ? ` (last attempt failed: ${sayLastError(step, words)})` : ''}`;
}

/**
 * At a target, when the new credential was set and logged in there, and when and how the
 * compromised one was locked out (what the lock-out step recorded): none without a target.
 */
function targetRows(input: IncidentEvidenceInput, who: (id: string) => string, words: NextStepWords): string[][] {
  const steps = input.rotation?.record.steps ?? [];
  const lock = steps.find((step) => step.action === 'lock_at_target');
  if (!lock) return [];
  const summary = lock.state === 'done' && typeof lock.result?.summary === 'string' ? `: ${lock.result.summary}` : '';
  const where = typeof lock.result?.target === 'string' ? ` at ${lock.result.target}` : '';
  return [
    ['New credential set at the target', markdownCell(stepText(input, 'set_at_target', who, words))],
    ['New credential logged in at the target', markdownCell(stepText(input, 'verify_at_target', who, words))],
    [`Compromised credential locked out${where}`, markdownCell(`${stepText(input, lock.id, who, words)}${summary}`)],
  ];
}

/** The rotation's own record, one heading level down, so it reads as a part of this one. */
function embedded(markdown: string): string[] {
  return markdown
    .trimEnd()
    .split('\n')
    .map((line) => (/^#{1,5} /.test(line) ? `#${line}` : line));
}

/**
 * One Markdown record of an incident that an auditor or the postmortem can rely on: the facts of
 * the revocation, every step of its timeline with who and when, the provider's actions with their
 * version ids, the pages and acknowledgements, the sign-off, the postmortem link, the audit chain
 * positions that prove each of them, and the emergency rotation's own evidence record.
 */
export function renderIncidentEvidence(input: IncidentEvidenceInput, words: NextStepWords = slashCommandOf): string {
  const { record, trail } = input;
  const { incident, events, pages } = record;
  const rotation = input.rotation?.record.rotation ?? null;
  const seqs = timelineSeqs(events, trail);
  const seqOf = (kind: string): number | null => seqs[events.findIndex((event) => event.kind === kind)] ?? null;
  const audit = (seq: number | null): string => (seq === null ? '' : ` (audit #${seq})`);
  const who = (id: string) => personLabel(id, input.people);
  const fingerprints = fingerprintAlgorithm([
    incident.compromisedFingerprint,
    rotation?.previousFingerprint ?? null,
    rotation?.newFingerprint ?? null,
  ]);
  const out: string[] = [];
  out.push(`# Incident evidence: ${markdownCode(incident.secretName)}, incident #${incident.id}`, '');
  out.push(
    `Exported by Rotor at ${input.exportedAt}. Rotor never holds a secret's value: versions are named by their provider id and a fingerprint (${fingerprints}).`,
    '',
  );
  out.push(...differenceWarning(mergeChecks(input.chainCheck, input.rotation?.chainCheck), 'incident'));

  out.push('## Incident', '');
  const provider = input.secret?.provider ?? rotation?.provider ?? null;
  const compromised = incident.compromisedVersionId
    ? `${markdownCode(incident.compromisedVersionId)}${incident.compromisedFingerprint ? `, fingerprint ${markdownCode(incident.compromisedFingerprint)}` : ''}`
    : provider === 'manual'
      ? 'none recorded (rotated by hand at its issuer: the store holds no version id)'
      : 'none recorded';
  const store = provider !== null && input.stores.has(provider) ? input.stores.of(provider) : null;
  const destroyOption = store?.capabilities.destroy ? store.texts.destroyOption : undefined;
  const destroyers = input.stores.kinds.filter((kind) => kind.capabilities.destroy).map((kind) => kind.label);
  const destroy = destroyOption
    ? incident.destroy
      ? destroyOption.evidence.destroyed
      : destroyOption.evidence.kept
    : `not applicable (${destroyers.join(' or ')} only)`;
  const order =
    incident.revocationOrder === 'disable_now'
      ? 'disable now: the compromised version is disabled first; consumers may break until the replacement is in place'
      : 'replace, then disable: the compromised version stays current until its replacement is promoted, so consumers keep working';
  out.push(
    ...markdownTable(
      ['Field', 'Value'],
      [
        ['Secret', markdownCode(incident.secretName)],
        ['Provider', markdownCell(provider ?? 'unknown (no longer in the inventory)')],
        [
          'Reference',
          provider === 'manual'
            ? 'manual (rotated at its issuer by hand)'
            : markdownCode(input.secret?.providerRef ?? rotation?.providerRef),
        ],
        ['Severity', incident.severity],
        ['Reason', markdownCell(incident.reason)],
        ['Incident ticket', markdownCell(incident.ticket ?? 'none')],
        ['Incident channel', markdownCell(incident.channel)],
        ['Responder (leads it)', markdownCell(who(incident.responder))],
        ['Opened', `${incident.openedAt}${audit(seqOf('opened'))}`],
        ['Order of disabling', markdownCell(order)],
        ['Destroy', markdownCell(destroy)],
        ['Compromised version', compromised],
        [
          'Replacement version',
          rotation?.newVersionId
            ? `${markdownCode(rotation.newVersionId)}${rotation.promotedAt ? `, current since ${rotation.promotedAt}` : ', not current yet'}`
            : '–',
        ],
        ...(rotation?.placeholderVersionId
          ? [
              [
                'Placeholder version',
                `${markdownCode(rotation.placeholderVersionId)} (generated and made current so the compromised version could be disabled first)`,
              ],
            ]
          : []),
        ['Disabled in the store', markdownCell(stepText(input, 'disable_compromised', who, words))],
        ['Revoked at its issuer', markdownCell(stepText(input, 'revoke_at_issuer', who, words))],
        ...targetRows(input, who, words),
        [
          'Emergency rotation',
          markdownCell(
            rotation
              ? `#${rotation.id}, ${stateLabel(rotation.state)}${rotation.completedAt ? ` at ${rotation.completedAt} (${elapsed(incident.openedAt, rotation.completedAt)} after the revocation)` : ''}`
              : 'never started',
          ),
        ],
        [
          'State',
          markdownCell(
            incident.state === 'closed' ? `closed at ${incident.closedAt ?? '–'} by ${someone(incident.closedBy, who)}` : 'open',
          ),
        ],
      ],
    ),
    '',
  );
  if (incident.state === 'open' && stepText(input, 'revoke_at_issuer', who, words).startsWith('not')) {
    out.push('The credential stays valid until it is revoked at its issuer: disabling the version in the store is only half of it.', '');
  }

  out.push('## Timeline', '');
  out.push('Every event of the incident, as its status message thread showed it, with the audit event that records it.', '');
  out.push(
    ...markdownTable(
      ['#', 'Time', 'Who', 'What', 'Audit seq'],
      events.map((event, index) => [
        String(index + 1),
        event.at,
        markdownCell(who(event.actor)),
        markdownCell(event.summary),
        seqs[index] === null ? '–' : String(seqs[index]),
      ]),
    ),
    '',
  );

  out.push('## Provider actions', '');
  const actions = trail.filter((event) => event.action.startsWith('provider.'));
  if (actions.length === 0) {
    out.push(
      provider === 'manual'
        ? 'None: the secret is rotated by hand at its issuer, so every change there is a step a person ticked (see the timeline and the rotation below).'
        : 'None recorded.',
      '',
    );
  } else {
    out.push(
      ...markdownTable(
        ['Seq', 'Time', 'Actor', 'Action', 'Version', 'Details'],
        actions.map((event) => {
          const version = providerVersion(event);
          const rest = Object.fromEntries(
            Object.entries(event.details).filter(([key]) => key !== 'provider' && event.details[key] !== version),
          );
          return [
            String(event.seq),
            event.at,
            markdownCell(who(event.actor)),
            markdownCode(event.action),
            version ? `${markdownCode(version)}${versionRole(version, input)}` : '–',
            markdownCell(describeResult(rest, { fullFingerprints: true })),
          ];
        }),
      ),
      '',
    );
  }

  out.push('## Pages and acknowledgements', '');
  if (pages.length === 0) out.push('Nobody was paged.', '');
  else {
    out.push(
      ...markdownTable(
        ['Who', 'Level', 'Paged', 'Acknowledged'],
        pages.map((page) => [
          markdownCell(who(page.userId)),
          page.level.replace('_', ' '),
          page.pagedAt,
          markdownCell(page.acknowledgedAt),
        ]),
      ),
      '',
    );
  }
  const acknowledgements = events.flatMap((event, index) => (event.kind === 'acknowledged' ? [{ event, seq: seqs[index] ?? null }] : []));
  for (const { event, seq } of acknowledgements) {
    const page = pages.find((candidate) => candidate.userId === event.actor);
    out.push(
      `- ${markdownCell(who(event.actor))} acknowledged at ${event.at}, ${elapsed(incident.openedAt, event.at)} after the revocation (${page ? `paged as ${page.level.replace('_', ' ')}` : 'not paged'})${audit(seq)}.`,
    );
  }
  if (acknowledgements.length === 0) out.push('Nobody has acknowledged.');
  out.push('');
  if (incident.acknowledgedAt)
    out.push(
      `The first acknowledgement (${markdownCell(someone(incident.acknowledgedBy, who))}, at ${incident.acknowledgedAt}) stopped the escalation.`,
      '',
    );

  out.push('## Sign-off', '');
  if (incident.signedOffBy) {
    out.push(
      `${markdownCell(who(incident.signedOffBy))} signed off the break-glass rotation at ${incident.signedOffAt ?? '–'}${audit(seqOf('signed_off'))}; the glass was broken by ${markdownCell(someone(rotation?.breakGlassBy ?? null, who))}.`,
      '',
    );
  } else {
    out.push(
      `Not signed off: a security lead other than whoever broke the glass (${markdownCell(someone(rotation?.breakGlassBy ?? null, who))}) signs the break-glass rotation off once it has ended.`,
      '',
    );
  }

  out.push('## Postmortem', '');
  if (incident.state === 'closed') {
    out.push(
      `Closed at ${incident.closedAt ?? '–'} by ${markdownCell(someone(incident.closedBy, who))}, ${elapsed(incident.openedAt, incident.closedAt ?? incident.openedAt)} after the revocation${audit(seqOf('closed'))}.`,
      '',
      `Postmortem: ${markdownCell(incident.postmortemUrl)}`,
      '',
    );
  } else {
    const due = DateTime.fromISO(incident.openedAt, { zone: 'utc' }).plus({ hours: input.postmortemHours }).toUTC().toISO() as string;
    out.push(
      `Not closed yet. The postmortem is due by ${due} (${input.postmortemHours} h after the revocation); the incident closes with its link.`,
      '',
    );
  }

  out.push(...chainCheckLines(input.chainCheck));
  out.push('## Audit trail', '');
  out.push(
    ...auditTrailLines(
      trail,
      input.head,
      input.chainBreak,
      incidentEventSubject,
      who,
      mergeChecks(input.chainCheck, input.rotation?.chainCheck),
    ),
    '',
  );

  if (input.rotation) out.push(...embedded(renderRotationEvidence(input.rotation, input.chainCheck, words)));
  else
    out.push(
      '## Emergency rotation',
      '',
      'The emergency rotation never started, so there is no rotation evidence: see the timeline for why.',
    );
  return `${out.join('\n')}\n`;
}
