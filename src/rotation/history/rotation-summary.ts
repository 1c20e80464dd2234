import { checkResultsOf, type CheckResult } from '../../checks/check-result.js';
import { slashCommandOf, type NextStepWords } from '../../core/next-step.js';
import type { SecretType } from '../../inventory/secret.js';
import { sayLastError } from '../step-error.js';
import { displayFingerprint } from '../../providers/fingerprint.js';
import type { ChecklistSource } from '../checklists/resolve-checklist.js';
import { isOpen, sayCheck, type ApproverRole, type RotationRecord, type RotationStep } from '../rotation.js';
import { currentStep, missingApprovals, roleLabel, settledSteps } from '../rotation-rules.js';

/** One rotation as `rotor rotations list` shows it. */
export interface RotationSummary {
  id: number;
  secret: string;
  kind: RotationRecord['rotation']['kind'];
  state: RotationRecord['rotation']['state'];
  ticket: string | null;
  heldBy: string;
  startedBy: string;
  startedAt: string;
  /** The step to act on now (1-based position), null once every step is settled or the rotation ended. */
  currentStep: { position: number; of: number; id: string; title: string; state: RotationStep['state'] } | null;
  settledSteps: number;
  totalSteps: number;
  /** Required roles not approved yet; empty once the rotation has ended. */
  missingApprovals: ApproverRole[];
}

export function summarizeRotation(record: RotationRecord): RotationSummary {
  const { rotation } = record;
  const open = isOpen(rotation.state);
  const step = open ? currentStep(record) : null;
  return {
    id: rotation.id,
    secret: rotation.secretName,
    kind: rotation.kind,
    state: rotation.state,
    ticket: rotation.ticket,
    heldBy: rotation.heldBy,
    startedBy: rotation.startedBy,
    startedAt: rotation.startedAt,
    currentStep: step ? { position: step.position + 1, of: record.steps.length, id: step.id, title: step.title, state: step.state } : null,
    settledSteps: settledSteps(record),
    totalSteps: record.steps.length,
    missingApprovals: open ? missingApprovals(record) : [],
  };
}

/** A fingerprint as text shows it: what it is and its first 12 hex digits (see displayFingerprint). */
export function shortFingerprint(fingerprint: string | null | undefined): string {
  return displayFingerprint(fingerprint);
}

export function stateLabel(state: RotationRecord['rotation']['state']): string {
  return state.replace('_', ' ');
}

/** Where the rotation's checklist came from, in words. */
export function describeChecklistSource(source: ChecklistSource, type: SecretType | null): string {
  switch (source.kind) {
    case 'emergency':
      return 'the emergency checklist';
    case 'template':
      return type ? `the built-in ${type} template` : 'the built-in template for its type';
    case 'policy':
      return `the policy's \`checklists.${source.key}\``;
    case 'secret_override':
      return "the secret's own checklist (checklist_override)";
  }
}

/** A step's provider result as `key=value` pairs: fingerprints shortened, the retry token and the by-hand mark (said in words elsewhere) left out. */
export function describeResult(result: Record<string, unknown> | null, options: { fullFingerprints?: boolean } = {}): string {
  if (!result) return '';
  return Object.entries(result)
    .filter(([key]) => key !== 'requestToken' && key !== 'checksFailed' && key !== 'byHand')
    .map(([key, value]) => {
      // Each automated check is listed on its own (the evidence's “Automated checks”): here, only how many passed.
      if (key === 'automatedChecks') return automatedChecksSummary(checkResultsOf(result));
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}=${/fingerprint/i.test(key) && typeof value === 'string' && !options.fullFingerprints ? shortFingerprint(value) : text}`;
    })
    .join(', ');
}

function automatedChecksSummary(results: readonly CheckResult[]): string {
  const failed = results.filter((check) => check.outcome === 'failed').length;
  return `automated checks: ${results.length - failed} passed, ${failed} failed`;
}

/** `2027-02-01T10:00:00.000Z` → `2027-02-01 10:00Z`, for narrow columns. */
function minute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] as string).length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, index) => cell.padEnd(widths[index] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderRotationList(summaries: readonly RotationSummary[]): string {
  if (summaries.length === 0) return 'No rotations.';
  const rows = summaries.map((summary) => [
    `#${summary.id}`,
    summary.secret,
    summary.kind,
    stateLabel(summary.state),
    summary.ticket ?? '-',
    summary.heldBy,
    minute(summary.startedAt),
    summary.currentStep
      ? `${summary.currentStep.position} of ${summary.currentStep.of}`
      : `${summary.settledSteps} of ${summary.totalSteps} settled`,
    summary.missingApprovals.length > 0 ? summary.missingApprovals.map((role) => roleLabel(role)).join(', ') : '-',
  ]);
  return textTable(['ID', 'SECRET', 'KIND', 'STATE', 'TICKET', 'HELD BY', 'STARTED', 'STEP', 'APPROVALS MISSING'], rows);
}

/** `rotor rotations show`: everything about one rotation, as text; a step's last error says its next step in `words` (the CLI's). */
export function renderRotationDetail(record: RotationRecord, type: SecretType | null, words: NextStepWords = slashCommandOf): string {
  const { rotation } = record;
  const summary = summarizeRotation(record);
  const field = (label: string, value: string) => `${label.padEnd(18)}${value}`;
  const lines = [`Rotation #${rotation.id} of ${rotation.secretName}: ${rotation.kind}, ${stateLabel(rotation.state)}`, ''];
  lines.push(field('ticket', rotation.ticket ?? '-'));
  lines.push(field('environment', rotation.environment));
  lines.push(field('provider', rotation.providerRef ? `${rotation.provider} ${rotation.providerRef}` : rotation.provider));
  lines.push(field('checklist', describeChecklistSource(rotation.checklistSource, type)));
  lines.push(field('started', `${rotation.startedAt} by ${rotation.startedBy}`));
  lines.push(field('held by', rotation.heldBy));
  if (rotation.kind === 'emergency')
    lines.push(
      field(
        'break-glass',
        `${rotation.breakGlassBy ?? '-'}: ${rotation.breakGlassReason ?? 'no reason recorded'}${rotation.incidentId ? ` (incident #${rotation.incidentId})` : ''}`,
      ),
    );
  if (summary.currentStep)
    lines.push(field('current step', `${summary.currentStep.position} of ${summary.currentStep.of}: ${summary.currentStep.title}`));
  lines.push(field('due date', `${rotation.previousNextRotation} (the next rotation when it started)`));
  lines.push(...approvalLines(record).map((line, index) => field(index === 0 ? 'approvals' : '', line)));
  lines.push(field('previous version', versionText(rotation.previousVersionId, rotation.previousFingerprint)));
  lines.push(field('new version', versionText(rotation.newVersionId, rotation.newFingerprint)));
  if (rotation.promotedAt) lines.push(field('promoted', rotation.promotedAt));
  if (rotation.verifiedAt) lines.push(field('verified', rotation.verifiedAt));
  if (rotation.completedAt) lines.push(field('completed', rotation.completedAt));
  if (rotation.endedAt)
    lines.push(field(stateLabel(rotation.state), `${rotation.endedAt} by ${rotation.endedBy ?? '-'}: ${rotation.endReason ?? '-'}`));
  lines.push('', 'preflight');
  if (rotation.preflight.length === 0) lines.push('  (no findings recorded)');
  for (const check of rotation.preflight) lines.push(`  ${check.status.padEnd(9)}${check.check}: ${sayCheck(check, words)}`);
  lines.push('', 'steps');
  for (const step of record.steps) {
    const marker = summary.currentStep?.id === step.id ? '  <- current' : '';
    lines.push(
      `  ${String(step.position + 1).padStart(2)}. ${step.state.padEnd(8)} ${step.title} [${step.action ?? 'manual'}${step.required ? '' : ', optional'}]${marker}`,
    );
    const indent = ' '.repeat(15);
    if (step.doneAt) lines.push(`${indent}${step.state === 'skipped' ? 'skipped' : 'done'} by ${step.doneBy ?? '-'} at ${step.doneAt}`);
    if (step.note) lines.push(`${indent}note: ${step.note}`);
    if (step.skipReason) lines.push(`${indent}skip reason: ${step.skipReason}`);
    const result = describeResult(step.result);
    if (result) lines.push(`${indent}result: ${result}`);
    if (step.lastError) lines.push(`${indent}last error (attempt ${step.attempts}): ${sayLastError(step, words)}`);
  }
  return lines.join('\n');
}

/** One line per required role (approved, rejected or missing) and per other decision. */
export function approvalLines(record: RotationRecord): string[] {
  const { rotation, approvals } = record;
  if (rotation.requiredApprovals.length === 0 && approvals.length === 0)
    return [`none required (${rotation.kind === 'emergency' ? 'emergency' : rotation.environment})`];
  const lines = approvals.map(
    (approval) =>
      `${roleLabel(approval.role)}: ${approval.decision} by ${approval.decidedBy} at ${approval.decidedAt}${approval.reason ? `: ${approval.reason}` : ''}`,
  );
  const decided = new Set(approvals.map((approval) => approval.role));
  for (const role of rotation.requiredApprovals)
    if (!decided.has(role)) lines.push(`${roleLabel(role)}: ${isOpen(rotation.state) ? 'missing' : 'never given'}`);
  return lines;
}

function versionText(versionId: string | null, fingerprint: string | null): string {
  if (!versionId) return '-';
  return fingerprint ? `${versionId}  fingerprint ${shortFingerprint(fingerprint)}` : versionId;
}
