/**
 * The reminder sweep's database work at scale, without Slack: 100,000 secrets, 3,000 of which
 * owe a reminder now. Times candidate selection + planning (preview) and a full sweep whose
 * notifier answers instantly (claims, marks, sweep log). Run: npm run build && node dist/bench/reminders-sweep.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { defaultPolicy } from '../src/config/policy.js';
import { FixedClock } from '../src/core/clock.js';
import { createReminderSweep } from '../src/reminders/create-reminder-sweep.js';
import { ReminderLedgerRepo } from '../src/reminders/reminder-ledger-repo.js';
import type { ReminderNotifier } from '../src/reminders/reminder-notifier.js';
import { rowParams, SECRET_COLUMNS } from '../src/inventory/secret-row.js';
import { createServices } from '../src/services.js';
import { inWriteTransaction, openDatabase } from '../src/storage/database.js';

const TOTAL = 100_000;
const OWING = 3_000;
const OWNERS = 2_000;
const now = DateTime.fromISO('2027-03-01T12:00:00Z', { zone: 'utc' });

const dir = mkdtempSync(join(tmpdir(), 'rotor-bench-'));
const db = openDatabase(join(dir, 'rotor.db'));
const services = createServices(db, new FixedClock(now), defaultPolicy);

// Owing: due in exactly 7 days or 30 days, or due today. The rest: due 60 to 400 days out.
const insert = db.prepare(
  `INSERT INTO secrets (${SECRET_COLUMNS.join(', ')}) VALUES (${SECRET_COLUMNS.map((column) => `@${column}`).join(', ')})`,
);
const stamp = now.toISO() as string;
inWriteTransaction(db, () => {
  for (let index = 0; index < TOTAL; index += 1) {
    const offset = index < OWING ? [7, 30, 0][index % 3]! : 60 + (index % 340);
    insert.run(
      rowParams({
        name: `prod/svc${index}/api_key`,
        environment: 'prod',
        service: `svc${index}`,
        credentialType: 'api_key',
        type: 'api_key',
        description: null,
        owner: `U${String(index % OWNERS).padStart(6, '0')}`,
        backupOwner: null,
        team: null,
        consumers: [],
        access: [],
        breakGlass: false,
        provider: 'manual',
        providerRef: null,
        intervalDays: 90,
        lastRotated: null,
        nextRotation: now.plus({ days: offset }).toISODate() as string,
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
  const cache = db.prepare(`INSERT INTO slack_user_cache (user_id, tz, gone, fetched_at) VALUES (?, 'UTC', 0, ?)`);
  for (let owner = 0; owner < OWNERS; owner += 1) cache.run(`U${String(owner).padStart(6, '0')}`, stamp);
});

let ts = 0;
const instant: ReminderNotifier = {
  lookupPerson: async () => ({ gone: false, tz: 'UTC' }),
  sendDirect: async () => ({ channel: 'D1', ts: String(++ts) }),
  sendInChannel: async () => ({ channel: 'C1', ts: String(++ts) }),
  findDelivered: async () => null,
  postWeeklyDigest: async () => ({ channel: 'C1', ts: String(++ts) }),
  reportNotMine: async () => ({ channel: 'D1', ts: String(++ts) }),
};
// Digests off, so every reminder is its own claim → send → mark.
const sweep = createReminderSweep(services, instant, { digestThreshold: Number.MAX_SAFE_INTEGER, concurrency: 8 });

const selectStart = performance.now();
const candidates = new ReminderLedgerRepo(db).candidates(now.plus({ days: 31 }).toISODate() as string);
const selectMs = performance.now() - selectStart;

const previewStart = performance.now();
const owed = sweep.preview(now);
const previewMs = performance.now() - previewStart;

const sweepStart = performance.now();
const report = await sweep.sweep();
const sweepMs = performance.now() - sweepStart;

const againStart = performance.now();
const again = await sweep.sweep();
const againMs = performance.now() - againStart;

console.log(`secrets: ${TOTAL}, owing now: ${owed.length}`);
console.log(`select candidates (${candidates.length}) with their ledger rows: ${selectMs.toFixed(0)} ms`);
console.log(`plan (select candidates + ledger + planner): ${previewMs.toFixed(0)} ms`);
console.log(`sweep (plan + ${report.sent} claims, sends to an instant notifier, marks): ${sweepMs.toFixed(0)} ms`);
console.log(`second sweep (nothing owed: ${again.sent} sent): ${againMs.toFixed(0)} ms`);
db.close();
rmSync(dir, { recursive: true, force: true });
