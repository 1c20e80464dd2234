import type { AuditEvent } from '../../audit/audit-event.js';
import { DifferenceList, type ChainCheck } from '../../audit/chain-difference.js';
import type { ReplayedSecret } from '../../inventory/inventory-replay.js';
import { STEP_ACTIONS, type StepAction } from '../checklists/checklist-step.js';
import type { Approval, ApproverRole, Rotation, RotationRecord, RotationStep } from '../rotation.js';
import { roleLabel } from '../rotation-rules.js';
import { actorId, SYSTEM_ACTOR } from '../../access/actor.js';

/** Who did something and when, by the event that recorded it. */
interface Stamp {
  seq: number;
  at: string;
  by: string;
}

interface ReplayedStep extends Stamp {
  state: 'done' | 'skipped';
  title: string | null;
  /** A person's tick carries their note; a provider step carries its result instead. */
  byProvider: boolean;
  note: string | null;
  skipReason: string | null;
  versionId: string | null;
  fingerprint: string | null;
}

interface ReplayedApproval extends Stamp {
  decision: Approval['decision'];
  reason: string | null;
}

/** A rotation as its audit events tell it. */
export interface RotationReplay {
  id: number;
  started: Stamp & { secret: string | null; details: Record<string, unknown> };
  approvals: Map<string, ReplayedApproval>;
  steps: Map<string, ReplayedStep>;
  /** The latest person to start, take over or work a step: who holds the rotation. */
  holder: Stamp;
  completed: Stamp | null;
  ended: (Stamp & { state: 'abandoned' | 'rejected' | 'rolled_back'; reason: string | null }) | null;
  newVersion: { versionId: string | null; fingerprint: string | null; seq: number } | null;
  promoted: Stamp | null;
  verified: Stamp | null;
  placeholder: { versionId: string; seq: number } | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const isAction = (value: unknown): value is StepAction => typeof value === 'string' && (STEP_ACTIONS as readonly string[]).includes(value);
const ENDINGS = { 'rotation.abandoned': 'abandoned', 'rotation.rejected': 'rejected', 'rotation.rolled_back': 'rolled_back' } as const;

/** Replays the events that name rotation `id`, oldest first; null when none started it. */
export function replayRotation(id: number, events: readonly AuditEvent[]): RotationReplay | null {
  let replay: RotationReplay | null = null;
  for (const event of events) {
    if (event.details.rotation !== id) continue;
    const stamp: Stamp = { seq: event.seq, at: event.at, by: event.actor };
    if (event.action === 'rotation.started') {
      replay = {
        id,
        started: { ...stamp, secret: event.secret, details: event.details },
        approvals: new Map(),
        steps: new Map(),
        holder: stamp,
        completed: null,
        ended: null,
        newVersion: null,
        promoted: null,
        verified: null,
        placeholder: null,
      };
      continue;
    }
    if (replay) applyEvent(replay, event, stamp);
  }
  return replay;
}

/** Rotor's own runs of a step (a re-driven disable, a follow-up's check) leave the rotation with whoever held it. */
const ROTOR = actorId(SYSTEM_ACTOR);

function applyEvent(replay: RotationReplay, event: AuditEvent, stamp: Stamp): void {
  const { details } = event;
  const step = text(details.step);
  const holder = stamp.by === ROTOR ? replay.holder : stamp;
  switch (event.action) {
    case 'rotation.taken_over':
    case 'rotation.step_failed':
      replay.holder = holder;
      return;
    case 'rotation.step_waiting':
      replay.holder = holder;
      // A rotation function still running: the version it is making is already the new one.
      if (typeof details.versionId === 'string')
        replay.newVersion = { versionId: details.versionId, fingerprint: replay.newVersion?.fingerprint ?? null, seq: event.seq };
      return;
    case 'rotation.step_skipped':
      replay.holder = holder;
      if (step)
        replay.steps.set(step, {
          ...stamp,
          state: 'skipped',
          title: text(details.title),
          byProvider: false,
          note: null,
          skipReason: text(details.reason),
          versionId: null,
          fingerprint: null,
        });
      return;
    case 'rotation.step_done':
      replay.holder = holder;
      if (step) stepDone(replay, step, details, stamp);
      return;
    case 'rotation.approved':
    case 'rotation.rejected': {
      const role = text(details.role);
      if (role)
        replay.approvals.set(role, {
          ...stamp,
          decision: event.action === 'rotation.approved' ? 'approved' : 'rejected',
          reason: text(details.reason),
        });
      if (event.action === 'rotation.rejected') replay.ended = { ...stamp, state: 'rejected', reason: text(details.reason) };
      return;
    }
    case 'rotation.completed':
      replay.completed = stamp;
      replay.holder = stamp;
      return;
    case 'rotation.abandoned':
    case 'rotation.rolled_back':
      replay.ended = { ...stamp, state: ENDINGS[event.action], reason: text(details.reason) };
      return;
    default:
      return;
  }
}

/**
 * A step done: a person's tick (its note), or a provider step, whose result is spread into the
 * event and moves the rotation's versions as the service's step did.
 */
function stepDone(replay: RotationReplay, step: string, details: Record<string, unknown>, stamp: Stamp): void {
  // A provider step's event has `action`: its step's, or what disabling did (which overrides it).
  const byProvider = 'action' in details;
  const action = isAction(details.action) ? details.action : byProvider ? 'disable_compromised' : null;
  const versionId = text(details.versionId);
  const fingerprint = text(details.fingerprint);
  replay.steps.set(step, {
    ...stamp,
    state: 'done',
    title: text(details.title),
    byProvider,
    note: byProvider ? null : text(details.note),
    skipReason: null,
    versionId,
    fingerprint,
  });
  const promote = () => {
    replay.promoted ??= stamp;
  };
  switch (action) {
    case 'create_version':
      if (details.note === 'already created') return;
      replay.newVersion = { versionId, fingerprint, seq: stamp.seq };
      if (details.promotedOnCreate === true || details.adopted === true) promote();
      return;
    case 'detect_version':
      replay.newVersion = { versionId, fingerprint, seq: stamp.seq };
      if (details.alreadyCurrent === true) promote();
      return;
    case 'await_provider_rotation':
      replay.newVersion = { versionId, fingerprint, seq: stamp.seq };
      promote();
      return;
    case 'promote':
      promote();
      return;
    case 'verify':
      replay.verified = stamp;
      replay.newVersion = { versionId: replay.newVersion?.versionId ?? versionId, fingerprint, seq: stamp.seq };
      return;
    case 'disable_compromised': {
      const replacement = text(details.replacementVersionId);
      if (replacement && replacement !== replay.newVersion?.versionId) replay.placeholder = { versionId: replacement, seq: stamp.seq };
      return;
    }
    default:
      return;
  }
}

/** The state the events leave the rotation in. */
function replayedState(replay: RotationReplay): Rotation['state'] {
  if (replay.ended) return replay.ended.state;
  if (replay.completed) return 'completed';
  const required = Array.isArray(replay.started.details.requiredApprovals) ? (replay.started.details.requiredApprovals as string[]) : [];
  return required.every((role) => replay.approvals.get(role)?.decision === 'approved') ? 'in_progress' : 'awaiting_approval';
}

/** A started event's detail, or what the secret held just before it when older events lack it. */
function startedFact(replay: RotationReplay, key: string, fallback: unknown): { value: unknown; covered: boolean } {
  if (key in replay.started.details) return { value: replay.started.details[key], covered: true };
  return { value: fallback, covered: fallback !== undefined };
}

/**
 * Checks a rotation as the tables hold it against its replay, fact by fact: what the evidence
 * and the report print. Returns the rotation with the chain's facts where they differ (the
 * tables' where the chain holds none), and each difference named. `before`: its secret as the
 * chain had it just before the rotation started, for facts that events older than this release
 * do not carry themselves.
 */
export function checkRotation(
  record: RotationRecord,
  replay: RotationReplay | null,
  before: ReplayedSecret | null,
): { record: RotationRecord; check: ChainCheck } {
  const { rotation } = record;
  const list = new DifferenceList(`rotation #${rotation.id}`);
  if (!replay) {
    list.add('its start', `it started at ${rotation.startedAt} by ${rotation.startedBy}`, null, null);
    return { record, check: list.check() };
  }
  const fixed: Rotation = { ...rotation };
  const start = replay.started;
  const field = <K extends keyof Rotation>(fact: string, key: K, chain: Rotation[K], seq: number, instant = false) => {
    const same = instant
      ? list.compareInstant(fact, rotation[key] as string | null, chain as string | null, seq)
      : list.compare(fact, rotation[key], chain, seq);
    if (!same) fixed[key] = chain;
  };
  const fromStart = <K extends keyof Rotation>(fact: string, key: K, detail: string, fallback: unknown) => {
    const { value, covered } = startedFact(replay, detail, fallback);
    if (covered) field(fact, key, (value ?? null) as Rotation[K], start.seq);
    else if (rotation[key] !== null) list.notCovered(fact);
  };

  if (start.secret) field('secret', 'secretName', start.secret, start.seq);
  field('kind', 'kind', (text(start.details.kind) ?? rotation.kind) as Rotation['kind'], start.seq);
  // Events older than reasons carry none: the row's reason then reads from the kind, as the repo does.
  const startedKind = text(start.details.kind) ?? rotation.kind;
  field(
    'reason',
    'reason',
    (text(start.details.reason) ?? (startedKind === 'emergency' ? 'compromise' : 'scheduled')) as Rotation['reason'],
    start.seq,
  );
  field('change ticket', 'ticket', text(start.details.ticket), start.seq);
  field('started by', 'startedBy', start.by, start.seq);
  field('started at', 'startedAt', start.at, start.seq, true);
  field('required approvals', 'requiredApprovals', (start.details.requiredApprovals ?? []) as ApproverRole[], start.seq);
  field('preflight findings', 'preflight', (start.details.preflight ?? []) as Rotation['preflight'], start.seq);
  if (start.secret) field('environment', 'environment', start.secret.split('/')[0] ?? rotation.environment, start.seq);
  fromStart('provider', 'provider', 'provider', before?.fields.provider);
  fromStart('store reference', 'providerRef', 'providerRef', before?.fields.providerRef);
  fromStart('checklist source', 'checklistSource', 'checklistSource', undefined);
  fromStart('due date it was rotated against', 'previousNextRotation', 'previousNextRotation', before?.fields.nextRotation);
  fromStart('last rotation before it', 'previousLastRotated', 'previousLastRotated', before?.fields.lastRotated);
  fromStart('lifecycle before it', 'previousLifecycle', 'previousLifecycle', before?.fields.lifecycle);
  const previousVersion =
    text(start.details.previousVersionId) ?? (before ? ((before.fields.currentVersionId as string | null) ?? null) : undefined);
  if (previousVersion !== undefined) field('previous version', 'previousVersionId', previousVersion, start.seq);
  else if (rotation.previousVersionId !== null) list.notCovered('previous version');
  fromStart('previous fingerprint', 'previousFingerprint', 'previousFingerprint', undefined);
  const emergency = fixed.kind === 'emergency';
  field('broken glass by', 'breakGlassBy', emergency ? start.by : null, start.seq);
  field('break-glass reason', 'breakGlassReason', emergency ? text(start.details.breakGlassReason) : null, start.seq);
  field('incident', 'incidentId', typeof start.details.incident === 'number' ? start.details.incident : null, start.seq);

  const state = replayedState(replay);
  field('state', 'state', state, replay.ended?.seq ?? replay.completed?.seq ?? start.seq);
  field('completed at', 'completedAt', replay.completed?.at ?? null, replay.completed?.seq ?? start.seq, true);
  field('ended at', 'endedAt', replay.ended?.at ?? null, replay.ended?.seq ?? start.seq, true);
  field('ended by', 'endedBy', replay.ended?.by ?? null, replay.ended?.seq ?? start.seq);
  field('why it ended', 'endReason', replay.ended?.reason ?? null, replay.ended?.seq ?? start.seq);
  // A provider step under way has changed the holder before it records anything.
  if (!record.steps.some((step) => step.state === 'running')) field('held by', 'heldBy', replay.holder.by, replay.holder.seq);
  field('new version', 'newVersionId', replay.newVersion?.versionId ?? null, replay.newVersion?.seq ?? start.seq);
  field('new fingerprint', 'newFingerprint', replay.newVersion?.fingerprint ?? null, replay.newVersion?.seq ?? start.seq);
  field('promoted at', 'promotedAt', replay.promoted?.at ?? null, replay.promoted?.seq ?? start.seq, true);
  field('verified at', 'verifiedAt', replay.verified?.at ?? null, replay.verified?.seq ?? start.seq, true);
  if (replay.placeholder) field('placeholder version', 'placeholderVersionId', replay.placeholder.versionId, replay.placeholder.seq);
  else if (rotation.placeholderVersionId !== null) list.notCovered('placeholder version (its disable step has not succeeded yet)');

  return {
    record: { rotation: fixed, steps: checkSteps(record, replay, list), approvals: checkApprovals(record, replay, list) },
    check: list.check(),
  };
}

/** Every step against its event: done or skipped, by whom, when, with which note or reason and result. */
function checkSteps(record: RotationRecord, replay: RotationReplay, list: DifferenceList): RotationStep[] {
  const checklist = Array.isArray(replay.started.details.checklist) ? (replay.started.details.checklist as string[]) : null;
  if (checklist)
    list.compare(
      'checklist (step ids, in order)',
      record.steps.map((step) => step.id),
      checklist,
      replay.started.seq,
    );
  return record.steps.map((step) => {
    const done = replay.steps.get(step.id);
    const label = `step ${step.id}`;
    if (!done) {
      if (step.state === 'done' || step.state === 'skipped') {
        list.add(label, `${step.state} by ${step.doneBy ?? 'nobody'} at ${step.doneAt ?? 'no time'}`, null, null);
        return { ...step, state: 'pending', doneBy: null, doneAt: null, note: null, skipReason: null };
      }
      list.compare(`${label}: note`, step.note, null, null);
      list.compare(`${label}: done by`, step.doneBy, null, null);
      return { ...step, note: null, doneBy: null, doneAt: null };
    }
    const fixed: RotationStep = { ...step };
    if (!list.compare(`${label}: state`, step.state, done.state, done.seq)) fixed.state = done.state;
    if (!list.compare(`${label}: done by`, step.doneBy, done.by, done.seq)) fixed.doneBy = done.by;
    if (!list.compareInstant(`${label}: when`, step.doneAt, done.at, done.seq)) fixed.doneAt = done.at;
    if (!list.compare(`${label}: note`, step.note, done.note, done.seq)) fixed.note = done.note;
    if (!list.compare(`${label}: skip reason`, step.skipReason, done.skipReason, done.seq)) fixed.skipReason = done.skipReason;
    if (done.title !== null && !list.compare(`${label}: title`, step.title, done.title, done.seq)) fixed.title = done.title;
    if (done.byProvider) {
      const result = step.result ?? {};
      const corrected = { ...result };
      if (done.versionId !== null && !list.compare(`${label}: version`, result.versionId ?? null, done.versionId, done.seq))
        corrected.versionId = done.versionId;
      if (done.fingerprint !== null && !list.compare(`${label}: fingerprint`, result.fingerprint ?? null, done.fingerprint, done.seq))
        corrected.fingerprint = done.fingerprint;
      fixed.result = step.result === null && Object.keys(corrected).length === 0 ? null : corrected;
    }
    return fixed;
  });
}

/** Every approval or rejection against its event; one in the tables without one is forged, one missing was deleted. */
function checkApprovals(record: RotationRecord, replay: RotationReplay, list: DifferenceList): Approval[] {
  const describe = (approval: { decision: string; by: string; at: string; reason: string | null }) =>
    `${approval.decision} by ${approval.by} at ${approval.at}${approval.reason ? ` (${approval.reason})` : ''}`;
  const approvals: Approval[] = [];
  for (const approval of record.approvals) {
    const chain = replay.approvals.get(approval.role);
    const label = `approval (${roleLabel(approval.role)})`;
    if (!chain) {
      list.add(label, describe({ ...approval, by: approval.decidedBy, at: approval.decidedAt }), null, null);
      continue;
    }
    const fixed: Approval = { ...approval };
    const same = [
      list.compare(`${label}: decision`, approval.decision, chain.decision, chain.seq),
      list.compare(`${label}: by`, approval.decidedBy, chain.by, chain.seq),
      list.compareInstant(`${label}: when`, approval.decidedAt, chain.at, chain.seq),
      list.compare(`${label}: reason`, approval.reason, chain.reason, chain.seq),
    ];
    if (same.includes(false))
      Object.assign(fixed, { decision: chain.decision, decidedBy: chain.by, decidedAt: chain.at, reason: chain.reason });
    approvals.push(fixed);
  }
  for (const [role, chain] of replay.approvals) {
    if (record.approvals.some((approval) => approval.role === role)) continue;
    list.add(`approval (${roleLabel(role as ApproverRole) ?? role})`, null, describe(chain), chain.seq);
    approvals.push({
      role: role as ApproverRole,
      decision: chain.decision,
      decidedBy: chain.by,
      decidedAt: chain.at,
      reason: chain.reason,
    });
  }
  return approvals;
}

/** A rotation the chain started that the tables no longer hold. */
export function missingRotation(replay: RotationReplay): ChainCheck {
  const list = new DifferenceList(`rotation #${replay.id}`);
  list.add(
    'its row',
    null,
    `it started at ${replay.started.at} by ${replay.started.by}${replay.completed ? ` and completed at ${replay.completed.at}` : ''}`,
    replay.started.seq,
  );
  return list.check();
}
