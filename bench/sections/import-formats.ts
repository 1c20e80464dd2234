/**
 * (4) `rotor import`'s work (read, parse, validate, plan, write, audit) for the same rows in
 * every format, each against a raw transactional insert of those rows into an equally fresh
 * database, alternated run by run.
 */
import { cliActor } from '../../src/access/actor.js';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { defaultPolicy } from '../../src/config/policy.js';
import { FixedClock } from '../../src/core/clock.js';
import { importFile } from '../../src/import-export/import-service.js';
import { rowParams, SECRET_COLUMNS } from '../../src/inventory/secret-row.js';
import { createServices } from '../../src/services.js';
import { openDatabase } from '../../src/storage/database.js';
import { importRows, writeImportFile, type ImportFileFormat, type ImportRow } from '../support/inventory-data.js';
import { figure, median, type Figure } from '../support/report.js';

const today = DateTime.fromISO('2026-11-22T10:00:00Z', { zone: 'utc' });
const FORMATS: readonly ImportFileFormat[] = ['csv', 'json', 'yaml', 'markdown'];

/** The floor: the same rows, already known valid, inserted by one prepared statement in one transaction. */
function rawInsert(path: string, rows: readonly ImportRow[]): number {
  const db = openDatabase(path);
  const stamp = today.toISO() as string;
  const started = performance.now();
  const insert = db.prepare(
    `INSERT INTO secrets (${SECRET_COLUMNS.join(', ')}) VALUES (${SECRET_COLUMNS.map((column) => `@${column}`).join(', ')})`,
  );
  db.transaction(() => {
    for (const row of rows) {
      const [environment, service, credentialType] = row.name.split('/') as [string, string, string];
      const next = new Date(Date.parse(row.lastRotated) + row.intervalDays * 86_400_000).toISOString().slice(0, 10);
      insert.run(
        rowParams({
          name: row.name,
          environment,
          service,
          credentialType,
          type: row.type as 'api_key',
          description: null,
          owner: row.owner,
          backupOwner: null,
          team: row.team,
          consumers: [],
          access: [],
          breakGlass: false,
          provider: 'manual',
          providerRef: null,
          intervalDays: row.intervalDays,
          lastRotated: row.lastRotated,
          nextRotation: next,
          lifecycle: 'active',
          retrievalInstructions: null,
          tags: {},
          checklistOverride: null,
          valueSource: null,
          valueField: null,
          target: null,
          currentVersionId: null,
          currentFingerprint: null,
          createdAt: stamp,
          updatedAt: stamp,
        }),
      );
    }
  }).immediate();
  const ms = performance.now() - started;
  db.close();
  return ms;
}

function rotorImport(dbPath: string, file: string): { ms: number; added: number } {
  const db = openDatabase(dbPath);
  const services = createServices(db, new FixedClock(today), defaultPolicy);
  const started = performance.now();
  const report = importFile(file, services, { actor: cliActor('bench'), source: 'bench' });
  const ms = performance.now() - started;
  db.close();
  return { ms, added: report.changes.filter((change) => change.kind === 'add').length };
}

export function importSection(options: { dir: string; rows: number; rounds: number }): {
  figures: Figure[];
  details: Record<string, unknown>;
} {
  const rows = importRows(options.rows, today);
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  let run = 0;
  for (const format of FORMATS) {
    const file = writeImportFile(options.dir, format, rows);
    const times = { raw: [] as number[], rotor: [] as number[] };
    for (let round = 0; round < options.rounds; round += 1) {
      const order = round % 2 === 0 ? ['raw', 'rotor'] : ['rotor', 'raw'];
      for (const which of order) {
        run += 1;
        const dbPath = `${options.dir}/import-${run}.db`;
        if (which === 'raw') times.raw.push(rawInsert(dbPath, rows));
        else {
          const result = rotorImport(dbPath, file);
          if (result.added !== rows.length) throw new Error(`${format} import added ${result.added} of ${rows.length} rows`);
          times.rotor.push(result.ms);
        }
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
      }
    }
    details[format] = times;
    const item = figure({
      section: 'import',
      label: `import ${options.rows.toLocaleString('en')} rows, ${format}`,
      unit: 'ms',
      rotor: median(times.rotor),
      floor: median(times.raw),
      target: '≤ 4× raw insert',
    });
    figures.push({ ...item, met: (item.ratio ?? Infinity) <= 4 });
  }
  return { figures, details };
}
