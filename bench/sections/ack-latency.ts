/**
 * (1) Ack latency under load and (5) resident memory: the real bot and a bare Bolt app, each in
 * its own process on the same HTTPReceiver, hit in alternating rounds with the same signed
 * requests by 100 keep-alive connections. Rotor's replies go to the lean fake's response_url
 * sink; a round counts only once every reply has arrived, so no round inherits another's work.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { ACTION_IDS, COMMANDS } from '../../src/slack/ids.js';
import { encodeListQuery } from '../../src/slack/listeners/commands/secret-list-query.js';
import { openDatabase } from '../../src/storage/database.js';
import { buttonClick, slashCommand, type PayloadContext } from '../../test/support/slack-payloads.js';
import { generateSlackCredentials, type SlackBody } from '../../test/support/slack-signing.js';
import { benchOwner, benchSecretName, seedBotInventory } from '../support/inventory-data.js';
import type { FakeCounts } from '../support/lean-fake-slack.js';
import { runLoad } from '../support/load.js';
import { productionNodeFlags } from '../support/production-flags.js';
import { figure, median, percentile, type Figure } from '../support/report.js';
import type { ChildMessage, ChildMode, ParentMessage } from '../support/server-child.js';

export interface AckOptions {
  dir: string;
  secrets: number;
  concurrency: number;
  requestsPerRound: number;
  rounds: number;
  warmup: number;
  /** One longer round of the first request kind, past what the ack queue holds: acks then go at the pace of the replies. */
  sustainedRequests: number;
  /** How long the bot is left idle before its memory is read again. */
  settleMs: number;
  /** Told one line per load (a round, a warm-up, the sustained round): where the section is, and how it went. */
  progress?: (line: string) => void;
}

const USER = 'U0BENCHUSER';
const PEAK_SAMPLE_MS = 100;

/** A figure whose target is a ratio to its floor. */
function ratioTarget(item: Figure, most: number): Figure {
  return { ...item, target: `≤ ${most}× Bolt`, met: (item.ratio ?? Infinity) <= most };
}
/** Owners of the seeded inventory (seedBotInventory). */
const OWNERS = 500;

/** A signed request kind, how to build request n, and how Rotor's answer reaches Slack (a response_url post, or a modal). */
interface RequestKind {
  label: string;
  build: (ctx: PayloadContext, n: number, responseUrl: string) => SlackBody;
  answer: 'response' | 'views.update';
}

function requestKinds(secrets: number): RequestKind[] {
  return [
    {
      label: '`/secrets overdue`',
      answer: 'response',
      build: (ctx, _n, responseUrl) => ({
        kind: 'form',
        fields: slashCommand(ctx, { command: COMMANDS.secrets, text: 'overdue', userId: USER, responseUrl }),
      }),
    },
    {
      label: '`/secrets show <name>`',
      answer: 'response',
      build: (ctx, n, responseUrl) => ({
        kind: 'form',
        fields: slashCommand(ctx, {
          command: COMMANDS.secrets,
          text: `show ${benchSecretName((n * 7919) % secrets)}`,
          userId: USER,
          responseUrl,
        }),
      }),
    },
    {
      label: '`block_actions` "Show more" click',
      answer: 'response',
      build: (ctx, _n, responseUrl) => ({
        kind: 'payload',
        payload: buttonClick(ctx, {
          actionId: ACTION_IDS.listMore,
          value: encodeListQuery({ kind: 'overdue', offset: 20 }),
          userId: USER,
          responseUrl,
        }),
      }),
    },
    // The owner of secret n opens its rotation: the modal opens at once (views.open), then fills in (views.update).
    {
      label: '`/rotate <name>`',
      answer: 'views.update',
      build: (ctx, n, responseUrl) => {
        const index = (n * 7919) % secrets;
        return {
          kind: 'form',
          fields: slashCommand(ctx, {
            command: COMMANDS.rotate,
            text: benchSecretName(index),
            userId: benchOwner(index % OWNERS),
            responseUrl,
          }),
        };
      },
    },
  ];
}

export class Child {
  private readonly waiters: { resolve: (message: ChildMessage) => void; reject: (error: Error) => void }[] = [];

  private constructor(readonly process: ChildProcess) {
    process.on('message', (message: ChildMessage) => this.waiters.shift()?.resolve(message));
    process.once('exit', (code) => {
      for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`bench child exited (${code})`));
    });
  }

  static async start(mode: ChildMode, env: Record<string, string>): Promise<{ child: Child; port: number }> {
    const script = fileURLToPath(new URL('../support/server-child.js', import.meta.url));
    // Both run with production's Node flags (package.json's start, the Dockerfile's CMD), so the floor is a bare Bolt app
    // started the same way; Rotor then takes any flags asked for here (a profile).
    const extraArgs = [
      ...productionNodeFlags(),
      ...(mode === 'rotor' && process.env.BENCH_ROTOR_NODE_ARGS ? process.env.BENCH_ROTOR_NODE_ARGS.split(' ') : []),
    ];
    // BENCH_CHILD_LOGS=<dir> keeps each child's standard output (Rotor's log lines) in <dir>/<mode>.log.
    const logs = process.env.BENCH_CHILD_LOGS;
    const processHandle = fork(script, [mode], {
      env: { ...process.env, ...env },
      stdio: ['ignore', logs ? openSync(`${logs}/${mode}.log`, 'a') : 'ignore', 'inherit', 'ipc'],
      execArgv: extraArgs,
    });
    const child = new Child(processHandle);
    const ready = await child.next(120_000);
    if (ready.type !== 'ready') throw new Error(`${mode} did not start`);
    return { child, port: ready.port };
  }

  private next(timeoutMs = 10_000): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench child did not answer')), timeoutMs);
      this.waiters.push({
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  async ask<T extends ChildMessage['type']>(message: ParentMessage & { type: T }): Promise<Extract<ChildMessage, { type: T }>> {
    this.process.send(message);
    return (await this.next()) as Extract<ChildMessage, { type: T }>;
  }

  /** Resident set size as the kernel counts it. */
  rssMb(): number {
    const status = readFileSync(`/proc/${this.process.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.send({ type: 'stop' } satisfies ParentMessage);
    await exited;
  }
}

export interface AckResult {
  figures: Figure[];
  memoryFigures: Figure[];
  details: Record<string, unknown>;
}

export async function ackSection(options: AckOptions): Promise<AckResult & { dbPath: string }> {
  const dbPath = `${options.dir}/bot.db`;
  const db = openDatabase(dbPath);
  seedBotInventory(db, { count: options.secrets, overdueEvery: 20, owners: OWNERS, today: DateTime.utc() });
  db.close();

  const credentials = generateSlackCredentials();
  const fake = await Child.start('fake', {});
  const sinkBase = `http://127.0.0.1:${fake.port}`;
  // The person asking reads the whole inventory (a security lead), as before reads were scoped
  // (visibility: restricted, issue 24): the rounds time the same replies as earlier runs, not refusals.
  const policyPath = `${options.dir}/ack-policy.yml`;
  writeFileSync(policyPath, `roles:\n  security_leads: [${USER}]\n`);
  const env = {
    BENCH_BOT_TOKEN: credentials.botToken,
    BENCH_SIGNING_SECRET: credentials.signingSecret,
    BENCH_API_URL: `${sinkBase}/api/`,
    BENCH_DB: dbPath,
    BENCH_CONFIG: policyPath,
  };
  const [rotor, bolt] = await Promise.all([Child.start('rotor', env), Child.start('bolt', env)]);
  // A running bot is scraped: one /metrics read, as Prometheus makes every 15 to 60 s.
  const metrics = await fetch(`http://127.0.0.1:${rotor.port}/metrics`);
  if (!metrics.ok) throw new Error(`/metrics answered ${metrics.status}`);
  await metrics.text();
  await sleep(1000);
  const started = { rotor: rotor.child.rssMb(), bolt: bolt.child.rssMb() };
  // V8 gives back the heap a busy start-up grew only once its memory reducer sees the process idle (20 to 25 s after the work stops, here).
  await sleep(options.settleMs);
  const idle = { rotor: rotor.child.rssMb(), bolt: bolt.child.rssMb() };
  // RSS read after the load misses the top of it: the heap grows while replies are made and V8 gives some back between rounds.
  const peak = { rotor: 0, bolt: 0 };
  const samplePeak = () => {
    peak.rotor = Math.max(peak.rotor, rotor.child.rssMb());
    peak.bolt = Math.max(peak.bolt, bolt.child.rssMb());
  };
  const sampler = setInterval(samplePeak, PEAK_SAMPLE_MS);
  const ctx: PayloadContext = { teamId: 'T0BENCH', responseUrl: () => `${sinkBase}/respond/x` };

  const answersOf = (counts: FakeCounts, answer: RequestKind['answer']) =>
    answer === 'response' ? counts.responses : (counts.calls['views.update'] ?? 0);
  const initial = (await fake.child.ask({ type: 'counts' })).counts;
  const expected: Record<RequestKind['answer'], number> = {
    response: answersOf(initial, 'response'),
    'views.update': answersOf(initial, 'views.update'),
  };
  const drained = async (answer: RequestKind['answer']): Promise<number> => {
    const started = Date.now();
    let atStart: number | null = null;
    for (;;) {
      const counts: FakeCounts = (await fake.child.ask({ type: 'counts' })).counts;
      atStart ??= answersOf(counts, answer);
      if (answersOf(counts, answer) >= expected[answer]) return Date.now() - started;
      // How many came during the wait tells slow replies (still arriving) from lost ones (none coming).
      if (Date.now() - started > 120_000)
        throw new Error(
          `only ${answersOf(counts, answer)} of ${expected[answer]} answers (${answer}) reached the fake Slack, ${answersOf(counts, answer) - atStart} of them during the 120 s wait`,
        );
      await sleep(20);
    }
  };

  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  let sequence = 0;
  // BENCH_ACK_ONLY=show (a word of the label) runs one request kind, e.g. under a profiler.
  const only = process.env.BENCH_ACK_ONLY;
  for (const kind of requestKinds(options.secrets).filter((candidate) => !only || candidate.label.includes(only))) {
    const { build, answer } = kind;
    const load = async (target: 'rotor' | 'bolt', requests: number) => {
      const port = target === 'rotor' ? rotor.port : bolt.port;
      const answered = async () => {
        if (target === 'rotor') expected[answer] += options.concurrency;
        await drained(answer);
      };
      const result = await runLoad({
        url: `http://127.0.0.1:${port}/slack/events`,
        signingSecret: credentials.signingSecret,
        concurrency: options.concurrency,
        requests,
        body: (n) => build(ctx, Math.abs(n), `${sinkBase}/respond/${(sequence += 1)}`),
        afterConnect: answered,
      });
      if (result.failures > 0) throw new Error(`${target}: ${result.failures} requests were not answered 200`);
      let drainMs = 0;
      if (target === 'rotor') {
        expected[answer] += requests;
        drainMs = await drained(answer);
      }
      options.progress?.(
        `${kind.label}: ${target}, ${requests} requests, ack p99 ${percentile(result.latenciesMs, 99).toFixed(1)} ms` +
          (target === 'rotor' ? `, replies all in ${drainMs} ms after the last ack` : ''),
      );
      return { ...result, drainMs };
    };
    await load('rotor', options.warmup);
    await load('bolt', options.warmup);
    const rounds: {
      rotor: { p50: number; p99: number; rps: number; drainMs: number }[];
      bolt: { p50: number; p99: number; rps: number }[];
    } = { rotor: [], bolt: [] };
    for (let round = 0; round < options.rounds; round += 1) {
      for (const target of round % 2 === 0 ? (['rotor', 'bolt'] as const) : (['bolt', 'rotor'] as const)) {
        const result = await load(target, options.requestsPerRound);
        const summary = {
          p50: percentile(result.latenciesMs, 50),
          p99: percentile(result.latenciesMs, 99),
          rps: (result.latenciesMs.length / result.durationMs) * 1000,
          drainMs: result.drainMs,
        };
        if (target === 'rotor') rounds.rotor.push(summary);
        else rounds.bolt.push(summary);
      }
    }
    details[kind.label] = rounds;
    const of = (target: 'rotor' | 'bolt', key: 'p50' | 'p99' | 'rps') => median(rounds[target].map((round) => round[key]));
    const total = options.rounds * options.requestsPerRound;
    figures.push(
      figure({ section: 'ack', label: `ack p50, ${kind.label}`, unit: 'ms', rotor: of('rotor', 'p50'), floor: of('bolt', 'p50') }),
    );
    const p99 = figure({
      section: 'ack',
      label: `ack p99, ${kind.label}`,
      unit: 'ms',
      rotor: of('rotor', 'p99'),
      floor: of('bolt', 'p99'),
      target: '≤ 1.5× Bolt, < 50 ms',
      note: `${total} requests each`,
    });
    figures.push({ ...p99, met: (p99.ratio ?? Infinity) <= 1.5 && (p99.rotor ?? Infinity) < 50 });
    figures.push(
      figure({ section: 'ack', label: `throughput, ${kind.label}`, unit: 'req/s', rotor: of('rotor', 'rps'), floor: of('bolt', 'rps') }),
    );
    // Acks go first; this is how long the replies of a round took to arrive after its last ack (bare Bolt sends none).
    figures.push(
      figure({
        section: 'ack',
        label: `replies all delivered, after the round's last ack, ${kind.label}`,
        unit: 'ms',
        rotor: median(rounds.rotor.map((round) => round.drainMs)),
        floor: null,
      }),
    );
    if (
      options.sustainedRequests > 0 &&
      kind.answer === 'response' &&
      figures.every((existing) => !existing.label.startsWith('ack p99, sustained'))
    ) {
      const sustained = { rotor: await load('rotor', options.sustainedRequests), bolt: await load('bolt', options.sustainedRequests) };
      details[`${kind.label}, sustained`] = {
        rotor: { p99: percentile(sustained.rotor.latenciesMs, 99), drainMs: sustained.rotor.drainMs },
        bolt: { p99: percentile(sustained.bolt.latenciesMs, 99) },
      };
      figures.push(
        ratioTarget(
          figure({
            section: 'ack',
            label: `ack p99, sustained: ${options.sustainedRequests.toLocaleString('en')} requests in one round, ${kind.label}`,
            unit: 'ms',
            rotor: percentile(sustained.rotor.latenciesMs, 99),
            floor: percentile(sustained.bolt.latenciesMs, 99),
            note: 'past the 2,000 requests the ack queue holds; every reply delivered',
          }),
          2,
        ),
      );
    }
  }

  clearInterval(sampler);
  samplePeak();
  const loaded = { rotor: rotor.child.rssMb(), bolt: bolt.child.rssMb() };
  details.rotorMemoryAfterLoad = (await rotor.child.ask({ type: 'memory' })).memory;
  const settle = `${Math.round(options.settleMs / 1000)} s`;
  const flags = productionNodeFlags();
  const flagsNote = `Rotor and bare Bolt both with production's node flags (${flags.length > 0 ? flags.join(' ') : 'none'})`;
  const memoryFigures = [
    ratioTarget(
      figure({
        section: 'memory',
        label: `RSS just after start-up at ${options.secrets.toLocaleString('en')} secrets (the start-up sweep and a /metrics scrape, 1 s before)`,
        unit: 'MB',
        rotor: started.rotor,
        floor: started.bolt,
        note: flagsNote,
      }),
      1.5,
    ),
    figure({
      section: 'memory',
      label: `RSS idle at ${options.secrets.toLocaleString('en')} secrets (${settle} after start-up)`,
      unit: 'MB',
      rotor: idle.rotor,
      floor: idle.bolt,
      target: '< 120 MB',
      met: idle.rotor < 120,
    }),
    ratioTarget(
      figure({ section: 'memory', label: 'RSS right after the ack load', unit: 'MB', rotor: loaded.rotor, floor: loaded.bolt }),
      1.5,
    ),
    ratioTarget(
      figure({
        section: 'memory',
        label: `peak RSS during the ack load (sampled every ${PEAK_SAMPLE_MS} ms)`,
        unit: 'MB',
        rotor: peak.rotor,
        floor: peak.bolt,
      }),
      1.5,
    ),
  ];
  await Promise.all([rotor.child.stop(), bolt.child.stop()]);
  await fake.child.stop();
  return { figures, memoryFigures, details, dbPath };
}
