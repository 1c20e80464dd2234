import type { EscalationLevel } from '../config/policy.js';
import { SecretHistoryRepo } from '../inventory/secret-history-repo.js';
import { RotationRepo } from '../rotation/rotation-repo.js';
import { RotationNeedRepo } from '../rotation-needs/rotation-need-repo.js';
import type { RotationNeed } from '../rotation-needs/rotation-need.js';
import type { SecretRow } from '../inventory/secret-row.js';
import { inWriteTransaction, type Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { PlannerCandidate } from './reminder-planner.js';
import { REMINDED_LIFECYCLES } from './reminder-treatment.js';
import type { LedgerEntry, LedgerState, NotMine, NotMineRef, ReminderKey, ReminderKind, ReminderSecret, Snooze } from './reminder.js';
import type { Lifecycle } from '../inventory/secret.js';

/**
 * The lifecycles other than `active` that are reminded whatever their dates say, as SQL. Spelled
 * exactly as the partial index of migration 0009 is, so SQLite can use it.
 */
const URGENT_LIFECYCLES_SQL = REMINDED_LIFECYCLES.filter((lifecycle) => lifecycle !== 'active')
  .map((lifecycle) => `'${lifecycle}'`)
  .join(', ');

interface LedgerRow {
  id: number;
  secret_id: number;
  cycle: string;
  kind: string;
  recipient: string;
  level: string;
  state: string;
  claim_token: string | null;
  claimed_at: string | null;
  attempts: number;
  channel: string | null;
  message_ts: string | null;
  sent_at: string | null;
  last_error: string | null;
}

interface SnoozeRow {
  secret_id: number;
  cycle: string;
  seq: number;
  snoozed_by: string;
  until_date: string;
}

interface NotMineRow {
  secret_id: number;
  cycle: string;
  said_by: string;
  suggested_owner: string | null;
  created_at: string;
}

export interface Claim {
  key: ReminderKey;
  recipient: string;
  level: EscalationLevel;
}

/**
 * The reminder ledger. Every state change is one conditional statement inside an IMMEDIATE
 * transaction, so two sweeps (timers or processes) on one database file cannot both win a
 * claim: the UNIQUE (secret, cycle, kind) key and the `claim_token` checks decide.
 */
export class ReminderLedgerRepo {
  private readonly history: SecretHistoryRepo;
  private readonly rotations: RotationRepo;
  private readonly needs: RotationNeedRepo;

  constructor(private readonly db: Db) {
    this.history = new SecretHistoryRepo(db);
    this.rotations = new RotationRepo(db);
    this.needs = new RotationNeedRepo(db);
  }

  /**
   * Secrets whose current cycle may owe a reminder by `untilDate`: active ones due within the
   * widest warning window or overdue, and every one in another reminded lifecycle (compromised:
   * overdue from the day it was marked, unless an open incident is chasing it; rotating: whoever
   * holds the rotation), active ones with an open rotation need due by then, each with its
   * cycle's ledger rows, snoozes and "not mine" answers, its open needs and, for the other
   * lifecycles, when it entered that lifecycle.
   */
  // Both halves of the condition are read by index: `lifecycle <> 'retired'` lets SQLite use the
  // partial next_rotation index (it cannot infer it from `= 'active'`), and the IN list is
  // spelled as the partial index secrets_reminded_whatever_the_date is (migration 0009).
  candidates(untilDate: string): PlannerCandidate<ReminderSecret>[] {
    const byDate = `s.next_rotation <= @until AND s.lifecycle <> 'retired' AND s.lifecycle = 'active'`;
    const whateverTheDate = `s.lifecycle IN (${URGENT_LIFECYCLES_SQL})`;
    // An open rotation need due by then makes the secret due earlier than its own date (src/rotation-needs).
    const byNeed = `s.id IN (SELECT secret_id FROM open_rotation_needs WHERE substr(due_at, 1, 10) <= @until)`;
    const owing = `(${byDate}) OR ${whateverTheDate} OR ${byNeed}`;
    // A secret under an open incident is chased by the incident (pages, status requests), not by
    // reminders. Open incidents are few, so they are read once rather than probed for every row.
    const underIncident = new Set(statement(this.db, `SELECT secret_id FROM incidents WHERE state = 'open'`).pluck().all() as number[]);
    // Two index searches merged here rather than one OR, which SQLite answers with a rowid set and
    // a second lookup per row; the due-by-date rows come in index order, so only the few others are sorted.
    // Only the columns the planner decides with and a reminder message shows: whole rows (27
    // columns, three JSON lists parsed) were a fifth of the start-up sweep's allocation.
    const narrow = `SELECT ${SUBJECT_COLUMNS} FROM secrets s`;
    const rows = mergeByNextRotation(
      mergeByNextRotation(
        statement(this.db, `${narrow} WHERE ${byDate} ORDER BY s.next_rotation, s.name`).all({
          until: untilDate,
        }) as SubjectRow[],
        statement(this.db, `${narrow} WHERE ${whateverTheDate} ORDER BY s.next_rotation, s.name`).all() as SubjectRow[],
      ),
      statement(
        this.db,
        `${narrow} WHERE ${byNeed} AND s.lifecycle = 'active' AND s.next_rotation > @until ORDER BY s.next_rotation, s.name`,
      ).all({
        until: untilDate,
      }) as SubjectRow[],
    );
    const secrets = rows.filter((row) => !underIncident.has(row.id)).map(subjectFromRow);
    // Ledger rows and snoozes of the cycle each candidate is in (its current next-rotation date).
    const ofCurrentCycle = <Row>(table: 'reminder_ledger' | 'reminder_snoozes' | 'reminder_not_mine') =>
      statement(
        this.db,
        `SELECT t.* FROM ${table} t JOIN secrets s ON s.id = t.secret_id AND t.cycle = s.next_rotation WHERE ${owing}`,
      ).all({ until: untilDate }) as Row[];
    const ledger = new Map<number, LedgerEntry[]>();
    for (const row of ofCurrentCycle<LedgerRow>('reminder_ledger')) push(ledger, row.secret_id, entryFromRow(row));
    const snoozes = new Map<number, Snooze[]>();
    for (const row of ofCurrentCycle<SnoozeRow>('reminder_snoozes')) push(snoozes, row.secret_id, snoozeFromRow(row));
    const notMine = new Map<number, NotMine[]>();
    for (const row of ofCurrentCycle<NotMineRow>('reminder_not_mine')) push(notMine, row.secret_id, notMineFromRow(row));
    const since = new Map<string, string>();
    for (const lifecycle of REMINDED_LIFECYCLES) {
      const names = lifecycle === 'active' ? [] : secrets.filter((secret) => secret.lifecycle === lifecycle).map((secret) => secret.name);
      if (names.length > 0) for (const [name, at] of this.history.enteredAt(names, lifecycle)) since.set(name, at);
    }
    const holders = this.rotations.holdersOf(secrets.filter((secret) => secret.lifecycle === 'rotating').map((secret) => secret.id));
    const needs = this.needs.openWhere(`(${owing})`, { until: untilDate });
    return secrets.map((secret) => ({
      secret,
      ledger: ledger.get(secret.id) ?? [],
      snoozes: snoozes.get(secret.id) ?? [],
      notMine: notMine.get(secret.id) ?? [],
      lifecycleSince: since.get(secret.name) ?? null,
      rotationHeldBy: holders.get(secret.id) ?? null,
      needs: needs.get(secret.id) ?? [],
    }));
  }

  /**
   * Claims each reminder for this sweep, in one transaction. A key is won when no row exists, or
   * its row was released; a sent or claimed row is someone else's. Returns the keys won.
   */
  claim(claims: readonly Claim[], token: string, now: string): ReminderKey[] {
    const upsert = statement(
      this.db,
      `INSERT INTO reminder_ledger (secret_id, cycle, kind, recipient, level, state, claim_token, claimed_at)
       VALUES (@secretId, @cycle, @kind, @recipient, @level, 'claimed', @token, @now)
       ON CONFLICT (secret_id, cycle, kind) DO UPDATE SET
         state = 'claimed', claim_token = excluded.claim_token, claimed_at = excluded.claimed_at,
         recipient = excluded.recipient, level = excluded.level, attempts = attempts + 1, channel = NULL
       WHERE reminder_ledger.state = 'released'
       RETURNING id`,
    );
    return inWriteTransaction(this.db, () =>
      claims
        .filter((claim) => upsert.get({ ...claim.key, recipient: claim.recipient, level: claim.level, token, now }) !== undefined)
        .map((claim) => claim.key),
    );
  }

  /** Records where a claimed reminder is being posted when that is not the recipient's DM. */
  setChannel(keys: readonly ReminderKey[], token: string, channel: string): void {
    const update = statement(
      this.db,
      `UPDATE reminder_ledger SET channel = ? WHERE secret_id = ? AND cycle = ? AND kind = ? AND claim_token = ? AND state = 'claimed'`,
    );
    inWriteTransaction(this.db, () => {
      for (const key of keys) update.run(channel, key.secretId, key.cycle, key.kind, token);
    });
  }

  /** Marks delivered; only the holder of the claim can. Returns how many rows it marked. */
  markSent(keys: readonly ReminderKey[], token: string, delivery: { channel: string; ts: string }, now: string): number {
    const update = statement(
      this.db,
      `UPDATE reminder_ledger SET state = 'sent', channel = ?, message_ts = ?, sent_at = ?, last_error = NULL
       WHERE secret_id = ? AND cycle = ? AND kind = ? AND claim_token = ? AND state = 'claimed'`,
    );
    return inWriteTransaction(this.db, () =>
      keys.reduce(
        (count, key) => count + update.run(delivery.channel, delivery.ts, now, key.secretId, key.cycle, key.kind, token).changes,
        0,
      ),
    );
  }

  /** Gives a claim back after a send that certainly did not reach Slack, so a later sweep retries. */
  release(keys: readonly ReminderKey[], token: string, error: string): void {
    const update = statement(
      this.db,
      `UPDATE reminder_ledger SET state = 'released', claim_token = NULL, last_error = ?
       WHERE secret_id = ? AND cycle = ? AND kind = ? AND claim_token = ? AND state = 'claimed'`,
    );
    inWriteTransaction(this.db, () => {
      for (const key of keys) update.run(error, key.secretId, key.cycle, key.kind, token);
    });
  }

  /** Claims older than `before`: their sender died or lost its way between claim and mark. */
  staleClaims(before: string): LedgerEntry[] {
    return (
      statement(this.db, `SELECT * FROM reminder_ledger WHERE state = 'claimed' AND claimed_at < ? ORDER BY id`).all(before) as LedgerRow[]
    ).map(entryFromRow);
  }

  /** Takes over a stale claim for reconciliation; false when another sweep took it first. */
  takeOver(entry: LedgerEntry, token: string, now: string): boolean {
    const result = statement(
      this.db,
      `UPDATE reminder_ledger SET claim_token = ?, claimed_at = ? WHERE id = ? AND state = 'claimed' AND claim_token IS ? AND claimed_at IS ?`,
    ).run(token, now, entry.id, entry.claimToken, entry.claimedAt);
    return result.changes === 1;
  }

  entries(secretId: number, cycle: string): LedgerEntry[] {
    return (
      statement(this.db, 'SELECT * FROM reminder_ledger WHERE secret_id = ? AND cycle = ? ORDER BY id').all(secretId, cycle) as LedgerRow[]
    ).map(entryFromRow);
  }

  find(key: ReminderKey): LedgerEntry | null {
    const row = statement(this.db, 'SELECT * FROM reminder_ledger WHERE secret_id = ? AND cycle = ? AND kind = ?').get(
      key.secretId,
      key.cycle,
      key.kind,
    ) as LedgerRow | undefined;
    return row ? entryFromRow(row) : null;
  }

  /** Reminders delivered in [since, until): for the weekly digest. */
  sentBetween(since: string, until: string): (LedgerEntry & { secretName: string })[] {
    const rows = statement(
      this.db,
      `SELECT l.*, s.name AS secret_name FROM reminder_ledger l JOIN secrets s ON s.id = l.secret_id WHERE l.state = 'sent' AND l.sent_at >= ? AND l.sent_at < ? ORDER BY l.sent_at`,
    ).all(since, until) as (LedgerRow & { secret_name: string })[];
    return rows.map((row) => ({ ...entryFromRow(row), secretName: row.secret_name }));
  }

  addSnooze(snooze: Snooze, createdAt: string): void {
    statement(
      this.db,
      'INSERT INTO reminder_snoozes (secret_id, cycle, seq, snoozed_by, until_date, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(snooze.secretId, snooze.cycle, snooze.seq, snooze.snoozedBy, snooze.untilDate, createdAt);
  }

  snoozes(secretId: number, cycle: string): Snooze[] {
    return (
      statement(this.db, 'SELECT * FROM reminder_snoozes WHERE secret_id = ? AND cycle = ? ORDER BY seq').all(
        secretId,
        cycle,
      ) as SnoozeRow[]
    ).map(snoozeFromRow);
  }

  /**
   * Records that someone said the secret is not theirs in this cycle; returns false (and changes
   * nothing) when they already had: the first answer stands.
   */
  addNotMine(answer: NotMine): boolean {
    return (
      statement(
        this.db,
        'INSERT INTO reminder_not_mine (secret_id, cycle, said_by, suggested_owner, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ).run(answer.secretId, answer.cycle, answer.saidBy, answer.suggestedOwner, answer.at).changes === 1
    );
  }

  /** The secret's open rotation needs, soonest due first: they can bring its due date forward or forbid a snooze. */
  openNeeds(secretId: number): RotationNeed[] {
    return this.needs.openFor([secretId]).get(secretId) ?? [];
  }

  findNotMine(ref: NotMineRef): NotMine | null {
    const row = statement(this.db, 'SELECT * FROM reminder_not_mine WHERE secret_id = ? AND cycle = ? AND said_by = ?').get(
      ref.secretId,
      ref.cycle,
      ref.saidBy,
    ) as NotMineRow | undefined;
    return row ? notMineFromRow(row) : null;
  }
}

/** Two lists each ordered by next rotation then name, as one. */
function mergeByNextRotation(left: readonly SubjectRow[], right: readonly SubjectRow[]): readonly SubjectRow[] {
  if (right.length === 0) return left;
  const before = (a: SubjectRow, b: SubjectRow) =>
    a.next_rotation < b.next_rotation || (a.next_rotation === b.next_rotation && a.name < b.name);
  const merged: SubjectRow[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length)
    merged.push(before(right[j] as SubjectRow, left[i] as SubjectRow) ? (right[j++] as SubjectRow) : (left[i++] as SubjectRow));
  return merged.concat(left.slice(i), right.slice(j));
}

/** The `secrets` columns of a ReminderSecret. */
type SubjectRow = Pick<
  SecretRow,
  | 'id'
  | 'name'
  | 'lifecycle'
  | 'next_rotation'
  | 'updated_at'
  | 'owner'
  | 'backup_owner'
  | 'team'
  | 'environment'
  | 'last_rotated'
  | 'consumers'
>;

const SUBJECT_COLUMNS =
  's.id, s.name, s.lifecycle, s.next_rotation, s.updated_at, s.owner, s.backup_owner, s.team, s.environment, s.last_rotated, s.consumers';

function subjectFromRow(row: SubjectRow): ReminderSecret {
  return {
    id: row.id,
    name: row.name,
    lifecycle: row.lifecycle as Lifecycle,
    nextRotation: row.next_rotation,
    updatedAt: row.updated_at,
    owner: row.owner,
    backupOwner: row.backup_owner,
    team: row.team,
    environment: row.environment,
    lastRotated: row.last_rotated,
    consumers: JSON.parse(row.consumers) as string[],
  };
}

function push<T>(map: Map<number, T[]>, id: number, value: T): void {
  const list = map.get(id);
  if (list) list.push(value);
  else map.set(id, [value]);
}

function entryFromRow(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    secretId: row.secret_id,
    cycle: row.cycle,
    kind: row.kind as ReminderKind,
    recipient: row.recipient,
    level: row.level as EscalationLevel,
    state: row.state as LedgerState,
    claimToken: row.claim_token,
    claimedAt: row.claimed_at,
    attempts: row.attempts,
    channel: row.channel,
    messageTs: row.message_ts,
    sentAt: row.sent_at,
    lastError: row.last_error,
  };
}

function snoozeFromRow(row: SnoozeRow): Snooze {
  return { secretId: row.secret_id, cycle: row.cycle, seq: row.seq, snoozedBy: row.snoozed_by, untilDate: row.until_date };
}

function notMineFromRow(row: NotMineRow): NotMine {
  return { secretId: row.secret_id, cycle: row.cycle, saidBy: row.said_by, suggestedOwner: row.suggested_owner, at: row.created_at };
}
