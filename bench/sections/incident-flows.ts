/**
 * (6) The flows people judge under an incident, against moto: `/rotate` → the modal filled in
 * (`views.update` received at the fake Web API) with 20 rotations in progress, and the `/revoke`
 * confirmation → the status message posted in the incident channel. Timed end to end from the
 * signed request leaving to the Web API call arriving here (the fake runs in this process), and
 * given against bare Bolt's ack p99 of the same requests, measured in the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cliActor, slackActor } from '../../src/access/actor.js';
import { parsePolicy } from '../../src/config/policy.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/logging/logger.js';
import { createProviderRegistryFromEnv } from '../../src/providers/provider-factory.js';
import { createRuntime } from '../../src/runtime.js';
import { COMMANDS, FORM_VALUE_ACTION, REVOKE_BLOCKS } from '../../src/slack/ids.js';
import { openDatabase } from '../../src/storage/database.js';
import { slashCommand, stateValue, submittedView, viewSubmission, type PayloadContext } from '../../test/support/slack-payloads.js';
import { encodeSlackBody, generateSlackCredentials, signSlackBody, type SlackBody } from '../../test/support/slack-signing.js';
import { LeanFakeSlack } from '../support/lean-fake-slack.js';
import { runLoad } from '../support/load.js';
import { figure, percentile, type Figure } from '../support/report.js';
import { Child } from './ack-latency.js';

export interface FlowOptions {
  dir: string;
  /** Rotations left in progress while the modal is timed. */
  rotations: number;
  /** `/rotate` requests timed, `concurrency` at a time. */
  rotateRequests: number;
  concurrency: number;
  /** Secrets revoked, one after another. */
  revocations: number;
}

const OWNER = 'U0BENCHOWNER';
const RESPONDER = 'U0ONCALL';
const INCIDENT_CHANNEL = 'C0INCIDENT';
const POLICY = `
environments: [prod, staging, dev]
channels:
  announce: C0ANNOUNCE
  incident: [${INCIDENT_CHANNEL}]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
  responders: [${RESPONDER}]
`;

export async function flowsSection(options: FlowOptions): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const moto = await startMoto();
  const awsEnv = {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: `bench${randomBytes(4).toString('hex')}`,
    AWS_SECRET_ACCESS_KEY: randomBytes(12).toString('hex'),
  };
  const observed = new Observer();
  const fake = new LeanFakeSlack({ observe: (call) => observed.see(call) });
  const fakePort = await fake.start();
  let rotor: Child | null = null;
  let bolt: Child | null = null;
  try {
    const names = await seed(options, awsEnv, moto.endpoint);
    const credentials = generateSlackCredentials();
    const env = {
      ...awsEnv,
      BENCH_BOT_TOKEN: credentials.botToken,
      BENCH_SIGNING_SECRET: credentials.signingSecret,
      BENCH_API_URL: fake.apiUrl,
      BENCH_DB: `${options.dir}/flows.db`,
      BENCH_CONFIG: `${options.dir}/flows-policy.yml`,
    };
    const started = await Promise.all([Child.start('rotor', env), Child.start('bolt', env)]);
    rotor = started[0].child;
    bolt = started[1].child;
    const rotorUrl = `http://127.0.0.1:${started[0].port}/slack/events`;
    const ctx: PayloadContext = { teamId: 'T0BENCH', responseUrl: () => `http://127.0.0.1:${fakePort}/respond/flows` };
    const send = (body: SlackBody) => signedPost(rotorUrl, credentials.signingSecret, body);

    // /rotate → views.update, `concurrency` people at a time on the rotations in progress.
    const rotateBody = (n: number, triggerId: string): SlackBody => ({
      kind: 'form',
      fields: slashCommand(ctx, {
        command: COMMANDS.rotate,
        text: names.rotating[Math.abs(n) % names.rotating.length] as string,
        userId: OWNER,
        triggerId,
      }),
    });
    const modalMs: number[] = [];
    let next = 0;
    const person = async () => {
      while (next < options.rotateRequests) {
        const n = next++;
        const triggerId = `bench-rotate-${n}-${randomBytes(3).toString('hex')}`;
        const filled = observed.modalFilled(triggerId);
        const at = performance.now();
        await send(rotateBody(n, triggerId));
        modalMs.push((await filled) - at);
      }
    };
    // One untimed round first: connections, caches and moto warm.
    for (let n = 0; n < names.rotating.length; n += 1) {
      const triggerId = `bench-warm-${n}`;
      const filled = observed.modalFilled(triggerId);
      await send(rotateBody(n, triggerId));
      await filled;
    }
    const cpuBefore = cpuMsOf(started[0].child);
    await Promise.all(Array.from({ length: options.concurrency }, person));
    // The bot's CPU time per timed request (user + system, all its threads): unlike the wall times, it
    // hardly moves with the machine's load, so it compares runs made minutes apart.
    const rotateCpuMs = (cpuMsOf(started[0].child) - cpuBefore) / options.rotateRequests;
    const boltAck = await runLoad({
      url: `http://127.0.0.1:${started[1].port}/slack/events`,
      signingSecret: credentials.signingSecret,
      concurrency: options.concurrency,
      requests: options.rotateRequests,
      body: (n) => rotateBody(n, `bench-bolt-${n}`),
    });
    const boltP99 = percentile(boltAck.latenciesMs, 99);

    // /revoke → the confirmation modal → submitted → the status message in the incident channel.
    const revokeMs: number[] = [];
    for (const name of names.revoking) {
      const triggerId = `bench-revoke-${randomBytes(3).toString('hex')}`;
      const shown = observed.modalFilled(triggerId);
      await send({
        kind: 'form',
        fields: slashCommand(ctx, {
          command: COMMANDS.revoke,
          text: `${name} leaked in a bench run`,
          userId: RESPONDER,
          channelId: INCIDENT_CHANNEL,
          triggerId,
        }),
      });
      await shown;
      const view = observed.lastView(triggerId);
      const posted = observed.statusPosted(INCIDENT_CHANNEL);
      const at = performance.now();
      const submitted = submittedView(ctx, {
        callbackId: String(view.callback_id ?? ''),
        privateMetadata: String(view.private_metadata ?? ''),
        values: revokeValues(name),
      });
      await send({ kind: 'payload', payload: viewSubmission(ctx, { userId: RESPONDER, view: { ...submitted, id: String(view.id) } }) });
      revokeMs.push((await posted) - at);
    }

    const rotateP99 = percentile(modalMs, 99);
    const revokeP99 = percentile(revokeMs, 99);
    const figures = [
      {
        ...figure({
          section: 'flows',
          label: `\`/rotate\` → modal filled in (\`views.update\` received), p99, ${names.rotating.length} rotations in progress against moto, vs bare Bolt's ack p99`,
          unit: 'ms',
          rotor: rotateP99,
          floor: boltP99,
          target: '< 300 ms',
          note: `${options.rotateRequests} requests, ${options.concurrency} at a time; the bot's CPU ${rotateCpuMs.toFixed(1)} ms a request`,
        }),
        met: rotateP99 < 300,
      } satisfies Figure,
      {
        ...figure({
          section: 'flows',
          label: "`/revoke` confirmation → status message posted in the incident channel, p99, against moto, vs bare Bolt's ack p99",
          unit: 'ms',
          rotor: revokeP99,
          floor: boltP99,
          target: '< 1 s',
          note: `${names.revoking.length} revocations, one after another`,
        }),
        met: revokeP99 < 1000,
      } satisfies Figure,
    ];
    return {
      figures,
      details: {
        rotate: { p50: percentile(modalMs, 50), p99: rotateP99, max: Math.max(...modalMs), cpuMsPerRequest: rotateCpuMs },
        revoke: { p50: percentile(revokeMs, 50), p99: revokeP99, max: Math.max(...revokeMs) },
        boltAck: { p50: percentile(boltAck.latenciesMs, 50), p99: boltP99 },
      },
    };
  } finally {
    await Promise.all([rotor?.stop(), bolt?.stop()]);
    await fake.close();
    await moto.stop();
  }
}

/** CPU time (user + system) a child process has used, from the kernel's count (Linux), in ms. */
function cpuMsOf(child: Child): number {
  const stat = readFileSync(`/proc/${child.process.pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), counted from 3: utime is the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Watches the fake Web API: which modal a trigger opened, its last view, and the incident channel's status posts. */
class Observer {
  private readonly viewOf = new Map<string, string>();
  private readonly triggerOf = new Map<string, string>();
  private readonly views = new Map<string, Record<string, unknown>>();
  private readonly filled = new Map<string, (at: number) => void>();
  private readonly posts: { channel: string; resolve: (at: number) => void }[] = [];

  see(call: { method: string; args: Record<string, string>; answer: Record<string, unknown> }): void {
    const at = performance.now();
    if (call.method === 'views.open') {
      const viewId = (call.answer.view as { id: string }).id;
      const trigger = call.args.trigger_id ?? '';
      this.viewOf.set(trigger, viewId);
      this.triggerOf.set(viewId, trigger);
      this.views.set(viewId, { ...parseView(call.args.view), id: viewId });
    } else if (call.method === 'views.update') {
      const viewId = call.args.view_id ?? '';
      this.views.set(viewId, { ...parseView(call.args.view), id: viewId });
      const trigger = this.triggerOf.get(viewId);
      if (trigger === undefined) return;
      this.filled.get(trigger)?.(at);
      this.filled.delete(trigger);
    } else if (call.method === 'chat.postMessage' && !call.args.thread_ts) {
      const index = this.posts.findIndex((post) => post.channel === call.args.channel);
      if (index >= 0) this.posts.splice(index, 1)[0]?.resolve(at);
    }
  }

  /** Resolves with the instant the modal that `triggerId` opens is first updated (filled in). */
  modalFilled(triggerId: string): Promise<number> {
    return bounded(new Promise((resolve) => this.filled.set(triggerId, resolve)), `the modal of ${triggerId} was never filled in`);
  }

  lastView(triggerId: string): Record<string, unknown> {
    const view = this.views.get(this.viewOf.get(triggerId) ?? '');
    if (!view) throw new Error(`no modal was opened for ${triggerId}`);
    return view;
  }

  /** Resolves with the instant the next top-level message to `channel` arrives. */
  statusPosted(channel: string): Promise<number> {
    return bounded(new Promise((resolve) => this.posts.push({ channel, resolve })), `no status message reached ${channel}`);
  }
}

function parseView(raw: string | undefined): Record<string, unknown> {
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([promise, sleep(60_000).then(() => Promise.reject(new Error(what)))]);
}

function revokeValues(name: string) {
  const option = (value: string) => ({ text: { type: 'plain_text' as const, text: value }, value });
  return {
    [REVOKE_BLOCKS.reason]: { [FORM_VALUE_ACTION]: stateValue.text('leaked in a bench run') },
    [REVOKE_BLOCKS.severity]: { [FORM_VALUE_ACTION]: stateValue.select('SEV1') },
    [REVOKE_BLOCKS.ticket]: { [FORM_VALUE_ACTION]: stateValue.text(null) },
    [REVOKE_BLOCKS.order]: { [FORM_VALUE_ACTION]: { type: 'radio_buttons' as const, selected_option: option('replace_then_disable') } },
    [REVOKE_BLOCKS.confirm]: { [FORM_VALUE_ACTION]: stateValue.text(name) },
  };
}

/** The secrets in moto and in the inventory, and the rotations left in progress. */
async function seed(
  options: FlowOptions,
  awsEnv: Record<string, string>,
  endpoint: string,
): Promise<{ rotating: string[]; revoking: string[] }> {
  const sdk = new SecretsManagerClient({
    endpoint,
    region: awsEnv.AWS_REGION,
    credentials: { accessKeyId: awsEnv.AWS_ACCESS_KEY_ID as string, secretAccessKey: awsEnv.AWS_SECRET_ACCESS_KEY as string },
  });
  const rotating = Array.from({ length: options.rotations }, (_, index) => `prod/bench/rotating-${String(index).padStart(3, '0')}`);
  const revoking = Array.from({ length: options.revocations }, (_, index) => `prod/bench/revoking-${String(index).padStart(3, '0')}`);
  for (const name of [...rotating, ...revoking]) {
    await sdk.send(new CreateSecretCommand({ Name: name, SecretString: randomBytes(16).toString('hex') }));
  }
  sdk.destroy();
  const policyPath = `${options.dir}/flows-policy.yml`;
  writeFileSync(policyPath, POLICY);
  const db = openDatabase(`${options.dir}/flows.db`);
  const policy = parsePolicy(POLICY);
  // The rotations start as Rotor starts them, checked against moto (the SDK's chain reads the environment).
  const saved = { ...process.env };
  Object.assign(process.env, awsEnv);
  const providers = createProviderRegistryFromEnv({
    VAULT_ADDR: undefined,
    VAULT_TOKEN: undefined,
    VAULT_NAMESPACE: undefined,
    GOOGLE_OAUTH_ACCESS_TOKEN: undefined,
    GCE_METADATA_HOST: undefined,
    GOOGLE_SECRET_MANAGER_ENDPOINT: undefined,
    ROTOR_FINGERPRINT_KEY: undefined,
  });
  const runtime = createRuntime({ db, clock: systemClock, policy, logger: createLogger('silent'), providers, slack: null });
  const today = systemClock.now().minus({ days: 30 }).toISODate() as string;
  for (const name of [...rotating, ...revoking]) {
    runtime.services.inventoryService.create(
      { name, type: 'database', owner: OWNER, provider: 'aws', providerRef: name, lastRotated: today },
      cliActor('bench'),
      'bench',
    );
  }
  try {
    for (const name of rotating) await runtime.rotation.start(slackActor(OWNER), name, { ticket: 'SEC-1' });
  } finally {
    providers.close();
    db.close();
    for (const key of Object.keys(awsEnv)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
  return { rotating, revoking };
}

async function signedPost(url: string, signingSecret: string, body: SlackBody): Promise<void> {
  const { rawBody, contentType } = encodeSlackBody(body);
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': contentType,
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': signSlackBody(signingSecret, rawBody, timestamp),
    },
    body: rawBody,
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`Rotor answered ${response.status}`);
}

/** moto_server on a free 127.0.0.1 port, once it answers. */
async function startMoto(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const free = (probe.address() as { port: number }).port;
      probe.close(() => resolve(free));
    });
  });
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await (await fetch(`${endpoint}/moto-api/`)).arrayBuffer();
      break;
    } catch {
      if (attempt > 300 || child.exitCode !== null) throw new Error('moto_server did not start (is moto[server] installed?)');
      await sleep(100);
    }
  }
  return {
    endpoint,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
