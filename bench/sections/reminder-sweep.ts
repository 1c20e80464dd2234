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
    postWeeklyDigest: async () => ({ channel: 'C1', ts: String(++ts) }),
    reportNotMine: async () => ({ channel: 'D1', ts: String(++ts) }),
  };
}

function timed<T>(work: () => T): { ms: number; result: T } {
  const started = performance.now();
  const result = work();
  return { ms: performance.now() - started, result };
}

export async function sweepSection(options: SweepOptions): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const until = now.plus({ days: 31 }).toISODate() as string;
  const stores = options.sizes.map((size) => {
    const db = openDatabase(`${options.dir}/sweep-${size}.db`);
    // One owner per owed reminder: every reminder is its own claim → send → mark (no digests).
    seedSweepInventory(db, { count: size, owing: options.owing, owners: options.owing, today: now });
    db.pragma('wal_checkpoint(TRUNCATE)');
    const services = createServices(db, new FixedClock(now), defaultPolicy);
    // The same rows by the same index the sweep uses (the partial index needs `<> 'retired'` spelled out).
    const raw = db.prepare(`SELECT * FROM secrets WHERE next_rotation <= ? AND lifecycle <> 'retired' AND lifecycle = 'active'`);
    // The exactly-once protocol at its floor: the same SELECT, then per row one raw claim and one raw mark, each its own write transaction.
    const claim = db.prepare(
      `INSERT INTO reminder_ledger (secret_id, cycle, kind, recipient, level, state, claim_token, claimed_at) VALUES (?, ?, 'due', ?, 'owner', 'claimed', 't', ?)`,
    );
    const mark = db.prepare(
      `UPDATE reminder_ledger SET state = 'sent', channel = 'D1', message_ts = '1', sent_at = ? WHERE secret_id = ? AND cycle = ? AND kind = 'due' AND claim_token = 't' AND state = 'claimed'`,
    );
    const protocol = () => {
      const stamp = now.toISO() as string;
      for (const row of raw.all(until) as { id: number; next_rotation: string; owner: string }[]) {
        db.transaction(() => claim.run(row.id, row.next_rotation, row.owner, stamp)).immediate();
        db.transaction(() => mark.run(stamp, row.id, row.next_rotation)).immediate();
      }
    };
    return {
      size,
      db,
      raw,
      protocol,
      sweep: createReminderSweep(services, instantNotifier()),
      times: { raw: [] as number[], plan: [] as number[], sweep: [] as number[], protocol: [] as number[] },
      rows: 0,
      sent: 0,
    };
  });
  // Every round visits every size, in a rotating order, so machine noise spreads over all of
  // them; round 0 warms the JIT and the page caches and is not counted.
  for (let round = 0; round <= options.rounds; round += 1) {
    for (let turn = 0; turn < stores.length; turn += 1) {
      const store = stores[(round + turn) % stores.length] as (typeof stores)[number];
      const select = timed(() => store.raw.all(until));
      const plan = timed(() => store.sweep.preview(now));
      const started = performance.now();
      const report = await store.sweep.sweep();
      const sweepMs = performance.now() - started;
      store.db.exec('DELETE FROM reminder_ledger; DELETE FROM reminder_sweeps;');
      const protocol = timed(store.protocol);
      store.db.exec('DELETE FROM reminder_ledger;');
      if (round === 0) continue;
      store.rows = select.result.length;
      store.sent = report.sent;
      store.times.raw.push(select.ms);
      store.times.plan.push(plan.ms);
      store.times.sweep.push(sweepMs);
      store.times.protocol.push(protocol.ms);
    }
  }
  const bySize = new Map(
    stores.map((store) => [
      store.size,
      {
        raw: median(store.times.raw),
        plan: median(store.times.plan),
        sweep: median(store.times.sweep),
        protocol: median(store.times.protocol),
        rows: store.rows,
        sent: store.sent,
      },
    ]),
  );
  for (const store of stores) store.db.close();
  const at = bySize.get(options.compareAt);
  const smallest = bySize.get(Math.min(...options.sizes));
  const largest = bySize.get(Math.max(...options.sizes));
  if (!at || !smallest || !largest) throw new Error('sweep sizes must include compareAt');
  const sizeLabel = (size: number) => size.toLocaleString('en');
  const owed = `${sizeLabel(options.owing)} owed`;
  const figures: Figure[] = [
    {
      ...figure({
        section: 'sweep',
        label: `sweep plan (candidates + ledger + planner), ${sizeLabel(options.compareAt)} secrets, ${owed}`,
        unit: 'ms',
        rotor: at.plan,
        floor: at.raw,
        target: '≤ 3× raw SELECT',
      }),
    },
    {
      ...figure({
        section: 'sweep',
        label: `full sweep (plan + claim → send → mark each), ${sizeLabel(options.compareAt)} secrets`,
        unit: 'ms',
        rotor: at.sweep,
        floor: at.raw,
        target: '≤ 3× raw SELECT',
      }),
    },
    figure({
      section: 'sweep',
      label: `full sweep vs its write floor (the SELECT + ${sizeLabel(options.owing)} raw claim and mark transactions)`,
      unit: 'ms',
      rotor: at.sweep,
      floor: at.protocol,
    }),
    ...options.sizes.map((size) => {
      const entry = bySize.get(size) as { sweep: number; raw: number };
      return figure({
        section: 'sweep',
        label: `full sweep at ${sizeLabel(size)} secrets, ${owed}`,
        unit: 'ms',
        rotor: entry.sweep,
        floor: entry.raw,
      });
    }),
    figure({
      section: 'sweep',
      label: `flatness: full sweep at ${sizeLabel(largest === smallest ? options.compareAt : Math.max(...options.sizes))} vs ${sizeLabel(Math.min(...options.sizes))} secrets`,
      unit: 'ms',
      rotor: largest.sweep,
      floor: smallest.sweep,
      target: 'flat (≤ 1.5×)',
    }),
  ].map((item) =>
    item.target === undefined ? item : { ...item, met: (item.ratio ?? Infinity) <= (item.target.startsWith('flat') ? 1.5 : 3) },
  );
  return { figures, details: Object.fromEntries([...bySize].map(([size, entry]) => [size, entry])) };
}
