import { closest, distance } from 'fastest-levenshtein';
import type { DateTime } from 'luxon';
import type { ReadScope } from '../access/visibility.js';
import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import { toUtcDate, type WarningWindow } from './schedule.js';
import type { StoredReference } from './reference-guard.js';
import { SLACK_USER_GROUP_ID, type Lifecycle, type ProviderKind, type Secret, type SecretStatus, type SecretType } from './secret.js';
import { rowParams, secretFromRow, SECRET_COLUMNS, type SecretRow } from './secret-row.js';

export interface SecretFilter {
  environment?: string;
  /** Matches the owner or the backup owner. */
  owner?: string;
  service?: string;
  type?: SecretType;
  team?: string;
  status?: SecretStatus;
  /** Retired secrets are left out unless asked for (by status or this flag). */
  includeRetired?: boolean;
  /** Only the secrets this viewer may read (absent: all). */
  scope?: ReadScope;
}

/** What the automatic-rotation job reads of a due secret. */
export type AutomaticCandidate = Pick<Secret, 'id' | 'name' | 'type' | 'tags' | 'nextRotation'>;

/** What a review lists of a live secret: its name, and who else may read it. */
export type ReviewListed = Pick<Secret, 'name' | 'access'>;

/** What the replication review reads of a live secret: enough to find it in its store. */
export type ReplicationListed = Pick<Secret, 'name' | 'provider' | 'providerRef' | 'environment'>;

/** The monthly review's checks that can list most of the inventory, each a condition on a live secret. */
const REVIEW_CHECKS = {
  unowned: 'owner IS NULL',
  withoutBackup: 'owner IS NOT NULL AND backup_owner IS NULL',
  neverRotated: 'last_rotated IS NULL',
  withReaders: 'json_array_length(access) > 0',
} as const;

/** The live secrets one monthly-review check finds, by name: one query, whichever columns are read of them. */
function reviewCheckSql(check: ReviewCheck, columns: string): string {
  return `SELECT ${columns} FROM secrets WHERE ${REVIEW_CHECKS[check]} AND ${LIVE_SQL} ORDER BY name`;
}

export type ReviewCheck = keyof typeof REVIEW_CHECKS;

/** A live owned secret as the access review asks its owner about it. */
export type OwnedListed = Pick<Secret, 'id' | 'name' | 'access'> & { owner: string };

export interface Page {
  limit?: number;
  offset?: number;
}

/**
 * When a secret is due, said once: a live secret's due day is its next rotation, or an open
 * rotation need's day when earlier. Its rows are the live secrets whose due day is in a range,
 * as `columns` (of the table `secrets`: `secrets.*`, or a few) and `due_on`. Two arms: the
 * secrets due by their own date, read from the next_rotation index (secrets_live_by_next_rotation,
 * on (next_rotation, name) of the live secrets) in that order and without their rows when neither
 * `columns` nor `visible` reads more, then the few with open rotation needs, joined. `inRange` is
 * SQL over a due day; `visible` is scopeSql's clause (it names the table `secrets`).
 */
function dueArmsSql(columns: string, inRange: (due: string) => string, visible = '1'): string {
  return `
  SELECT ${columns}, secrets.next_rotation AS due_on FROM secrets
    WHERE ${inRange('secrets.next_rotation')} AND secrets.lifecycle <> 'retired'
      AND secrets.id NOT IN (SELECT secret_id FROM open_rotation_needs) AND ${visible}
  UNION ALL
  SELECT ${columns}, min(secrets.next_rotation, needs.due_on)
    FROM (SELECT secret_id, min(substr(due_at, 1, 10)) AS due_on FROM open_rotation_needs GROUP BY secret_id) needs
    JOIN secrets ON secrets.id = needs.secret_id
    WHERE secrets.lifecycle <> 'retired' AND ${inRange('min(secrets.next_rotation, needs.due_on)')} AND ${visible}`;
}

/** Live secrets due by `@until`, whole, with `due_on`. */
const DUE_ON_SQL = dueArmsSql('secrets.*', (due) => `${due} <= @until`);

/** What a due page picks on: (id, name, due_on), ids first for the pluck. */
const PAGE_COLUMNS = 'secrets.id AS id, secrets.name AS name';

/**
 * One page of those, by due day then name, picked without sorting the range: the index gives
 * the first arm in that order, the needs arm is sorted apart, and SQLite merges the two (MERGE
 * (UNION ALL)), stopping once the page is full. Sorting every due row first (5,000 overdue secrets
 * at 100,000) was most of a `/secrets overdue` reply's time, which left a burst's replies
 * arriving long after their acks.
 */
function duePageSql(inRange: (due: string) => string, visible: string): string {
  return `${dueArmsSql(PAGE_COLUMNS, inRange, visible)}
  ORDER BY due_on, name LIMIT @limit OFFSET @offset`;
}

const overdueRange = (due: string) => `${due} <= @today`;

/** The overdue page's pick (due on or before `@today`), for a viewer's scopeSql clause. */
export function overduePageSql(visible: string): string {
  return duePageSql(overdueRange, visible);
}

/** The due-within page's pick (due after `@today`, by `@until`), for a viewer's scopeSql clause. */
export function dueWithinPageSql(visible: string): string {
  return duePageSql((due) => `${due} > @today AND ${due} <= @until`, visible);
}

/** Filters that match one column of the same name exactly. */
const EQUALITY_FILTERS = ['environment', 'service', 'type', 'team'] as const;

/** Secrets that still owe rotations: the same condition as the partial index, so SQLite uses it. */
const LIVE_SQL = `lifecycle <> 'retired'`;

const INSERT_SQL = `INSERT INTO secrets (${SECRET_COLUMNS.join(', ')}) VALUES (${SECRET_COLUMNS.map((column) => `@${column}`).join(', ')})`;
const UPDATE_SQL = `UPDATE secrets SET ${SECRET_COLUMNS.filter((column) => column !== 'name' && column !== 'created_at')
  .map((column) => `${column} = @${column}`)
  .join(', ')} WHERE name = @name`;

/** What a completed rotation writes: the schedule restarts and the current version is known. */
export interface RotationWrite {
  /** Null only when a rollback restores a secret that had never been rotated. */
  lastRotated: string | null;
  nextRotation: string;
  /** Null keeps the stored value. */
  versionId: string | null;
  fingerprint: string | null;
  lifecycle: Lifecycle;
  updatedAt: string;
}

function namesUserGroup(secret: Pick<Secret, 'access'>): boolean {
  return secret.access.some((principal) => SLACK_USER_GROUP_ID.test(principal));
}

/** How far `target` is from `name` or its nearest part (a tail of its segments, one segment); 0 when `name` contains it. */
function nameDistance(target: string, name: string): number {
  if (target.length >= 3 && name.includes(target)) return 0;
  const segments = name.split('/');
  const parts = [name, ...segments.map((_, index) => segments.slice(index).join('/')), ...segments];
  return Math.min(...parts.map((part) => distance(target, part)));
}

/**
 * The secrets a ReadScope covers, as a condition on `secrets` and its parameters (JSON lists, so
 * one prepared statement serves every viewer). The same rule as `mayRead`: owner, backup owner,
 * a team of theirs, or a principal of theirs (them or a user group) in the `access` list.
 */
function scopeSql(scope: ReadScope | undefined): { clause: string; params: Record<string, string> } {
  if (!scope || scope.kind === 'all') return { clause: '1', params: {} };
  return {
    clause: `(owner = @viewer OR backup_owner = @viewer
      OR team IN (SELECT value FROM json_each(@viewerTeams))
      OR EXISTS (SELECT 1 FROM json_each(secrets.access) AS reader WHERE reader.value IN (SELECT value FROM json_each(@viewerPrincipals))))`,
    params: { viewer: scope.userId, viewerTeams: JSON.stringify(scope.teams), viewerPrincipals: JSON.stringify(scope.principals) },
  };
}

/**
 * The last day of each row's "due soon" window, as SQL over `@today` (dueSoonWindow, row by row:
 * the longest warning shorter than the row's interval). The offsets are the policy's whole
 * numbers, so they are written into the statement (one prepared statement per policy).
 */
function soonHorizonSql(warnings: WarningWindow): string {
  const offsets = [...new Set(typeof warnings === 'number' ? [warnings] : warnings)].map(Math.trunc).sort((a, b) => b - a);
  const window =
    offsets.length === 0 ? '0' : `CASE ${offsets.map((offset) => `WHEN interval_days > ${offset} THEN ${offset}`).join(' ')} ELSE 0 END`;
  return `date(@today, '+' || (${window}) || ' days')`;
}

/**
 * The inventory's queries. Dates are compared as ISO strings (`YYYY-MM-DD`), which sort like the
 * dates they name, so the next_rotation index serves every due/overdue range. Writes are called
 * by InventoryService inside its audit records, never on their own.
 */
export class InventoryRepo {
  constructor(private readonly db: Db) {}

  get(name: string): Secret | null {
    const row = statement(this.db, 'SELECT * FROM secrets WHERE name = ?').get(name) as SecretRow | undefined;
    return row ? secretFromRow(row) : null;
  }

  getById(id: number): Secret | null {
    const row = statement(this.db, 'SELECT * FROM secrets WHERE id = ?').get(id) as SecretRow | undefined;
    return row ? secretFromRow(row) : null;
  }

  insert(secret: Omit<Secret, 'id'>): void {
    statement(this.db, INSERT_SQL).run(rowParams(secret));
    if (namesUserGroup(secret)) statement(this.db, 'INSERT INTO secrets_naming_user_groups (secret_name) VALUES (?)').run(secret.name);
  }

  /** Replaces every stored field of the secret named `secret.name` but its creation time. */
  replace(secret: Omit<Secret, 'id'>): void {
    if (statement(this.db, UPDATE_SQL).run(rowParams(secret)).changes === 0) return;
    if (namesUserGroup(secret)) {
      statement(this.db, 'INSERT OR IGNORE INTO secrets_naming_user_groups (secret_name) VALUES (?)').run(secret.name);
    } else {
      statement(this.db, 'DELETE FROM secrets_naming_user_groups WHERE secret_name = ?').run(secret.name);
    }
  }

  recordRotation(name: string, rotation: RotationWrite): void {
    statement(
      this.db,
      `UPDATE secrets SET last_rotated = @lastRotated, next_rotation = @nextRotation, lifecycle = @lifecycle,
         current_version_id = coalesce(@versionId, current_version_id), current_fingerprint = coalesce(@fingerprint, current_fingerprint),
         updated_at = @updatedAt
       WHERE name = @name`,
    ).run({ ...rotation, name });
  }

  recordVersion(name: string, version: { versionId: string; fingerprint: string }, updatedAt: string): void {
    statement(this.db, 'UPDATE secrets SET current_version_id = ?, current_fingerprint = ?, updated_at = ? WHERE name = ?').run(
      version.versionId,
      version.fingerprint,
      updatedAt,
      name,
    );
  }

  setLifecycle(name: string, lifecycle: Lifecycle, updatedAt: string): void {
    statement(this.db, 'UPDATE secrets SET lifecycle = ?, updated_at = ? WHERE name = ?').run(lifecycle, updatedAt, name);
  }

  /** The stored secrets among `names`, by name: one query per thousand names, for bulk imports. */
  getMany(names: readonly string[]): Map<string, Secret> {
    const found = new Map<string, Secret>();
    const query = statement(this.db, 'SELECT * FROM secrets WHERE name IN (SELECT value FROM json_each(?))');
    for (let start = 0; start < names.length; start += 1000) {
      for (const row of query.iterate(JSON.stringify(names.slice(start, start + 1000))) as IterableIterator<SecretRow>) {
        found.set(row.name, secretFromRow(row));
      }
    }
    return found;
  }

  /** Every secret's name, retired ones included. */
  names(): string[] {
    return statement(this.db, 'SELECT name FROM secrets ORDER BY name').pluck().all() as string[];
  }

  count(): number {
    return (statement(this.db, 'SELECT count(*) AS n FROM secrets').get() as { n: number }).n;
  }

  list(filter: SecretFilter, today: DateTime, dueSoonDays: WarningWindow, page: Page = {}): Secret[] {
    const clauses: string[] = [];
    const params: Record<string, string | number> = {};
    for (const key of EQUALITY_FILTERS) {
      const value = filter[key];
      if (!value) continue;
      clauses.push(`${key} = @${key}`);
      params[key] = value;
    }
    if (filter.owner) {
      clauses.push('(owner = @owner OR backup_owner = @owner)');
      params.owner = filter.owner;
    }
    const todayIso = toUtcDate(today);
    const soon = soonHorizonSql(dueSoonDays);
    switch (filter.status) {
      case undefined:
        if (!filter.includeRetired) clauses.push(`lifecycle <> 'retired'`);
        break;
      case 'overdue':
        clauses.push(`lifecycle = 'active' AND next_rotation <= @today`);
        params.today = todayIso;
        break;
      case 'due_soon':
        clauses.push(`lifecycle = 'active' AND next_rotation > @today AND next_rotation <= ${soon}`);
        params.today = todayIso;
        break;
      case 'active':
        clauses.push(`lifecycle = 'active' AND next_rotation > ${soon}`);
        params.today = todayIso;
        break;
      default:
        clauses.push('lifecycle = @lifecycle');
        params.lifecycle = filter.status;
    }
    const scope = scopeSql(filter.scope);
    if (filter.scope) clauses.push(scope.clause);
    const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = statement(this.db, `SELECT * FROM secrets ${where} ORDER BY name LIMIT @limit OFFSET @offset`).all({
      ...params,
      ...scope.params,
      limit: page.limit ?? -1,
      offset: page.offset ?? 0,
    }) as SecretRow[];
    return rows.map(secretFromRow);
  }

  /**
   * Live secrets due on or before `today`, most overdue first. A secret's due day is its next
   * rotation, or the day an open rotation need (src/rotation-needs) is due, if that comes first.
   */
  overdue(today: DateTime, page: Page = {}, scope?: ReadScope): Secret[] {
    const visible = scopeSql(scope);
    const ids = statement(this.db, overduePageSql(visible.clause))
      .pluck()
      .all({
        today: toUtcDate(today),
        ...visible.params,
        limit: page.limit ?? -1,
        offset: page.offset ?? 0,
      }) as number[];
    return this.inOrder(ids);
  }

  /**
   * Active secrets due by `until` (their own date or an open rotation need's) that may be rotated
   * automatically: of one of `types`, or carrying the tag `tag` at all (its value is judged by the
   * caller). Only the columns the automatic-rotation job needs: it asks every minute, and loading
   * every due secret whole made that scale with the inventory.
   */
  automaticCandidates(until: DateTime, types: readonly string[], tag: string): AutomaticCandidate[] {
    const rows = statement(
      this.db,
      `SELECT id, name, type, tags, next_rotation FROM (${DUE_ON_SQL}) AS secrets
        WHERE due_on <= @until AND lifecycle = 'active'
          AND (type IN (SELECT value FROM json_each(@types)) OR json_extract(tags, @tagPath) IS NOT NULL)
        ORDER BY due_on, name`,
    ).all({ until: toUtcDate(until), types: JSON.stringify(types), tagPath: `$.${JSON.stringify(tag)}` }) as Pick<
      SecretRow,
      'id' | 'name' | 'type' | 'tags' | 'next_rotation'
    >[];
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      type: row.type as SecretType,
      tags: JSON.parse(row.tags) as Record<string, string>,
      nextRotation: row.next_rotation,
    }));
  }

  countOverdue(today: DateTime, scope?: ReadScope): number {
    const visible = scopeSql(scope);
    const row = statement(this.db, `SELECT count(*) AS n FROM (${dueArmsSql('secrets.id', overdueRange, visible.clause)})`).get({
      today: toUtcDate(today),
      ...visible.params,
    }) as { n: number };
    return row.n;
  }

  /** How many live secrets this viewer may read. */
  countReadable(scope: ReadScope): number {
    const visible = scopeSql(scope);
    return (
      statement(this.db, `SELECT count(*) AS n FROM secrets WHERE ${LIVE_SQL} AND ${visible.clause}`).get(visible.params) as { n: number }
    ).n;
  }

  /** The names of every secret this viewer may read, retired ones included: what suggestions may draw on. */
  readableNames(scope: ReadScope): string[] {
    const visible = scopeSql(scope);
    return statement(this.db, `SELECT name FROM secrets WHERE ${visible.clause} ORDER BY name`).pluck().all(visible.params) as string[];
  }

  /**
   * Whether any secret's access list names a user group: only then is Slack asked who is in which.
   * Asked before every member's read under `visibility: restricted`, so it reads the list that
   * insert and replace keep (migration 0022), never every access list.
   */
  accessNamesUserGroups(): boolean {
    return statement(this.db, 'SELECT 1 FROM secrets_naming_user_groups LIMIT 1').get() !== undefined;
  }

  /** Live secrets due after `today` and within `days` days (their own date, or an open rotation need's), soonest first. */
  dueWithin(days: number, today: DateTime, page: Page = {}, scope?: ReadScope): Secret[] {
    const visible = scopeSql(scope);
    const until = toUtcDate(today.plus({ days }));
    const ids = statement(this.db, dueWithinPageSql(visible.clause))
      .pluck()
      .all({ today: toUtcDate(today), until, ...visible.params, limit: page.limit ?? -1, offset: page.offset ?? 0 }) as number[];
    return this.inOrder(ids);
  }

  /** The secrets of these ids, whole, in the order given (a page chosen on the narrow rows). */
  private inOrder(ids: readonly number[]): Secret[] {
    if (ids.length === 0) return [];
    const rows = statement(this.db, 'SELECT * FROM secrets WHERE id IN (SELECT value FROM json_each(@ids))').all({
      ids: JSON.stringify(ids),
    }) as SecretRow[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [secretFromRow(row)] : [];
    });
  }

  /** Live secrets in one environment due by `until` (their own date or an open rotation need's), soonest first: what a release check looks at. */
  dueInEnvironment(environment: string, until: string): Secret[] {
    const rows = statement(this.db, `SELECT * FROM (${DUE_ON_SQL}) WHERE environment = @environment ORDER BY due_on, name`).all({
      environment,
      until,
    }) as SecretRow[];
    return rows.map(secretFromRow);
  }

  /** Live secrets with no owner: the first line of the monthly review. */
  unowned(scope?: ReadScope): Secret[] {
    const visible = scopeSql(scope);
    const rows = statement(
      this.db,
      `SELECT * FROM secrets WHERE owner IS NULL AND lifecycle <> 'retired' AND ${visible.clause} ORDER BY name`,
    ).all(visible.params) as SecretRow[];
    return rows.map(secretFromRow);
  }

  /** Live secrets whose owner is set but nobody backs them up. */
  withoutBackupOwner(scope?: ReadScope): Secret[] {
    const visible = scopeSql(scope);
    const rows = statement(
      this.db,
      `SELECT * FROM secrets WHERE owner IS NOT NULL AND backup_owner IS NULL AND lifecycle <> 'retired' AND ${visible.clause} ORDER BY name`,
    ).all(visible.params) as SecretRow[];
    return rows.map(secretFromRow);
  }

  /**
   * The names alone of what `reviewListed` finds, in the same order: a review's stored findings
   * are names, and at 100,000 secrets without a backup owner the access lists parsed beside them
   * held 22 MB of the heap while the review started, for nothing.
   */
  reviewNames(check: ReviewCheck): string[] {
    return statement(this.db, reviewCheckSql(check, 'name')).pluck().all() as string[];
  }

  /**
   * The live secrets one monthly-review check finds, by name, with their access lists only: a
   * review reads the whole inventory, and whole rows made its start hold the event loop for seconds
   * and grow the heap by hundreds of megabytes at 100,000 secrets.
   */
  reviewListed(check: ReviewCheck): ReviewListed[] {
    const rows = statement(this.db, reviewCheckSql(check, 'name, access')).all() as Pick<SecretRow, 'name' | 'access'>[];
    return rows.map((row) => ({ name: row.name, access: JSON.parse(row.access) as string[] }));
  }

  /**
   * Live secrets of one environment this viewer may read, in one of `providers` (or, with
   * `inProviders: false`, in none of them), by name: the first `limit`, with only what finding
   * them in their store takes, and how many there are. The replication review reads a capped
   * number of stores, so it never loads a whole environment's rows.
   */
  replicationListed(
    filter: { environment: string; providers: readonly string[]; inProviders: boolean; scope: ReadScope },
    limit: number,
  ): { secrets: ReplicationListed[]; total: number } {
    const visible = scopeSql(filter.scope);
    const where = `environment = @environment AND ${LIVE_SQL}
        AND provider ${filter.inProviders ? 'IN' : 'NOT IN'} (SELECT value FROM json_each(@providers)) AND ${visible.clause}`;
    const params = { environment: filter.environment, providers: JSON.stringify(filter.providers), ...visible.params };
    const rows = statement(
      this.db,
      `SELECT name, provider, provider_ref, environment FROM secrets WHERE ${where} ORDER BY name LIMIT @limit`,
    ).all({ ...params, limit }) as Pick<SecretRow, 'name' | 'provider' | 'provider_ref' | 'environment'>[];
    const total = (statement(this.db, `SELECT count(*) AS n FROM secrets WHERE ${where}`).get(params) as { n: number }).n;
    return {
      secrets: rows.map((row) => ({
        name: row.name,
        provider: row.provider as ProviderKind,
        providerRef: row.provider_ref,
        environment: row.environment,
      })),
      total,
    };
  }

  /** Every live secret with an owner, by name, with only what the access review asks about it. */
  ownedListed(): OwnedListed[] {
    const rows = statement(
      this.db,
      `SELECT id, name, owner, access FROM secrets WHERE owner IS NOT NULL AND ${LIVE_SQL} ORDER BY name`,
    ).all() as (Pick<SecretRow, 'id' | 'name' | 'access'> & { owner: string })[];
    return rows.map((row) => ({ id: row.id, name: row.name, owner: row.owner, access: JSON.parse(row.access) as string[] }));
  }

  /**
   * Live secrets counted by one column's value (none counted for no value), by SQLite: the quarterly
   * inventory audit. The keys come in the order of each value's first secret by name.
   */
  liveCountsBy(column: 'environment' | 'provider' | 'owner'): Record<string, number> {
    const rows = statement(
      this.db,
      `SELECT ${column} AS value, count(*) AS n FROM secrets WHERE ${column} IS NOT NULL AND ${LIVE_SQL} GROUP BY ${column} ORDER BY min(name)`,
    ).all() as { value: string; n: number }[];
    return Object.fromEntries(rows.map((row) => [row.value, row.n]));
  }

  countLive(): number {
    return (statement(this.db, `SELECT count(*) AS n FROM secrets WHERE ${LIVE_SQL}`).get() as { n: number }).n;
  }

  neverRotated(scope?: ReadScope): Secret[] {
    const visible = scopeSql(scope);
    const rows = statement(
      this.db,
      `SELECT * FROM secrets WHERE last_rotated IS NULL AND lifecycle <> 'retired' AND ${visible.clause} ORDER BY name`,
    ).all(visible.params) as SecretRow[];
    return rows.map(secretFromRow);
  }

  /** Secrets where this person is owner or backup owner, most urgent first. */
  ownedBy(userId: string): Secret[] {
    const rows = statement(
      this.db,
      `SELECT * FROM secrets WHERE (owner = ? OR backup_owner = ?) AND lifecycle <> 'retired' ORDER BY next_rotation, name`,
    ).all(userId, userId) as SecretRow[];
    return rows.map(secretFromRow);
  }

  /** Every secret, in name order, one at a time: for exports of any size. */
  *iterateAll(): IterableIterator<Secret> {
    for (const row of statement(this.db, 'SELECT * FROM secrets ORDER BY name').iterate() as IterableIterator<SecretRow>) {
      yield secretFromRow(row);
    }
  }

  /** Every live secret with a provider reference: what the reference guard compares new ones against. */
  storeReferences(): StoredReference[] {
    const rows = statement(
      this.db,
      `SELECT name, provider, provider_ref, lifecycle FROM secrets WHERE provider <> 'manual' AND provider_ref IS NOT NULL AND ${LIVE_SQL}`,
    ).all() as {
      name: string;
      provider: ProviderKind;
      provider_ref: string;
      lifecycle: Lifecycle;
    }[];
    return rows.map((row) => ({ name: row.name, provider: row.provider, providerRef: row.provider_ref, lifecycle: row.lifecycle }));
  }

  /**
   * Up to `limit` existing names closest to a mistyped or partial one, closest first. A name is
   * as close as its nearest part: the whole, a tail of its segments (`stripe/api_key`) or one
   * segment (`stripe`), so a partial name finds the names it is part of; text found inside a
   * name counts as an exact match of that part.
   */
  suggestNames(mistyped: string, limit = 3, among?: readonly string[]): string[] {
    const names = (among ?? (statement(this.db, 'SELECT name FROM secrets').pluck().all() as string[])).filter((name) => name !== mistyped);
    if (names.length === 0) return [];
    const target = mistyped.toLowerCase().trim();
    const best = closest(target, names);
    const ranked = names
      .map((name) => ({ name, score: nameDistance(target, name.toLowerCase()) }))
      .sort((a, b) => a.score - b.score || a.name.length - b.name.length || a.name.localeCompare(b.name));
    const threshold = Math.max(2, Math.ceil(target.length / 3));
    const picks = ranked
      .filter((candidate) => candidate.score <= threshold)
      .slice(0, limit)
      .map((candidate) => candidate.name);
    return picks.length > 0 ? picks : [best];
  }

  statusCounts(today: DateTime, dueSoonDays: WarningWindow): Record<SecretStatus, number> {
    const soon = soonHorizonSql(dueSoonDays);
    const row = statement(
      this.db,
      `SELECT
           sum(lifecycle = 'active' AND next_rotation <= @today) AS overdue,
           sum(lifecycle = 'active' AND next_rotation > @today AND next_rotation <= ${soon}) AS due_soon,
           sum(lifecycle = 'active' AND next_rotation > ${soon}) AS active,
           sum(lifecycle = 'rotating') AS rotating,
           sum(lifecycle = 'compromised') AS compromised,
           sum(lifecycle = 'retired') AS retired
         FROM secrets`,
    ).get({ today: toUtcDate(today) }) as Record<SecretStatus, number | null>;
    return {
      active: row.active ?? 0,
      due_soon: row.due_soon ?? 0,
      overdue: row.overdue ?? 0,
      rotating: row.rotating ?? 0,
      compromised: row.compromised ?? 0,
      retired: row.retired ?? 0,
    };
  }
}
