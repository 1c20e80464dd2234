import { DateTime } from 'luxon';
import { displayFingerprint } from '../../../providers/fingerprint.js';
import type { ApproverRole, Rotation, RotationState, RotationStep } from '../../../rotation/rotation.js';
import { doneByHand, roleLabel as wordsOfRole } from '../../../rotation/rotation-rules.js';
import { escapeMrkdwn, escapeWithin, mention } from '../mrkdwn.js';

/** Short pieces of text every rotation view shares. */

export const STATE_LABELS: Record<RotationState, string> = {
  awaiting_approval: ':hourglass: awaiting approval',
  in_progress: ':arrows_counterclockwise: in progress',
  completed: ':white_check_mark: completed',
  abandoned: ':no_entry_sign: abandoned',
  rejected: ':no_entry: rejected',
  rolled_back: ':leftwards_arrow_with_hook: rolled back',
};

export function roleLabel(role: ApproverRole): string {
  return wordsOfRole(role);
}

/** An instant in the form Rotor stores them (isoInstant): UTC, to the second or the millisecond. */
const STORED_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** An instant as people read it in a message: `2027-02-01 10:00 UTC`. */
export function when(iso: string | null): string {
  if (!iso) return '—';
  // A stored instant is cut to the minute as it is (a modal shows several, and luxon's parse and
  // format of each cost more than the rest of the line); a date that does not exist (2027-02-30)
  // and any other form go through luxon, which says '—' for what it cannot read.
  const ms = STORED_INSTANT.test(iso) ? Date.parse(iso) : Number.NaN;
  if (!Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 16) === iso.slice(0, 16))
    return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  const instant = DateTime.fromISO(iso, { zone: 'utc' });
  return instant.isValid ? `${instant.toFormat('yyyy-LL-dd HH:mm')} UTC` : '—';
}

/**
 * Free text a person typed (a note, a reason, a provider's error), escaped and cut to `max`
 * characters as Slack receives it: escaping first can make text five times longer (`&`), so
 * cutting before it could overflow a section, and cutting after it must not split an entity.
 */
export function quoted(text: string | null, max = 500): string {
  return text ? escapeWithin(text, max) : '';
}

/** A fingerprint in a message or modal, as every surface shows it: `HMAC-SHA256 1a2b3c4d5e6f`. */
export function fingerprintShort(fingerprint: string | null): string {
  return displayFingerprint(fingerprint, '—');
}

export function stepIcon(step: RotationStep, working: boolean): string {
  if (working || step.state === 'running') return ':hourglass_flowing_sand:';
  if (step.state === 'done') return ':white_check_mark:';
  if (step.state === 'skipped') return ':fast_forward:';
  if (step.lastError) return ':warning:';
  return ':white_circle:';
}

/** "who, when" for a settled step. */
export function settledLine(step: RotationStep): string {
  if (doneByHand(step)) return `Done by hand by ${mention(step.doneBy)} at ${when(step.doneAt)} — “${quoted(step.note)}”`;
  if (step.state === 'done')
    return `Done by ${mention(step.doneBy)} at ${when(step.doneAt)}${step.note ? ` — “${quoted(step.note)}”` : ''}`;
  if (step.state === 'skipped') return `Skipped by ${mention(step.doneBy)} at ${when(step.doneAt)}: “${quoted(step.skipReason)}”`;
  return '';
}

/** The version line of a rotation: previous → new, with short fingerprints. */
export function versionLine(rotation: Rotation): string {
  if (!rotation.newVersionId)
    return `Current version ${rotation.previousVersionId ? `\`${escapeMrkdwn(rotation.previousVersionId)}\`` : '—'}`;
  return `\`${escapeMrkdwn(rotation.previousVersionId ?? '—')}\` → \`${escapeMrkdwn(rotation.newVersionId)}\` (fingerprint \`${fingerprintShort(rotation.newFingerprint)}\`)`;
}
