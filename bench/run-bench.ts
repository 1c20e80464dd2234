/**
 * `npm run bench`: Rotor against its floors in one run, each pair measured in the same run and
 * alternated so machine noise hits both. Prints one Markdown table and writes the same figures
 * (with every round's numbers) to bench/results.json. Data is generated at run time.
 *
 * BENCH_SECTIONS=ack,flows,overdue,sweep,import,delivery,executors runs a subset (results.json is then left alone);
 * `npm run bench -- --only executors` does the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../src/core/project-root.js';
import { ackSection } from './sections/ack-latency.js';
import { importSection } from './sections/import-formats.js';
import { flowsSection } from './sections/incident-flows.js';
import { overduePageSection } from './sections/overdue-page.js';
import { deliverySection } from './sections/reminder-delivery.js';
import { executorSection } from './sections/executors.js';
import { sweepSection } from './sections/reminder-sweep.js';
import { machine, renderTable, writeResults, type Figure } from './support/report.js';

const ALL_SECTIONS = ['ack', 'flows', 'overdue', 'sweep', 'import', 'delivery', 'executors'] as const;
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : process.env.BENCH_SECTIONS;
const chosen = new Set(only ? only.split(',') : ALL_SECTIONS);
const count = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const startedAt = new Date().toISOString();
const started = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'rotor-bench-'));
const figures: Figure[] = [];
const details: Record<string, unknown> = {};
const progress = (line: string) =>
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

try {
  const secrets = count('BENCH_SECRETS', 100_000);
  let botDb: string | undefined;
  let memory: Figure[] = [];
  if (chosen.has('ack') || chosen.has('overdue')) {
    progress(`ack latency: Rotor and bare Bolt at ${secrets} secrets`);
    const ack = await ackSection({
      dir,
      secrets,
      concurrency: count('BENCH_CONCURRENCY', 100),
      requestsPerRound: chosen.has('ack') ? count('BENCH_ACK_REQUESTS', 2000) : 0,
      rounds: chosen.has('ack') ? count('BENCH_ACK_ROUNDS', 3) : 0,
      sustainedRequests: count('BENCH_ACK_SUSTAINED', 6_000),
      settleMs: count('BENCH_SETTLE_MS', 40_000),
      // A whole round: after the idle settle V8 has given the heap back, and the first kind measured regrew it in its rounds (p99 78, 62, 39 ms).
      warmup: chosen.has('ack') ? count('BENCH_ACK_REQUESTS', 2000) : 0,
      progress: (line) => progress(`ack: ${line}`),
    });
    if (chosen.has('ack')) {
      figures.push(...ack.figures);
      memory = ack.memoryFigures;
      details.ack = ack.details;
    }
    botDb = ack.dbPath;
  }
  if (chosen.has('flows')) {
    progress('incident flows: /rotate → modal update with rotations in progress, /revoke → status message, against moto');
    const flows = await flowsSection({
      dir,
      rotations: count('BENCH_FLOW_ROTATIONS', 20),
      rotateRequests: count('BENCH_FLOW_ROTATE_REQUESTS', 200),
      concurrency: count('BENCH_FLOW_CONCURRENCY', 20),
      revocations: count('BENCH_FLOW_REVOCATIONS', 20),
    });
    figures.push(...flows.figures);
    details.flows = flows.details;
  }
  if (chosen.has('sweep')) {
    progress('reminder sweep at 10,000 / 100,000 / 1,000,000 secrets');
    const sweep = await sweepSection({
      dir,
      sizes: [10_000, 100_000, count('BENCH_SWEEP_MAX', 1_000_000)],
      compareAt: 100_000,
      owing: 3_000,
      rounds: count('BENCH_SWEEP_ROUNDS', 5),
    });
    figures.push(...sweep.figures);
    details.sweep = sweep.details;
  }
  if (chosen.has('overdue') && botDb) {
    progress('overdue page');
    const page = overduePageSection({ dbPath: botDb, iterations: 300 });
    figures.push(...page.figures);
    details.overdue = page.details;
  }
  if (chosen.has('import')) {
    progress('import in every format');
    const imports = importSection({ dir, rows: count('BENCH_IMPORT_ROWS', 100_000), rounds: count('BENCH_IMPORT_ROUNDS', 2) });
    figures.push(...imports.figures);
    details.import = imports.details;
  }
  figures.push(...memory);
  if (chosen.has('delivery')) {
    progress('reminder delivery under 429s');
    const delivery = await deliverySection({ dir, reminders: 2_000, owners: 200 });
    figures.push(...delivery.figures);
    details.delivery = delivery.details;
  }
  if (chosen.has('executors')) {
    const rotations = count('BENCH_EXECUTOR_ROTATIONS', 100);
    progress(`executors: ${rotations} PostgreSQL roles rotated automatically (job, approvals, drive), against ALTER ROLE + login with pg`);
    const executors = await executorSection({ dir, rotations });
    figures.push(...executors.figures);
    details.executors = executors.details;
  }
  const durationS = (performance.now() - started) / 1000;
  const host = machine();
  console.log(
    `Rotor bench, ${startedAt.slice(0, 10)}, ${host.cpus} × ${host.model}, ${host.memoryGiB} GiB, Node ${host.node}; ${durationS.toFixed(0)} s`,
  );
  console.log(renderTable(figures));
  if (!only) {
    const path = join(projectRoot, 'bench', 'results.json');
    writeResults(path, { startedAt, durationS, figures, details });
    console.log(`written to ${path}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
