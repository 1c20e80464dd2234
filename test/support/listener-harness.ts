import { App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import { randomBytes } from 'node:crypto';
import { parsePolicy } from '../../src/config/policy.js';
import { createLogger } from '../../src/logging/logger.js';
import { toBoltLogger } from '../../src/logging/bolt-logger.js';
import { slackServices, type Runtime } from '../../src/runtime.js';
import { answerErrorsWhereAsked, createSlackErrorHandler } from '../../src/slack/errors.js';
import { registerListeners } from '../../src/slack/listeners/index.js';
import { sealViewMetadata } from '../../src/slack/middleware/sealed-view-metadata.js';
import { ViewMetadataSeal } from '../../src/slack/view-metadata-seal.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { fakeSlackRuntime } from './fake-slack-runtime.js';
import { TEST_POLICY } from './slack-app-harness.js';
import { buttonClick, slashCommand, viewSubmission, type PayloadContext } from './slack-payloads.js';
import { openTempStore, type TempStore } from './temp-db.js';

/** What Bolt was acknowledged with: nothing, or the body (a response_action, an ephemeral reply). */
export interface ListenerReply {
  ack: unknown;
  responseUrl: string | null;
}

export interface ListenerHarness {
  fake: FakeSlackApi;
  store: TempStore;
  runtime: Runtime;
  payloads: PayloadContext;
  /** The secret the app seals modals' private_metadata with. */
  signingSecret: string;
  command(command: string, text: string, userId: string, extra?: Partial<Parameters<typeof slashCommand>[1]>): Promise<ListenerReply>;
  click(fields: Parameters<typeof buttonClick>[1]): Promise<ListenerReply>;
  submit(fields: Parameters<typeof viewSubmission>[1]): Promise<ListenerReply>;
  close(): Promise<void>;
}

/** Hands Bolt the events a test gives it: no HTTP, no signature check, no request gate. */
class DirectReceiver implements Receiver {
  private app: App | null = null;
  init(app: App): void {
    this.app = app;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  async deliver(body: Record<string, unknown>): Promise<unknown> {
    let acked: unknown;
    const event: ReceiverEvent = {
      body,
      ack: async (response?: unknown) => {
        acked = response;
      },
    };
    await (this.app as App).processEvent(event);
    return acked;
  }
}

/**
 * The Slack adapter's listeners on a Bolt app and nothing around them (no HTTP server, request
 * gate, request log, workspace guard, jobs or start-up sweeps): for tests of what a command, a
 * click or a submission is routed to and what Slack then receives. The view seal and the one
 * refusal renderer (src/slack/errors.ts) are kept, as the bot composes them (src/slack/app.ts).
 * A test of signatures, retries, acknowledgement timing or metrics uses slack-app-harness.ts.
 */
export async function startListenerHarness(options: { at?: string; policy?: string } = {}): Promise<ListenerHarness> {
  const fake = new FakeSlackApi();
  await fake.start();
  const store = openTempStore({ at: options.at, policy: parsePolicy(options.policy ?? TEST_POLICY) });
  const runtime = fakeSlackRuntime(store, fake);
  const logger = createLogger('silent');
  const signingSecret = randomBytes(16).toString('hex');
  const receiver = new DirectReceiver();
  const app = new App({
    token: ['xoxb', randomBytes(6).toString('hex')].join('-'),
    botId: 'B0ROTOR',
    botUserId: 'U0ROTOR',
    receiver,
    logger: toBoltLogger(logger),
    extendedErrorHandler: true,
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
    convoStore: false,
  });
  sealViewMetadata(app, new ViewMetadataSeal(signingSecret), logger);
  const actions = registerListeners(app, { ...slackServices(runtime), logger });
  const refusals = { modalRenderer: (callbackId: string) => actions.modalRefusalRenderer(callbackId) };
  app.use(answerErrorsWhereAsked(logger, refusals));
  app.error(createSlackErrorHandler(logger, refusals));
  const payloads: PayloadContext = { teamId: fake.teamId, appId: fake.appId, responseUrl: () => fake.newResponseUrl() };
  const deliver = async (body: Record<string, unknown>): Promise<ListenerReply> => {
    const ack = await receiver.deliver(body);
    await runtime.settled();
    return { ack, responseUrl: typeof body.response_url === 'string' ? body.response_url : null };
  };
  return {
    fake,
    store,
    runtime,
    payloads,
    signingSecret,
    command: (command, text, userId, extra = {}) => deliver(slashCommand(payloads, { command, text, userId, ...extra })),
    click: (fields) => deliver(buttonClick(payloads, fields) as unknown as Record<string, unknown>),
    submit: (fields) => deliver(viewSubmission(payloads, fields) as unknown as Record<string, unknown>),
    async close() {
      runtime.close();
      store.close();
      await fake.close();
    },
  };
}
