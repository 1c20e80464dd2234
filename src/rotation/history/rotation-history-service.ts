import { DateTime } from 'luxon';
import type { AuditTrailRepo } from '../../audit/audit-trail-repo.js';
import { checkedRotation, checkedSecret, trailSource, type ChainSource } from '../../audit/chain-checks.js';
import { mergeChecks, type ChainCheck } from '../../audit/chain-difference.js';
import type { Policy } from '../../config/policy.js';
import type { Clock } from '../../core/clock.js';
import type { PeopleNames } from '../../core/person-label.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { InventoryRepo } from '../../inventory/inventory-repo.js';
import type { RotationRecord } from '../rotation.js';
import { rotationAuditTrail, type RotationEvidenceInput } from './rotation-evidence.js';
import type { RotationRepo } from '../rotation-repo.js';
import { missingRotation, replayRotation } from './rotation-replay.js';
import { buildRotationReport, SCHEDULE_ACTIONS, type ReportPeriod, type RotationReport } from './rotation-report.js';

export interface RotationHistoryDeps {
  repo: RotationRepo;
  trail: AuditTrailRepo;
  inventory: InventoryRepo;
  clock: Clock;
  policy: Policy;
  /** The people cache: evidence and reports name people as `Name (U…)` from it. */
  people: { names(): PeopleNames };
}

/** `12` or `#12`: a rotation id. Secret names always hold slashes, so the two never collide. */
const ROTATION_ID = /^#?(\d{1,12})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * What rotations leave behind, for operators and auditors: the list, one rotation in full, its
 * evidence record with the audit chain positions that prove it, and the period report. Reads
 * only; every read of several tables runs in one snapshot of the database.
 */
export class RotationHistoryService {
  constructor(private readonly deps: RotationHistoryDeps) {}

  /** Rotations newest first, with their steps and approvals. */
  list(filter: { open?: boolean } = {}): RotationRecord[] {
    return this.deps.trail.snapshot(() =>
      this.deps.repo.list({ open: filter.open ?? false }).flatMap((rotation) => this.deps.repo.get(rotation.id) ?? []),
    );
  }

  /** A rotation by id, or by secret name: the secret's open rotation, else its newest. */
  find(idOrName: string): RotationRecord {
    const text = idOrName.trim();
    const id = ROTATION_ID.exec(text)?.[1];
    if (id !== undefined) {
      const record = this.deps.repo.get(Number(id));
      if (!record) throw new NotFoundError(`No rotation #${id}. List them with \`rotor rotations list\`.`);
      return record;
    }
    const secret = this.deps.inventory.get(text);
    if (!secret)
      throw new NotFoundError(
        `No rotation #ID or secret named \`${text}\`. Give a rotation id from \`rotor rotations list\`, or a secret name.`,
        this.deps.inventory.suggestNames(text),
      );
    const record = this.deps.repo.openFor(secret.id) ?? this.deps.repo.latestFor(secret.id);
    if (!record)
      throw new NotFoundError(`${secret.name} has never been rotated in Rotor`, [], {
        next: { kind: 'run_command', command: 'rotate', args: [secret.name], lead: 'start a rotation with', purpose: 'in Slack' },
      });
    return record;
  }

  /**
   * Everything the evidence record of a rotation shows, read in one snapshot: the rotation and
   * its secret checked against their audit events, with the chain's facts where the tables differ.
   */
  evidence(idOrName: string): RotationEvidenceInput {
    return this.deps.trail.snapshot(() => {
      const source = trailSource(this.deps.trail);
      const { record, check } = checkedRotation(this.find(idOrName), source);
      const { rotation } = record;
      const own = this.deps.trail.ofRotation(rotation.id, rotation.secretName);
      const first = own[0]?.seq ?? 0;
      const last = own[own.length - 1]?.seq ?? 0;
      const provider = this.deps.trail.providerEvents(rotation.secretName, first, last);
      const stored = this.deps.inventory.get(rotation.secretName);
      const secret = stored ? checkedSecret(stored, source) : null;
      return {
        record,
        secret: secret?.secret ?? null,
        chainCheck: mergeChecks(check, secret?.check),
        trail: rotationAuditTrail(rotation, own, provider),
        head: this.deps.trail.head(),
        chainBreak: this.deps.trail.verify().firstBreak,
        exportedAt: this.deps.clock.now().toUTC().toISO() as string,
        retentionHours: this.deps.policy.retentionHours,
        people: this.deps.people.names(),
      };
    });
  }

  /** The period report over every secret of the inventory; `since` and `until` are whole UTC days. */
  report(period: ReportPeriod): RotationReport {
    checkPeriod(period);
    const from = `${period.since}T00:00:00.000Z`;
    const to = DateTime.fromISO(period.until, { zone: 'utc' }).plus({ days: 1 }).toUTC().toISO() as string;
    return this.deps.trail.snapshot(() => {
      const source = trailSource(this.deps.trail, { everySecret: true });
      const secrets = this.deps.inventory
        .list({ includeRetired: true }, this.deps.clock.now(), 0)
        .map((secret) => checkedSecret(secret, source));
      const rotations = this.completedRotations(from, to, source);
      return buildRotationReport({
        period,
        secrets: secrets.map((checked) => checked.secret),
        policyIntervals: this.deps.policy.intervals,
        rotations: rotations.records,
        history: this.deps.trail.withActions(SCHEDULE_ACTIONS),
        generatedAt: this.deps.clock.now().toUTC().toISO() as string,
        people: this.deps.people.names(),
        chainCheck: mergeChecks(...secrets.map((checked) => checked.check), rotations.check),
      });
    });
  }

  /**
   * Rotor's rotations completed in [from, to), as the chain has them: those the tables say
   * completed then and those the chain says did, each checked against its events (a completion
   * moved into or out of the period counts where the chain puts it).
   */
  private completedRotations(from: string, to: string, source: ChainSource): { records: RotationRecord[]; check: ChainCheck } {
    const candidates = new Map(this.deps.repo.completedBetween(from, to).map((record) => [record.rotation.id, record] as const));
    const checks: ChainCheck[] = [];
    for (const event of this.deps.trail.withActions(['rotation.completed'])) {
      const id = event.details.rotation;
      if (typeof id !== 'number' || event.at < from || event.at >= to || candidates.has(id)) continue;
      const record = this.deps.repo.get(id);
      const replay = record ? null : replayRotation(id, source.rotationEvents(id));
      if (record) candidates.set(id, record);
      else if (replay) checks.push(missingRotation(replay));
    }
    const records: RotationRecord[] = [];
    for (const candidate of candidates.values()) {
      const { record, check } = checkedRotation(candidate, source);
      checks.push(check);
      const { completedAt, state } = record.rotation;
      if (completedAt && completedAt >= from && completedAt < to && (state === 'completed' || state === 'rolled_back'))
        records.push(record);
    }
    records.sort(
      (a, b) => (a.rotation.completedAt as string).localeCompare(b.rotation.completedAt as string) || a.rotation.id - b.rotation.id,
    );
    return { records, check: mergeChecks(...checks) };
  }
}

/** Both ends real calendar dates, the first not after the second. */
function checkPeriod(period: ReportPeriod): void {
  const issues = (['since', 'until'] as const).flatMap((end) => {
    const value = period[end];
    return ISO_DATE.test(value) && DateTime.fromISO(value, { zone: 'utc' }).isValid
      ? []
      : [
          {
            where: `--${end}`,
            message: `\`${value}\` is not a date; write it as YYYY-MM-DD, e.g. --${end} ${end === 'since' ? '2027-01-01' : '2027-03-31'}`,
          },
        ];
  });
  if (issues.length > 0) throw new ValidationError('The report period has a malformed date.', issues);
  if (period.since > period.until) {
    throw new ValidationError(`--since ${period.since} is after --until ${period.until}.`, [
      { where: '--since', message: `give the first day of the period, on or before ${period.until} (both days are included)` },
    ]);
  }
}
