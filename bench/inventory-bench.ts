/**
 * Imports a generated inventory of 100,000 secrets and times the queries the bot and the CLI
 * run most. Prints numbers; asserts nothing. Run with `npm run bench:inventory`.
 */
import { cliActor } from '../src/access/actor.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { defaultPolicy } from '../src/config/policy.js';
import { FixedClock } from '../src/core/clock.js';
import { projectRoot } from '../src/core/project-root.js';
import { importFile } from '../src/import-export/import-service.js';
import { createServices } from '../src/services.js';
import { openDatabase } from '../src/storage/database.js';

const COUNT = Number(process.env.BENCH_SECRETS ?? 100_000);
const TODAY = DateTime.fromISO('2026-11-22T10:00:00Z', { zone: 'utc' });
const TYPES = ['database', 'api_key', 'jwt', 'redis', 'webhook', 'smtp', 'storage', 'observability'];
const ENVIRONMENTS = ['prod', 'staging', 'dev'];

/** Deterministic spread: about 3% overdue, the rest rotated at some point in the last interval. */
function generateCsv(path: string): void {
  const lines = ['name,type,owner,backup_owner,team,interval_days,last_rotated'];
  for (let index = 0; index < COUNT; index += 1) {
    const environment = ENVIRONMENTS[index % 3] as string;
    const interval = [30, 60, 90, 180][index % 4] as number;
    const age = index % 33 === 0 ? interval + (index % 20) : (index * 7919) % interval;
    const lastRotated = TODAY.minus({ days: age }).toISODate();
    const owner = `U${String(1000 + (index % 500)).padStart(8, '0')}`;
    lines.push(
      `${environment}/service-${index}/credential,${TYPES[index % TYPES.length]},${owner},,team-${index % 40},${interval},${lastRotated}`,
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function time<T>(label: string, work: () => T): T {
  const start = performance.now();
  const result = work();
  console.log(`${label.padEnd(44)} ${(performance.now() - start).toFixed(1).padStart(9)} ms`);
  return result;
}

const dir = mkdtempSync(join(tmpdir(), 'rotor-bench-'));
try {
  const csv = join(dir, 'inventory.csv');
  const dbPath = join(dir, 'rotor.db');
  generateCsv(csv);
  console.log(`inventory: ${COUNT} secrets, CSV ${(statSync(csv).size / 1024 / 1024).toFixed(1)} MiB`);
  const db = openDatabase(dbPath);
  const services = createServices(db, new FixedClock(TODAY), defaultPolicy);
  time('import (parse, validate, write, audit)', () => importFile(csv, services, { actor: cliActor('bench'), source: 'bench' }));
  time('re-import (nothing changes)', () => importFile(csv, services, { actor: cliActor('bench'), source: 'bench' }));
  const overdue = time('overdue query', () => services.inventory.overdue(TODAY));
  time('overdue count', () => services.inventory.countOverdue(TODAY));
  const due = time('due within 30 days query', () => services.inventory.dueWithin(30, TODAY));
  time('show one (get by name)', () => services.inventory.get('prod/service-99999/credential'));
  time('status counts (metrics)', () => services.inventory.statusCounts(TODAY, 30));
  console.log(`overdue: ${overdue.length} secrets, due within 30 days: ${due.length}`);
  db.close();
  const cli = join(projectRoot, 'dist', 'src', 'cli.js');
  const start = performance.now();
  const output = execFileSync(process.execPath, [cli, 'overdue', '--json', '--at', TODAY.toISODate() as string], {
    env: { ...process.env, ROTOR_DB: dbPath },
    maxBuffer: 1 << 30,
  });
  console.log(
    `${'`rotor overdue --json` (whole process)'.padEnd(44)} ${(performance.now() - start).toFixed(1).padStart(9)} ms  (${(output.length / 1024).toFixed(0)} KiB of JSON)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
