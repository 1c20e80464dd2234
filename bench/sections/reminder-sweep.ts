/**
 * (2) The reminder sweep against one raw SELECT of the same rows, at several inventory sizes
 * with the same reminders owed. The notifier answers at once, so what is timed is Rotor's own
 * work: candidates, ledger, planner, and one claim → send → mark per reminder.
 */
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { defaultPolicy } from '../../src/config/policy.js';
import { FixedClock } from '../../src/core/clock.js';
import { createReminderSweep } from '../../src/reminders/create-reminder-sweep.js';
import type { ReminderNotifier } from '../../src/reminders/reminder-notifier.js';
import { createServices } from '../../src/services.js';
import { openDatabase } from '../../src/storage/database.js';
import { seedSweepInventory } from '../support/inventory-data.js';
import { figure, median, type Figure } from '../support/report.js';

export interface SweepOptions {
  dir: string;
  sizes: readonly number[];
  /** The size the floor comparison is made at. */
  compareAt: number;
  owing: number;
  rounds: number;
}

const now = DateTime.fromISO('2027-03-01T12:00:00Z', { zone: 'utc' });

function instantNotifier(): ReminderNotifier {
  let ts = 0;
  return {
    lookupPerson: async () => ({ gone: false, tz: 'UTC' }),
    sendDirect: async () => ({ channel: 'D1', ts: String(++ts) }),
    sendInChannel: async () => ({ channel: 'C1', ts: String(++ts) }),
    findDelivered: async () => null,
    announce: async () => ({ channel: 'C1', ts: String(++ts) }),
  };
}

function timed<T>(work: () => T): { ms: number; result: T } {
  const started = performance.now();
  const result = work();
  return { ms: performance.now() - started, result };
}

export async function sweepSection(options: SweepOptions): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const bySize = new Map<number, { raw: number; plan: number; sweep: number; rows: number; sent: number }>();
  for (const size of options.sizes) {
    const db = openDatabase(`${options.dir}/sweep-${size}.db`);
    // One owner per owed reminder: every reminder is its own claim → send → mark (no digests).
    seedSweepInventory(db, { count: size, owing: options.owing, owners: options.owing, today: now });
    db.pragma('wal_checkpoint(TRUNCATE)');
    const services = createServices(db, new FixedClock(now), defaultPolicy);
    const sweep = createReminderSweep(services, instantNotifier());
    const until = now.plus({ days: 31 }).toISODate() as string;
    // The same rows by the same index the sweep uses (the partial index needs `<> 'retired'` spelled out).
    const raw = db.prepare(`SELECT * FROM secrets WHERE next_rotation <= ? AND lifecycle <> 'retired' AND lifecycle = 'active'`);
    const times = { raw: [] as number[], plan: [] as number[], sweep: [] as number[] };
    let rows = 0;
    let sent = 0;
    // Round 0 warms the JIT and the page cache and is not counted.
    for (let round = 0; round <= options.rounds; round += 1) {
      const select = timed(() => raw.all(until));
      const plan = timed(() => sweep.preview(now));
      const started = performance.now();
      const report = await sweep.sweep();
      const sweepMs = performance.now() - started;
      db.exec('DELETE FROM reminder_ledger; DELETE FROM reminder_sweeps;');
      if (round === 0) continue;
      rows = select.result.length;
      sent = report.sent;
      times.raw.push(select.ms);
      times.plan.push(plan.ms);
      times.sweep.push(sweepMs);
    }
    bySize.set(size, { raw: median(times.raw), plan: median(times.plan), sweep: median(times.sweep), rows, sent });
    db.close();
  }
  const at = bySize.get(options.compareAt);
  const smallest = bySize.get(Math.min(...options.sizes));
  const largest = bySize.get(Math.max(...options.sizes));
  if (!at || !smallest || !largest) throw new Error('sweep sizes must include compareAt');
  const sizeLabel = (size: number) => size.toLocaleString('en');
  const owed = `${sizeLabel(options.owing)} owed`;
  const figures: Figure[] = [
    { ...figure({ section: 'sweep', label: `sweep plan (candidates + ledger + planner), ${sizeLabel(options.compareAt)} secrets, ${owed}`, unit: 'ms', rotor: at.plan, floor: at.raw, target: '≤ 3× raw SELECT' }) },
    { ...figure({ section: 'sweep', label: `full sweep (plan + claim → send → mark each), ${sizeLabel(options.compareAt)} secrets`, unit: 'ms', rotor: at.sweep, floor: at.raw, target: '≤ 3× raw SELECT' }) },
    ...options.sizes.map((size) => {
      const entry = bySize.get(size) as { sweep: number; raw: number };
      return figure({ section: 'sweep', label: `full sweep at ${sizeLabel(size)} secrets, ${owed}`, unit: 'ms', rotor: entry.sweep, floor: entry.raw });
    }),
    figure({
      section: 'sweep',
      label: `flatness: full sweep at ${sizeLabel(largest === smallest ? options.compareAt : Math.max(...options.sizes))} vs ${sizeLabel(Math.min(...options.sizes))} secrets`,
      unit: 'ms',
      rotor: largest.sweep,
      floor: smallest.sweep,
      target: 'flat (≤ 1.5×)',
    }),
  ].map((item) => (item.target === undefined ? item : { ...item, met: (item.ratio ?? Infinity) <= (item.target.startsWith('flat') ? 1.5 : 3) }));
  return { figures, details: Object.fromEntries([...bySize].map(([size, entry]) => [size, entry])) };
}
