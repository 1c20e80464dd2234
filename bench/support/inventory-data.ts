/**
 * Generated inventories for the benchmarks: rows inserted by SQLite itself (a recursive CTE), so
 * a million secrets take seconds, and the same rows written as import files in every format.
 */
import { writeFileSync } from 'node:fs';
import type { DateTime } from 'luxon';
import type { Db } from '../../src/storage/database.js';

const ENVIRONMENT_SQL = `CASE i % 3 WHEN 0 THEN 'prod' WHEN 1 THEN 'staging' ELSE 'dev' END`;

/** The name of generated secret `index`, as the SQL below builds it. */
export function benchSecretName(index: number): string {
  return `${['prod', 'staging', 'dev'][index % 3]}/service-${index}/credential`;
}

/** Member id of generated owner `index`: `U` and eight digits. */
export function benchOwner(index: number): string {
  return `U${String(1000 + index).padStart(8, '0')}`;
}

/**
 * Inserts `count` live secrets in one statement. `nextRotationSql` is an SQL expression over `i`
 * (the row number) and `@today` giving each row's next rotation date.
 */
function insertGenerated(db: Db, count: number, owners: number, nextRotationSql: string, today: DateTime): void {
  const stamp = today.toUTC().toISO() as string;
  db.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < @count),
     rows AS (SELECT i, ${ENVIRONMENT_SQL} AS env, ${nextRotationSql} AS next FROM seq)
     INSERT INTO secrets (name, environment, service, credential_type, type, description, owner, backup_owner, team,
       consumers, provider, provider_ref, interval_days, last_rotated, next_rotation, lifecycle, retrieval_instructions,
       tags, checklist_override, current_version_id, current_fingerprint, created_at, updated_at)
     SELECT env || '/service-' || i || '/credential', env, 'service-' || i, 'credential', 'api_key', NULL,
       printf('U%08d', 1000 + i % @owners), NULL, 'team-' || (i % 40), '[]', 'manual', NULL, 90,
       date(next, '-90 days') || 'T00:00:00.000Z', next, 'active', NULL, '{}', NULL, NULL, NULL, @stamp, @stamp
     FROM rows`,
  ).run({ count, owners, today: today.toISODate(), stamp });
}

/** Every member id the generated secrets name, cached as Slack would have answered users.info. */
function cacheOwners(db: Db, owners: number, today: DateTime): void {
  db.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < @owners)
     INSERT INTO slack_user_cache (user_id, tz, gone, fetched_at) SELECT printf('U%08d', 1000 + i), 'UTC', 0, @stamp FROM seq`,
  ).run({ owners, stamp: today.toUTC().toISO() });
}

/**
 * The bot's inventory: every `overdueEvery`-th secret is 1 to 60 days overdue, the rest are due
 * 35 to 400 days out (beyond every warning window), spread over `owners` people.
 */
export function seedBotInventory(db: Db, options: { count: number; overdueEvery: number; owners: number; today: DateTime }): void {
  db.transaction(() => {
    insertGenerated(
      db,
      options.count,
      options.owners,
      `CASE WHEN i % ${options.overdueEvery} = 0 THEN date(@today, '-' || (1 + i % 60) || ' days') ELSE date(@today, '+' || (35 + i % 366) || ' days') END`,
      options.today,
    );
  }).immediate();
}

/**
 * The sweep's inventory: the first `owing` secrets owe a reminder now (due in 30 or 7 days, or
 * due today), every other one is due 60 to 400 days out, so what is owed stays the same at
 * any inventory size. Every owner's Slack profile is cached, so the sweep makes no lookups.
 */
export function seedSweepInventory(db: Db, options: { count: number; owing: number; owners: number; today: DateTime }): void {
  db.transaction(() => {
    insertGenerated(
      db,
      options.count,
      options.owners,
      `CASE WHEN i < ${options.owing} THEN date(@today, '+' || (CASE i % 3 WHEN 0 THEN 30 WHEN 1 THEN 7 ELSE 0 END) || ' days') ELSE date(@today, '+' || (60 + i % 341) || ' days') END`,
      options.today,
    );
    cacheOwners(db, options.owners, options.today);
  }).immediate();
}

/** One import row: the fields a team's inventory file typically has. */
export interface ImportRow {
  name: string;
  type: string;
  owner: string;
  team: string;
  intervalDays: number;
  lastRotated: string;
}

export function importRows(count: number, today: DateTime): ImportRow[] {
  const types = ['database', 'api_key', 'jwt', 'redis', 'webhook', 'smtp', 'storage', 'observability'];
  return Array.from({ length: count }, (_, index) => {
    const intervalDays = [30, 60, 90, 180][index % 4] as number;
    const age = index % 33 === 0 ? intervalDays + (index % 20) : (index * 7919) % intervalDays;
    return {
      name: benchSecretName(index),
      type: types[index % types.length] as string,
      owner: benchOwner(index % 500),
      team: `team-${index % 40}`,
      intervalDays,
      lastRotated: today.minus({ days: age }).toISODate() as string,
    };
  });
}

export type ImportFileFormat = 'csv' | 'json' | 'yaml' | 'markdown';

const EXTENSIONS: Record<ImportFileFormat, string> = { csv: 'csv', json: 'json', yaml: 'yaml', markdown: 'md' };

/** Writes the rows as a file of that format, the way a team would keep it; returns its path. */
export function writeImportFile(dir: string, format: ImportFileFormat, rows: readonly ImportRow[]): string {
  const path = `${dir}/inventory.${EXTENSIONS[format]}`;
  let text: string;
  switch (format) {
    case 'csv':
      text = [
        'name,type,owner,team,interval_days,last_rotated',
        ...rows.map((row) => `${row.name},${row.type},${row.owner},${row.team},${row.intervalDays},${row.lastRotated}`),
      ].join('\n');
      break;
    case 'json':
      text = JSON.stringify(
        {
          secrets: rows.map((row) => ({
            name: row.name,
            type: row.type,
            owner: row.owner,
            team: row.team,
            interval_days: row.intervalDays,
            last_rotated: row.lastRotated,
          })),
        },
        null,
        2,
      );
      break;
    case 'yaml':
      text = [
        'secrets:',
        ...rows.map(
          (row) =>
            `  - name: ${row.name}\n    type: ${row.type}\n    owner: ${row.owner}\n    team: ${row.team}\n    interval_days: ${row.intervalDays}\n    last_rotated: ${row.lastRotated}`,
        ),
      ].join('\n');
      break;
    case 'markdown':
      text = [
        '# Secrets inventory',
        '',
        '| Secret Name | Type | Owner | Team | Interval Days | Last Rotated |',
        '|---|---|---|---|---|---|',
        ...rows.map((row) => `| \`${row.name}\` | ${row.type} | ${row.owner} | ${row.team} | ${row.intervalDays} | ${row.lastRotated} |`),
      ].join('\n');
      break;
  }
  writeFileSync(path, `${text}\n`);
  return path;
}
