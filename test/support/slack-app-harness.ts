import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AuditTrailRepo } from '../../src/audit/audit-trail-repo.js';
import { verifyTablesAgainstChain } from '../../src/audit/chain-checks.js';
import { InventoryRepo } from '../../src/inventory/inventory-repo.js';
import { IncidentRepo } from '../../src/revocation/incident-repo.js';
import { RotationRepo } from '../../src/rotation/rotation-repo.js';
import { parsePolicy } from '../../src/config/policy.js';
import { loadBotEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/logging/logger.js';
import { startRotor, type RotorRuntime, type StartOptions } from '../../src/main.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { appHomeOpened, buttonClick, slashCommand, viewSubmission, type PayloadContext } from './slack-payloads.js';
import {
  generateSlackCredentials,
  postSignedToSlackApp,
  type SignedPostOptions,
  type SlackBody,
  type SlackHttpReply,
} from './slack-signing.js';
import { openTempStore, type TempStore } from './temp-db.js';

export const TEST_POLICY = `
environments: [prod, staging, dev]
channels:
  incident: [C0INCIDENT]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
  responders: [U0SEC, U0ONCALL]
  team_leads: { payments: U0PAYLEAD }
`;

export interface SlackHarness {
  fake: FakeSlackApi;
  /** The same database file the app uses, opened separately for seeding and snapshots. */
  store: TempStore;
  runtime: RotorRuntime;
  baseUrl: string;
  eventsUrl: string;
  signingSecret: string;
  payloads: PayloadContext;
  /** Every JSON log line the app wrote. */
  logLines: Record<string, unknown>[];
  rawLog: () => string;
  /** Resolves with the first log line (already written or still to come) that matches. */
  waitForLog(matches: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  post(body: SlackBody, options?: Partial<SignedPostOptions>): Promise<SlackHttpReply>;
  command(
    command: string,
    text: string,
    userId: string,
    extra?: Partial<Parameters<typeof slashCommand>[1]>,
  ): Promise<SlackHttpReply & { responseUrl: string }>;
  click(fields: Parameters<typeof buttonClick>[1]): Promise<SlackHttpReply & { responseUrl: string }>;
  submit(fields: Parameters<typeof viewSubmission>[1]): Promise<SlackHttpReply>;
  openHome(userId: string, eventId?: string, options?: Partial<SignedPostOptions>): Promise<SlackHttpReply>;
  /** Resolves once `count` more requests than before `send` have been handled to the end (ack and the work after it). */
  untilHandled<T>(send: () => Promise<T>, count?: number): Promise<T>;
  /**
   * Stops the bot (as a deploy would) and starts a new one on the same database file, the same
   * fake Slack and the same clock; the log starts afresh. `runtime`, `baseUrl` and `eventsUrl` change.
   */
  restart(): Promise<void>;
  /**
   * Stops the bot, runs `meanwhile` (another process on the same database: see
   * test/support/rotor-child.ts), then starts the bot again as `restart` does.
   */
  stopFor<T>(meanwhile: () => Promise<T>): Promise<T>;
  /** The environment the bot runs with (Slack credentials, database, policy, keys, crons), for a bot in another process. */
  botEnv: Record<string, string>;
  /**
   * Set by a test that edits the database behind Rotor's back (SQL on the tables): `close` then
   * skips its check that the rotation, incident and inventory tables agree with the audit chain.
   */
  tablesEditedByTest: boolean;
  /** Stops everything; unless `tablesEditedByTest`, fails when `rotor audit verify --deep` would find a difference. */
  close(): Promise<void>;
}

/**
 * The real Rotor (startRotor, the same composition as `npm start`) in HTTP mode on a random
 * 127.0.0.1 port, its Web API client pointed at a fake Slack, on a real migrated SQLite file.
 */
export async function startSlackHarness(
  options: {
    at?: string;
    policy?: string;
    env?: Record<string, string>;
    /** Seeds the database and the fake before the bot starts (awaited). */
    beforeStart?: (seed: { fake: FakeSlackApi; store: TempStore }) => unknown;
    /** The stores the bot uses, made afresh for each start (stopping the bot closes them); by default from the environment. */
    providers?: () => NonNullable<StartOptions['providers']>;
    /** How long a call at a credential target may take (a test that waits out a lock shortens it). */
    targetTimeouts?: StartOptions['targetTimeouts'];
  } = {},
): Promise<SlackHarness> {
  const fake = new FakeSlackApi();
  await fake.start();
  const policyText = options.policy ?? TEST_POLICY;
  const store = openTempStore({ at: options.at, policy: parsePolicy(policyText) });
  await options.beforeStart?.({ fake, store });
  const policyPath = join(store.dir, 'policy.yml');
  writeFileSync(policyPath, policyText);
  const credentials = generateSlackCredentials();
  const botEnv: Record<string, string> = {
    SLACK_BOT_TOKEN: credentials.botToken,
    SLACK_SIGNING_SECRET: credentials.signingSecret,
    SLACK_API_URL: fake.apiUrl,
    ROTOR_DB: store.path,
    ROTOR_CONFIG: policyPath,
    LOG_LEVEL: 'debug',
    // Only the start-up sweep runs: a wall-clock tick (every 15 min by default) landing inside a
    // test would send reminders the test did not ask for.
    ROTOR_REMINDER_CRON: '0 0 29 2 *',
    ROTOR_FOLLOW_UP_CRON: '0 0 29 2 *',
    ...options.env,
  };
  const env = loadBotEnv(botEnv);
  let log = '';
  let parsed: Record<string, unknown>[] = [];
  let pending = '';
  const written = new EventEmitter();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      log += text;
      // Parsed as written, once: a debug log is long, and waiters look at it after every line.
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') parsed.push(JSON.parse(line) as Record<string, unknown>);
      written.emit('line');
      done();
    },
  });
  const parsedLines = () => parsed;
  const start = () =>
    startRotor(
      { ...env, PORT: 0 },
      {
        logger: createLogger('debug', sink),
        clock: store.clock,
        host: '127.0.0.1',
        retryConfig: { retries: 2, factor: 1, minTimeout: 0, maxTimeout: 10 },
        ...(options.providers ? { providers: options.providers() } : {}),
        targetTimeouts: options.targetTimeouts,
      },
    );
  const runtime = await start();
  const baseUrl = `http://127.0.0.1:${runtime.port}`;
  const eventsUrl = `${baseUrl}/slack/events`;
  const payloads: PayloadContext = { teamId: fake.teamId, appId: fake.appId, responseUrl: () => fake.newResponseUrl() };
  const post = (body: SlackBody, postOptions: Partial<SignedPostOptions> = {}) =>
    postSignedToSlackApp(harness.eventsUrl, body, { signingSecret: credentials.signingSecret, ...postOptions });
  const handledCount = () => parsed.reduce((count, line) => count + (line.msg === 'slack request handled' ? 1 : 0), 0);
  const startupSweeps = async () => {
    await harness.waitForLog((line) => line.job === 'reminder-sweep');
    await harness.waitForLog((line) => line.job === 'follow-up-sweep');
  };

  const harness: SlackHarness = {
    fake,
    store,
    runtime,
    baseUrl,
    eventsUrl,
    signingSecret: credentials.signingSecret,
    payloads,
    get logLines() {
      return [...parsedLines()];
    },
    rawLog: () => log,
    waitForLog(matches, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = parsedLines().find(matches);
          if (!line) return;
          written.off('line', check);
          clearTimeout(timer);
          resolve(line);
        };
        const timer = setTimeout(() => {
          written.off('line', check);
          reject(new Error('Timed out waiting for a log line'));
        }, timeoutMs);
        written.on('line', check);
        check();
      });
    },
    post,
    async command(command, text, userId, extra = {}) {
      const body = slashCommand(payloads, { command, text, userId, ...extra });
      const reply = await post({ kind: 'form', fields: body });
      return { ...reply, responseUrl: body.response_url };
    },
    async click(fields) {
      const body = buttonClick(payloads, fields);
      const reply = await post({ kind: 'payload', payload: body });
      return { ...reply, responseUrl: body.response_url };
    },
    submit: (fields) => post({ kind: 'payload', payload: viewSubmission(payloads, fields) }),
    openHome: (userId, eventId, postOptions) => post({ kind: 'json', json: appHomeOpened(payloads, { userId, eventId }) }, postOptions),
    async untilHandled(send, count = 1) {
      const target = handledCount() + count;
      const result = await send();
      await harness.waitForLog(() => handledCount() >= target, 10_000);
      return result;
    },
    async restart() {
      await harness.stopFor(() => Promise.resolve());
    },
    async stopFor(meanwhile) {
      await harness.runtime.stop();
      const result = await meanwhile();
      log = '';
      parsed = [];
      pending = '';
      const next = await start();
      harness.runtime = next;
      harness.baseUrl = `http://127.0.0.1:${next.port}`;
      harness.eventsUrl = `${harness.baseUrl}/slack/events`;
      await startupSweeps();
      return result;
    },
    botEnv,
    tablesEditedByTest: false,
    async close() {
      await harness.runtime.stop();
      try {
        // Every flow a test drives must leave tables the chain explains: what --deep and the evidence check.
        // (A second close finds the database already closed: nothing more to check.)
        if (!harness.tablesEditedByTest && store.db.open) expectTablesMatchChain(store);
      } finally {
        await fake.close();
        store.close();
      }
    },
  };
  // The start-up sweeps run in the background; tests begin once they are over, so what they send
  // (a seeded reminder) is in place and nothing they do races the test's own calls.
  await startupSweeps();
  return harness;
}

/** The response_url's id part, to match recorded posts to the request that made them. */
export function responseIdOf(responseUrl: string): string {
  return responseUrl.slice(responseUrl.lastIndexOf('/') + 1);
}

/** What `rotor audit verify --deep` finds, as a test failure naming each difference. */
function expectTablesMatchChain(store: TempStore): void {
  const report = verifyTablesAgainstChain({
    trail: new AuditTrailRepo(store.db),
    rotations: new RotationRepo(store.db),
    incidents: new IncidentRepo(store.db),
    inventory: new InventoryRepo(store.db),
  });
  if (report.differences.length > 0) {
    throw new Error(
      `The tables differ from the audit chain (rotor audit verify --deep):\n${report.differences.map((difference) => JSON.stringify(difference)).join('\n')}`,
    );
  }
}
