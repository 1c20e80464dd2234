import { membersOfRole, type GroupMembers } from '../access/role-members.js';
import { sayHint, type Hint } from '../core/next-step.js';
import { DateTime } from 'luxon';
import { actorId, type Actor } from '../access/actor.js';
import type { Authorizer } from '../access/authorize.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import type { StoreCatalog } from '../providers/store-kind.js';
import { isoInstant, type Clock } from '../core/clock.js';
import { RotorError, ValidationError, type ValidationIssue } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { InventoryRepo } from './inventory-repo.js';
import type { CheckedReference } from './reference-check.js';
import { REFERENCE_FOLLOW_UPS, secretReferenceTopic, type ReferenceMove } from './reference-follow-ups.js';
import { changesReference, ReferenceGuard } from './reference-guard.js';
import type { ReferenceLocks } from './reference-locks.js';
import { parseSecretFields, type LooseRecord, type ParseOptions, type SecretFields } from './secret-fields.js';
import { diffSecrets, findMergedProblems, mergeSecret, type FieldChange, type SecretRecord } from './secret-merge.js';
import { nextRotationDate } from './schedule.js';
import type { Lifecycle, Secret } from './secret.js';
import { requireSecret } from './require-secret.js';

export interface PlannedChange {
  name: string;
  kind: 'add' | 'change' | 'unchanged';
  after: SecretRecord;
  changes: Record<string, FieldChange>;
}

/** A new entry bound to a store secret: a reference change from nothing. */
export type NewBinding = Omit<ReferenceMove, 'from'> & { from: null };

export interface RotationRecord {
  rotatedAt: string;
  versionId?: string | null;
  fingerprint?: string | null;
}

export interface InventoryServiceDeps {
  repo: InventoryRepo;
  audit: AuditLog;
  authorizer: Authorizer;
  clock: Clock;
  policy: Policy;
  /** Who is in which Slack user group, so a group in a role list reaches its members. */
  groups?: GroupMembers;
  /** The store kinds: which names `provider` may take, and how each checks its references. */
  stores: StoreCatalog;
  /** Open rotations and incidents, which hold a secret's reference in place. */
  locks: ReferenceLocks;
  /** Schedules what tells security of a reference change (in the change's transaction). */
  followUps: { schedule(request: FollowUpRequest): unknown };
}

/** How a write that moves a reference was vouched for. */
export interface ReferenceApplyOptions {
  /** What the store's port said about each new reference (required for a change a person makes in Slack). */
  checked?: readonly CheckedReference[];
  /** A change a person asked for, applied by the security lead who approved it. */
  approval?: { requestId: number; requestedBy: string };
}

/**
 * Every write to the inventory. Each one goes through the audit log's `record`, so the change
 * and its evidence commit together or not at all. The writes people ask for (add, edit, hand
 * over, import) are authorized here against the actor; the ones flows make on their own behalf
 * (a rotation recorded, a version read back, a lifecycle moved) are authorized by the flow.
 */
export class InventoryService {
  constructor(private readonly deps: InventoryServiceDeps) {}

  /** What applying these rows would do, without writing; rows later in the list see earlier ones. */
  plan(rows: readonly SecretFields[]): { changes: PlannedChange[]; issues: { index: number; field: string; message: string }[] } {
    const now = this.deps.clock.now();
    const nowIso = now.toUTC().toISO() as string;
    const pending = new Map<string, SecretRecord>();
    const changes: PlannedChange[] = [];
    const issues: { index: number; field: string; message: string }[] = [];
    const stored = this.deps.repo.getMany(rows.map((fields) => fields.name));
    let guard: ReferenceGuard | null = null;
    rows.forEach((fields, index) => {
      const before = pending.get(fields.name) ?? stored.get(fields.name) ?? null;
      const after = mergeSecret(before, fields, this.deps.policy, now, nowIso);
      const problems = findMergedProblems(after, this.deps.stores);
      // Loaded when the first row changes a reference, so edits that change none pay nothing.
      if (problems.length === 0 && changesReference(before, after)) {
        guard ??= new ReferenceGuard(this.deps.repo.storeReferences(), this.deps.stores);
        const taken = guard.claim(after);
        if (taken) problems.push({ field: 'provider_ref', message: taken });
      }
      if (problems.length === 0 && before && movesReference(before, after)) {
        const held = this.deps.locks.heldBy(fields.name);
        if (held) problems.push({ field: 'provider_ref', message: sayHint(held) });
      }
      if (problems.length > 0) {
        for (const problem of problems) issues.push({ index, ...problem });
        return;
      }
      pending.set(fields.name, after);
      if (!before) changes.push({ name: fields.name, kind: 'add', after, changes: {} });
      else {
        const diff = diffSecrets(before, after);
        changes.push({ name: fields.name, kind: Object.keys(diff).length > 0 ? 'change' : 'unchanged', after, changes: diff });
      }
    });
    return { changes, issues };
  }

  /**
   * Writes a plan made by `plan` in one transaction: all of it, or nothing. Every change is
   * authorized first: adding, editing, and handing a secret to a new owner.
   */
  apply(
    changes: readonly PlannedChange[],
    actor: Actor,
    source: string,
    options: ReferenceApplyOptions = {},
  ): { added: number; changed: number; unchanged: number } {
    for (const change of changes) this.authorizeChange(actor, change, options);
    const now = this.deps.clock.now().toUTC().toISO() as string;
    const by = actorId(actor);
    return this.deps.audit.record(() => {
      // Checked again inside the write transaction: another process may have added the same store secret since `plan`.
      this.refuseDuplicateReferences(changes);
      const events: AuditEventInput[] = [];
      const counts = { added: 0, changed: 0, unchanged: 0 };
      for (const change of changes) {
        if (change.kind === 'unchanged') {
          counts.unchanged += 1;
          continue;
        }
        const record = { ...change.after, updatedAt: now };
        if (change.kind === 'add') {
          const bound = this.boundOnAdd(actor, change, options);
          if (bound) {
            record.currentVersionId = bound.checked.versionId;
            record.currentFingerprint = bound.checked.fingerprint;
          }
          this.deps.repo.insert({ ...record, createdAt: now });
          counts.added += 1;
          events.push({ actor: by, action: 'secret.created', secret: change.name, details: { source, fields: describeRecord(record) } });
          if (bound) events.push(this.referenceChanged(bound.move, by, source, now, options));
          continue;
        }
        const move = this.referenceMoveOf(change);
        if (move) {
          const checked = this.vouchedFor(actor, move, options);
          // The version Rotor knew belongs to the store secret it no longer tracks; the store's check says what is current at the new one.
          record.currentVersionId = checked?.versionId ?? null;
          record.currentFingerprint = checked?.fingerprint ?? null;
        }
        this.deps.repo.replace(record);
        counts.changed += 1;
        events.push({ actor: by, action: 'secret.updated', secret: change.name, details: { source, changes: change.changes } });
        if (move) events.push(this.referenceChanged(move, by, source, now, options));
      }
      return { result: counts, events };
    });
  }

  /** The move a change makes of an existing secret's provider or reference, or null. */
  private referenceMoveOf(change: PlannedChange): ReferenceMove | null {
    if (change.kind !== 'change' || !('provider' in change.changes || 'providerRef' in change.changes)) return null;
    const before = this.require(change.name);
    if (!movesReference(before, change.after)) return null;
    return {
      secret: change.name,
      from: { provider: before.provider, providerRef: before.providerRef },
      to: { provider: change.after.provider, providerRef: change.after.providerRef },
    };
  }

  /**
   * A new entry a person binds to a store secret in Slack: it comes with the store's check (as a
   * move does), and is audited and announced as a reference change from nothing. The CLI's
   * operators add entries (one by one, by import or discovery) as the database file's trustees:
   * their `secret.created` event names the reference.
   */
  private boundOnAdd(
    actor: Actor,
    change: PlannedChange,
    options: ReferenceApplyOptions,
  ): { move: NewBinding; checked: CheckedReference } | null {
    if (actor.kind !== 'slack' || !changesReference(null, change.after)) return null;
    const to = { provider: change.after.provider, providerRef: change.after.providerRef };
    const checked = options.checked?.find((candidate) => candidate.provider === to.provider && candidate.providerRef === to.providerRef);
    if (!checked) {
      throw new RotorError(
        'internal',
        `A new entry ${change.name} bound to \`${to.providerRef ?? to.provider}\` reached the inventory without the store's check; nothing was saved.`,
      );
    }
    return { move: { secret: change.name, from: null, to }, checked };
  }

  /**
   * Inside the write: no rotation or incident took hold of the reference since the plan, and a
   * person's change comes with the store's check of the new reference (the CLI's operators are
   * trusted with the database file itself, and may move a reference offline).
   */
  private vouchedFor(actor: Actor, move: ReferenceMove, options: ReferenceApplyOptions): CheckedReference | null {
    const held = this.deps.locks.heldBy(move.secret);
    if (held) throw new ValidationError(held.brief, [{ where: 'provider_ref', message: sayHint(held) }], { next: held.next });
    const checked =
      options.checked?.find((candidate) => candidate.provider === move.to.provider && candidate.providerRef === move.to.providerRef) ??
      null;
    if (!checked && actor.kind === 'slack') {
      throw new RotorError(
        'internal',
        `A change of where ${move.secret} is stored reached the inventory without the store's check of \`${move.to.providerRef ?? move.to.provider}\`; nothing was saved.`,
      );
    }
    return checked;
  }

  /** The audit event of a reference change (old and new), and security told of it by follow-up. */
  private referenceChanged(
    move: ReferenceMove | NewBinding,
    by: string,
    source: string,
    now: string,
    options: ReferenceApplyOptions,
  ): AuditEventInput {
    const checked =
      options.checked?.find((candidate) => candidate.provider === move.to.provider && candidate.providerRef === move.to.providerRef) ??
      null;
    const approval = options.approval
      ? { request: options.approval.requestId, requestedBy: options.approval.requestedBy, approvedBy: by }
      : {};
    const payload = { ...move, by, source, ...approval };
    const leads = membersOfRole(this.deps.policy, 'security_leads', this.deps.groups ?? null);
    const audience =
      leads.length > 0
        ? leads.map((user) => ({ user }))
        : this.deps.policy.channels.announce
          ? [{ channel: this.deps.policy.channels.announce }]
          : [];
    for (const to of audience) {
      const occurrence = `${now}|${'user' in to ? to.user : to.channel}`;
      this.deps.followUps.schedule({
        kind: REFERENCE_FOLLOW_UPS.changed,
        topic: secretReferenceTopic(move.secret),
        occurrence,
        dueAt: isoInstant(this.deps.clock.now()),
        payload: { ...payload, ...to },
      });
    }
    return {
      actor: by,
      action: 'secret.reference_changed',
      secret: move.secret,
      details: {
        source,
        from: move.from,
        to: move.to,
        storeCheck: checked ? { versionId: checked.versionId, fingerprint: checked.fingerprint, location: checked.location } : null,
        ...approval,
      },
    };
  }

  private refuseDuplicateReferences(changes: readonly PlannedChange[]): void {
    const touching = changes.filter((change) =>
      change.kind === 'add'
        ? changesReference(null, change.after)
        : ['provider', 'providerRef', 'lifecycle'].some((field) => field in change.changes),
    );
    if (touching.length === 0) return;
    const guard = new ReferenceGuard(this.deps.repo.storeReferences(), this.deps.stores);
    for (const change of touching) {
      const taken = guard.claim(change.after);
      if (taken)
        throw new ValidationError(`${change.name} cannot be saved: another entry tracks its store secret.`, [
          { where: 'provider_ref', message: taken },
        ]);
    }
  }

  /** Checks the actor may add secrets, before a form for it is opened. */
  authorizeAdd(actor: Actor): void {
    this.deps.authorizer.require(actor, { action: 'add' });
  }

  /** The secret, once the actor is known to be allowed to edit it (before an edit form opens). */
  editable(actor: Actor, name: string): Secret {
    const secret = this.require(name);
    this.deps.authorizer.require(actor, { action: 'edit', secret });
    return secret;
  }

  /** Validates loose input (a modal, a CLI flag set) and adds one new secret (bound to a store secret in Slack: with the store's check). */
  create(input: LooseRecord, actor: Actor, source: string, options: ReferenceApplyOptions = {}): Secret {
    const change = this.prepareCreate(input, actor);
    this.apply([change], actor, source, options);
    return this.deps.repo.get(change.name) as Secret;
  }

  /** Everything `create` checks (the right to add, every field), without writing: throws what it would, or returns the secret it would add. */
  checkCreate(input: LooseRecord, actor: Actor): SecretRecord {
    return this.prepareCreate(input, actor).after;
  }

  /**
   * Validates loose input and changes an existing secret; fields not given stay as they are.
   * With `emptyClears` (an edit form, which shows every field), an emptied field is cleared (an
   * emptied interval falls back to the policy default), but an owner cannot be emptied (a secret
   * without an owner gets no reminders), nor a last rotation. A last-rotated day that moves is a
   * rotation done by hand: recorded as one (`secret.rotated_by_hand`), the schedule restarting
   * from it, in the same transaction as the rest of the edit.
   */
  update(name: string, input: LooseRecord, actor: Actor, source: string, options: ParseOptions & ReferenceApplyOptions = {}): Secret {
    const { fields, rotatedAt, previous } = this.prepareUpdate(name, input, actor, options);
    if (rotatedAt === null) {
      this.applyValidated([fields], actor, source, options);
      return this.require(name);
    }
    const { lastRotated: _recorded, ...rest } = fields;
    this.deps.audit.record(() => {
      // The rotation first (it sets the secret active again), then the rest of the form on top, planned against it.
      this.recordRotation(name, { rotatedAt }, actor, 'secret.rotated_by_hand', { source, previousLastRotated: previous.lastRotated });
      this.applyValidated([rest], actor, source, options);
      return { result: undefined, events: [] };
    });
    return this.require(name);
  }

  /** Everything `update` checks (the rights to edit and to hand over, every field), without writing. */
  checkUpdate(name: string, input: LooseRecord, actor: Actor, options: ParseOptions = {}): void {
    this.prepareUpdate(name, input, actor, options);
  }

  /**
   * Where an edit would move the secret (its provider or reference), or null when it leaves them
   * alone: checked with the right to edit and every field (an open rotation or incident refuses
   * the move here), but not yet the right to move it, which the caller decides by the policy.
   */
  referenceMove(name: string, input: LooseRecord, actor: Actor, options: ParseOptions = {}): ReferenceMove | null {
    const existing = this.editable(actor, name);
    if (options.emptyClears) refuseEmptiedOwner(input, existing);
    const change = this.planned(this.validate({ ...input, name }, options));
    return this.referenceMoveOf(change);
  }

  /**
   * A change of provider and reference someone asked for, applied when a security lead approves
   * it (the approver is authorized here; the store's check comes with it).
   */
  applyApprovedReference(
    move: ReferenceMove,
    approver: Actor,
    approval: { requestId: number; requestedBy: string },
    checked: CheckedReference,
  ): Secret {
    const secret = this.require(move.secret);
    this.deps.authorizer.require(approver, { action: 'approve_reference_change', secret });
    if (secret.provider !== move.from.provider || secret.providerRef !== move.from.providerRef) {
      throw new RotorError(
        'conflict',
        `${move.secret} no longer points at ${move.from.providerRef ?? move.from.provider} (it is at ${secret.providerRef ?? secret.provider} now), so this request is out of date; nothing was changed.`,
      );
    }
    const change = this.planned({ name: move.secret, provider: move.to.provider, providerRef: move.to.providerRef });
    this.apply([change], approver, `reference_request:${approval.requestId}`, { checked: [checked], approval });
    return this.require(move.secret);
  }

  private prepareCreate(input: LooseRecord, actor: Actor): PlannedChange {
    this.authorizeAdd(actor);
    const fields = this.validate(input);
    if (this.deps.repo.get(fields.name)) {
      throw new ValidationError(`${fields.name} already exists.`, [
        { where: 'name', message: `\`${fields.name}\` already exists; edit it instead` },
      ]);
    }
    const change = this.planned(fields);
    refuseSameOwners(change.after.owner, change.after.backupOwner);
    return change;
  }

  private prepareUpdate(
    name: string,
    input: LooseRecord,
    actor: Actor,
    options: ParseOptions,
  ): { fields: SecretFields; rotatedAt: string | null; previous: Secret } {
    const existing = this.editable(actor, name);
    if (options.emptyClears) {
      refuseEmptiedOwner(input, existing);
      refuseEmptiedLastRotated(input, existing);
    }
    const fields = this.validate({ ...input, name }, options);
    // A form shows the stored status and day; only a change of them means anything.
    if (fields.lifecycle === existing.lifecycle) delete fields.lifecycle;
    if (fields.lastRotated !== undefined && fields.lastRotated.slice(0, 10) === existing.lastRotated?.slice(0, 10))
      delete fields.lastRotated;
    if (existing.lifecycle === 'rotating' && (fields.lifecycle !== undefined || fields.lastRotated !== undefined)) {
      const hint: Hint = {
        brief: `A rotation of ${name} is in progress:`,
        next: {
          kind: 'run_command',
          command: 'rotate',
          args: [name],
          lead: 'finish or abandon it with',
          purpose: 'before changing its status or last rotation',
        },
      };
      throw new ValidationError(
        hint.brief,
        [{ where: fields.lifecycle !== undefined ? 'status' : 'last_rotated', message: sayHint(hint) }],
        {
          next: hint.next,
        },
      );
    }
    const change = this.planned(fields);
    this.authorizeChange(actor, change);
    refuseSameOwners(change.after.owner, change.after.backupOwner);
    return { fields, rotatedAt: fields.lastRotated ?? null, previous: existing };
  }

  /** The one change these fields make, or the ValidationError `plan` finds. */
  private planned(fields: SecretFields): PlannedChange {
    const { changes, issues } = this.plan([fields]);
    if (issues.length > 0)
      throw new ValidationError(
        'The secret has invalid fields.',
        issues.map((issue) => ({ where: issue.field, message: issue.message })),
      );
    return changes[0] as PlannedChange;
  }

  /** The secret, once the actor is known to be allowed to hand it over (before the new owner is looked up). */
  ownerChangeable(actor: Actor, name: string): Secret {
    const secret = this.require(name);
    this.deps.authorizer.require(actor, { action: 'change_owner', secret });
    return secret;
  }

  /** Hands the secret to a new owner (its owner, team lead or an inventory role may). */
  setOwner(name: string, owner: string, actor: Actor, source: string): Secret {
    this.ownerChangeable(actor, name);
    const fields = this.validate({ name, owner });
    this.applyValidated([fields], actor, source);
    return this.deps.repo.get(name) as Secret;
  }

  /** A completed rotation, in Rotor or outside it: the schedule restarts from `rotatedAt`. */
  recordRotation(
    name: string,
    rotation: RotationRecord,
    actor: Actor,
    action = 'secret.rotated',
    details: Record<string, unknown> = {},
  ): Secret {
    const secret = this.require(name);
    const now = this.deps.clock.now().toUTC().toISO() as string;
    const rotatedAt = DateTime.fromISO(rotation.rotatedAt, { zone: 'utc' }).toUTC().toISO();
    if (!rotatedAt)
      throw new ValidationError(`${rotation.rotatedAt} is not a time.`, [{ where: 'rotated_at', message: 'expected an ISO time' }]);
    const next = nextRotationDate(rotatedAt, secret.intervalDays, this.deps.clock.now());
    this.deps.audit.record(() => {
      this.deps.repo.recordRotation(name, {
        lastRotated: rotatedAt,
        nextRotation: next,
        versionId: rotation.versionId ?? null,
        fingerprint: rotation.fingerprint ?? null,
        lifecycle: 'active',
        updatedAt: now,
      });
      const evidence = {
        ...details,
        rotatedAt,
        nextRotation: next,
        versionId: rotation.versionId ?? null,
        fingerprint: rotation.fingerprint ?? null,
      };
      return { result: undefined, events: [{ actor: actorId(actor), action, secret: name, details: evidence }] };
    });
    return this.require(name);
  }

  /**
   * A rollback: the schedule goes back to what it was before the rotation, and the version now
   * current (the previous one, restored) is recorded.
   */
  restoreRotation(
    name: string,
    restored: { lastRotated: string | null; nextRotation: string; versionId: string | null; fingerprint: string | null },
    actor: Actor,
    details: Record<string, unknown> = {},
  ): Secret {
    this.require(name);
    const now = this.deps.clock.now().toUTC().toISO() as string;
    this.deps.audit.record(() => {
      this.deps.repo.recordRotation(name, { ...restored, lifecycle: 'active', updatedAt: now });
      return {
        result: undefined,
        events: [{ actor: actorId(actor), action: 'secret.rotation_rolled_back', secret: name, details: { ...details, ...restored } }],
      };
    });
    return this.require(name);
  }

  /**
   * The version a provider reports as current, read back and fingerprinted: mirrors the
   * provider without restarting the schedule (that is `recordRotation`'s job).
   */
  recordVersion(
    name: string,
    version: { versionId: string; fingerprint: string },
    actor: Actor,
    action = 'secret.version_recorded',
    details: Record<string, unknown> = {},
  ): Secret {
    const secret = this.require(name);
    if (secret.currentVersionId === version.versionId && secret.currentFingerprint === version.fingerprint) return secret;
    const now = this.deps.clock.now().toUTC().toISO() as string;
    this.deps.audit.record(() => {
      this.deps.repo.recordVersion(name, version, now);
      const evidence = {
        ...details,
        versionId: version.versionId,
        fingerprint: version.fingerprint,
        previousVersionId: secret.currentVersionId,
      };
      return { result: undefined, events: [{ actor: actorId(actor), action, secret: name, details: evidence }] };
    });
    return this.require(name);
  }

  setLifecycle(name: string, lifecycle: Lifecycle, actor: Actor, details: Record<string, unknown> = {}): Secret {
    const secret = this.require(name);
    if (secret.lifecycle === lifecycle) return secret;
    const now = this.deps.clock.now().toUTC().toISO() as string;
    this.deps.audit.record(() => {
      this.deps.repo.setLifecycle(name, lifecycle, now);
      return {
        result: undefined,
        events: [
          {
            actor: actorId(actor),
            action: 'secret.lifecycle_changed',
            secret: name,
            details: { ...details, from: secret.lifecycle, to: lifecycle },
          },
        ],
      };
    });
    return this.require(name);
  }

  require(name: string): Secret {
    return requireSecret(this.deps.repo, name);
  }

  private authorizeChange(actor: Actor, change: PlannedChange, options: ReferenceApplyOptions = {}): void {
    if (change.kind === 'add') {
      this.authorizeAdd(actor);
      // Binding a new entry to a store secret is a reference change (a person's request is saved as manual until approved).
      if (actor.kind === 'slack' && changesReference(null, change.after))
        this.deps.authorizer.require(actor, { action: 'change_reference', secret: change.after }, 'provider_ref');
      if (actor.kind === 'slack' && change.after.target)
        this.deps.authorizer.require(actor, { action: 'change_target', secret: change.after }, 'target');
      return;
    }
    if (change.kind === 'unchanged') return;
    const secret = this.require(change.name);
    if (options.approval) return;
    this.deps.authorizer.require(actor, { action: 'edit', secret });
    if ('owner' in change.changes) this.deps.authorizer.require(actor, { action: 'change_owner', secret }, 'owner');
    if (movesReference(secret, change.after)) this.deps.authorizer.require(actor, { action: 'change_reference', secret });
    if ('target' in change.changes) this.deps.authorizer.require(actor, { action: 'change_target', secret }, 'target');
  }

  private validate(input: LooseRecord, options: ParseOptions = {}): SecretFields {
    const { fields, issues } = parseSecretFields(input, this.deps.policy, this.deps.stores, this.deps.clock.now(), '', options);
    if (!fields) throw new ValidationError('The secret has invalid fields.', issues);
    return fields;
  }

  private applyValidated(rows: SecretFields[], actor: Actor, source: string, options: ReferenceApplyOptions = {}): void {
    const { changes, issues } = this.plan(rows);
    if (issues.length > 0) {
      const list: ValidationIssue[] = issues.map((issue) => ({ where: issue.field, message: issue.message }));
      throw new ValidationError('The secret has invalid fields.', list);
    }
    this.apply(changes, actor, source, options);
  }
}

function refuseEmptiedLastRotated(input: LooseRecord, existing: Secret): void {
  const emptied =
    'lastRotated' in input &&
    (input.lastRotated === undefined ||
      input.lastRotated === null ||
      (typeof input.lastRotated === 'string' && input.lastRotated.trim() === ''));
  if (emptied && existing.lastRotated) {
    const message =
      'Last rotated cannot be emptied: it is when the secret was last rotated. Pick the day it was rotated instead. Nothing was saved.';
    throw new ValidationError(message, [{ where: 'last_rotated', message }]);
  }
}

/** A backup owner is a second person to remind: the owner cannot be their own. */
function refuseSameOwners(owner: string | null, backupOwner: string | null): void {
  if (owner !== null && owner === backupOwner) {
    const message = 'The backup owner must be someone other than the owner: a second person to remind when the owner does not act.';
    throw new ValidationError(message, [{ where: 'backup_owner', message }]);
  }
}

function refuseEmptiedOwner(input: LooseRecord, existing: Secret): void {
  const emptied =
    'owner' in input &&
    (input.owner === undefined || input.owner === null || (typeof input.owner === 'string' && input.owner.trim() === ''));
  if (emptied && existing.owner) {
    const message =
      'Owner cannot be emptied: a secret without an owner gets no reminders. Choose the new owner instead. Nothing was saved.';
    throw new ValidationError(message, [{ where: 'owner', message }]);
  }
}

/** Whether a change points an existing secret at another store secret: another provider, or another reference. */
function movesReference(
  before: { provider: string; providerRef: string | null },
  after: { provider: string; providerRef: string | null },
): boolean {
  return before.provider !== after.provider || before.providerRef !== after.providerRef;
}

/** A new secret's fields for its audit event: what was set, leaving out empty values and timestamps. */
function describeRecord(record: SecretRecord): Record<string, unknown> {
  const { createdAt: _created, updatedAt: _updated, currentFingerprint: _fingerprint, currentVersionId: _version, ...fields } = record;
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([, value]) =>
        value !== null &&
        !(Array.isArray(value) && value.length === 0) &&
        !(typeof value === 'object' && value !== null && Object.keys(value).length === 0),
    ),
  );
}
