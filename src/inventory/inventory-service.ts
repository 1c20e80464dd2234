import { DateTime } from 'luxon';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import { NotFoundError, ValidationError, type ValidationIssue } from '../core/errors.js';
import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { InventoryRepo } from './inventory-repo.js';
import { changesReference, ReferenceGuard } from './reference-guard.js';
import { parseSecretFields, type LooseRecord, type ParseOptions, type SecretFields } from './secret-fields.js';
import { diffSecrets, findMergedProblems, mergeSecret, type FieldChange, type SecretRecord } from './secret-merge.js';
import { rowParams, SECRET_COLUMNS } from './secret-row.js';
import { nextRotationDate } from './schedule.js';
import type { Lifecycle, Secret } from './secret.js';

export interface PlannedChange {
  name: string;
  kind: 'add' | 'change' | 'unchanged';
  after: SecretRecord;
  changes: Record<string, FieldChange>;
}

export interface RotationRecord {
  rotatedAt: string;
  versionId?: string | null;
  fingerprint?: string | null;
}

const INSERT_SQL = `INSERT INTO secrets (${SECRET_COLUMNS.join(', ')}) VALUES (${SECRET_COLUMNS.map((column) => `@${column}`).join(', ')})`;
const UPDATE_SQL = `UPDATE secrets SET ${SECRET_COLUMNS.filter((column) => column !== 'name' && column !== 'created_at')
  .map((column) => `${column} = @${column}`)
  .join(', ')} WHERE name = @name`;

/**
 * Every write to the inventory. Each one goes through the audit log's `record`, so the change
 * and its evidence commit together or not at all.
 */
export class InventoryService {
  constructor(
    private readonly db: Db,
    private readonly repo: InventoryRepo,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly policy: Policy,
  ) {}

  /** What applying these rows would do, without writing; rows later in the list see earlier ones. */
  plan(rows: readonly SecretFields[]): { changes: PlannedChange[]; issues: { index: number; field: string; message: string }[] } {
    const now = this.clock.now();
    const nowIso = now.toUTC().toISO() as string;
    const pending = new Map<string, SecretRecord>();
    const changes: PlannedChange[] = [];
    const issues: { index: number; field: string; message: string }[] = [];
    const stored = this.repo.getMany(rows.map((fields) => fields.name));
    let guard: ReferenceGuard | null = null;
    rows.forEach((fields, index) => {
      const before = pending.get(fields.name) ?? stored.get(fields.name) ?? null;
      const after = mergeSecret(before, fields, this.policy, now, nowIso);
      const problems = findMergedProblems(after);
      // Loaded when the first row changes a reference, so edits that change none pay nothing.
      if (problems.length === 0 && changesReference(before, after)) {
        guard ??= new ReferenceGuard(this.repo.storeReferences());
        const taken = guard.claim(after);
        if (taken) problems.push({ field: 'provider_ref', message: taken });
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

  /** Writes a plan made by `plan` in one transaction: all of it, or nothing. */
  apply(changes: readonly PlannedChange[], actor: string, source: string): { added: number; changed: number; unchanged: number } {
    const now = this.clock.now().toUTC().toISO() as string;
    const insert = statement(this.db, INSERT_SQL);
    const update = statement(this.db, UPDATE_SQL);
    return this.audit.record(() => {
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
          insert.run(rowParams({ ...record, createdAt: now }));
          counts.added += 1;
          events.push({ actor, action: 'secret.created', secret: change.name, details: { source, fields: describeRecord(record) } });
        } else {
          update.run(rowParams(record));
          counts.changed += 1;
          events.push({ actor, action: 'secret.updated', secret: change.name, details: { source, changes: change.changes } });
        }
      }
      return { result: counts, events };
    });
  }

  private refuseDuplicateReferences(changes: readonly PlannedChange[]): void {
    const touching = changes.filter((change) => (change.kind === 'add' ? changesReference(null, change.after) : ['provider', 'providerRef', 'lifecycle'].some((field) => field in change.changes)));
    if (touching.length === 0) return;
    const guard = new ReferenceGuard(this.repo.storeReferences());
    for (const change of touching) {
      const taken = guard.claim(change.after);
      if (taken) throw new ValidationError(`${change.name} cannot be saved: another entry tracks its store secret.`, [{ where: 'provider_ref', message: taken }]);
    }
  }

  /** Validates loose input (a modal, a CLI flag set) and adds one new secret. */
  create(input: LooseRecord, actor: string, source: string): Secret {
    const fields = this.validate(input);
    if (this.repo.get(fields.name)) {
      throw new ValidationError(`${fields.name} already exists.`, [{ where: 'name', message: `\`${fields.name}\` already exists; edit it instead` }]);
    }
    this.applyValidated([fields], actor, source);
    return this.repo.get(fields.name) as Secret;
  }

  /**
   * Validates loose input and changes an existing secret; fields not given stay as they are.
   * With `emptyClears` (an edit form, which shows every field), an emptied field is cleared.
   */
  update(name: string, input: LooseRecord, actor: string, source: string, options: ParseOptions = {}): Secret {
    this.require(name);
    const fields = this.validate({ ...input, name }, options);
    this.applyValidated([fields], actor, source);
    return this.repo.get(name) as Secret;
  }

  setOwner(name: string, owner: string, actor: string, source: string): Secret {
    return this.update(name, { owner }, actor, source);
  }

  /** A completed rotation, in Rotor or outside it: the schedule restarts from `rotatedAt`. */
  recordRotation(name: string, rotation: RotationRecord, actor: string, action = 'secret.rotated', details: Record<string, unknown> = {}): Secret {
    const secret = this.require(name);
    const now = this.clock.now().toUTC().toISO() as string;
    const rotatedAt = DateTime.fromISO(rotation.rotatedAt, { zone: 'utc' }).toUTC().toISO();
    if (!rotatedAt) throw new ValidationError(`${rotation.rotatedAt} is not a time.`, [{ where: 'rotated_at', message: 'expected an ISO time' }]);
    const next = nextRotationDate(rotatedAt, secret.intervalDays, this.clock.now());
    this.audit.record(() => {
      statement(this.db, 
          `UPDATE secrets SET last_rotated = ?, next_rotation = ?, lifecycle = 'active',
             current_version_id = coalesce(?, current_version_id), current_fingerprint = coalesce(?, current_fingerprint), updated_at = ?
           WHERE name = ?`,
        )
        .run(rotatedAt, next, rotation.versionId ?? null, rotation.fingerprint ?? null, now, name);
      const evidence = { ...details, rotatedAt, nextRotation: next, versionId: rotation.versionId ?? null, fingerprint: rotation.fingerprint ?? null };
      return { result: undefined, events: [{ actor, action, secret: name, details: evidence }] };
    });
    return this.require(name);
  }

  /**
   * The version a provider reports as current, read back and fingerprinted: mirrors the
   * provider without restarting the schedule (that is `recordRotation`'s job).
   */
  recordVersion(name: string, version: { versionId: string; fingerprint: string }, actor: string, action = 'secret.version_recorded', details: Record<string, unknown> = {}): Secret {
    const secret = this.require(name);
    if (secret.currentVersionId === version.versionId && secret.currentFingerprint === version.fingerprint) return secret;
    const now = this.clock.now().toUTC().toISO() as string;
    this.audit.record(() => {
      this.db.prepare('UPDATE secrets SET current_version_id = ?, current_fingerprint = ?, updated_at = ? WHERE name = ?').run(version.versionId, version.fingerprint, now, name);
      const evidence = { ...details, versionId: version.versionId, fingerprint: version.fingerprint, previousVersionId: secret.currentVersionId };
      return { result: undefined, events: [{ actor, action, secret: name, details: evidence }] };
    });
    return this.require(name);
  }

  setLifecycle(name: string, lifecycle: Lifecycle, actor: string, details: Record<string, unknown> = {}): Secret {
    const secret = this.require(name);
    if (secret.lifecycle === lifecycle) return secret;
    const now = this.clock.now().toUTC().toISO() as string;
    this.audit.record(() => {
      statement(this.db, 'UPDATE secrets SET lifecycle = ?, updated_at = ? WHERE name = ?').run(lifecycle, now, name);
      return { result: undefined, events: [{ actor, action: 'secret.lifecycle_changed', secret: name, details: { ...details, from: secret.lifecycle, to: lifecycle } }] };
    });
    return this.require(name);
  }

  require(name: string): Secret {
    const secret = this.repo.get(name);
    if (!secret) throw new NotFoundError(`No secret named \`${name}\`.`, this.repo.suggestNames(name));
    return secret;
  }

  private validate(input: LooseRecord, options: ParseOptions = {}): SecretFields {
    const { fields, issues } = parseSecretFields(input, this.policy, this.clock.now(), '', options);
    if (!fields) throw new ValidationError('The secret has invalid fields.', issues);
    return fields;
  }

  private applyValidated(rows: SecretFields[], actor: string, source: string): void {
    const { changes, issues } = this.plan(rows);
    if (issues.length > 0) {
      const list: ValidationIssue[] = issues.map((issue) => ({ where: issue.field, message: issue.message }));
      throw new ValidationError('The secret has invalid fields.', list);
    }
    this.apply(changes, actor, source);
  }
}

/** A new secret's fields for its audit event: what was set, leaving out empty values and timestamps. */
function describeRecord(record: SecretRecord): Record<string, unknown> {
  const { createdAt: _created, updatedAt: _updated, currentFingerprint: _fingerprint, currentVersionId: _version, ...fields } = record;
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== null && !(Array.isArray(value) && value.length === 0) && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0)),
  );
}
