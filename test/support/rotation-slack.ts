import type { FakeSlackApi } from '../fakes/fake-slack-api.js';
import type { TargetTimeouts } from '../../src/targets/target-timeouts.js';
import type { ModalView } from '@slack/types';
import type { BlockAction, ViewOutput } from '@slack/bolt';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  ACTION_IDS,
  CALLBACK_IDS,
  decodeRotationMetadata,
  FORM_VALUE_ACTION,
  ROTATION_BLOCKS,
  type RotationMetadata,
} from '../../src/slack/ids.js';
import type { RotationRecord } from '../../src/rotation/rotation.js';
import { RotationRepo } from '../../src/rotation/rotation-repo.js';
import type { RecordedCall } from '../fakes/fake-slack-api.js';
import { join } from 'node:path';
import type { GoogleSecretManagerProvider } from '../../src/providers/google-secret-manager/google-secret-manager-provider.js';
import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { operator } from './actors.js';
import type { MotoSuite } from './moto.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { storeCatalogFor } from '../../src/providers/store-catalog.js';
import type { SecretProvider } from '../../src/providers/secret-provider.js';
import type { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { runRotor, type CliResult } from './cli.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from './slack-app-harness.js';
import type { TempStore } from './temp-db.js';
import { unsealed } from './sealed-metadata.js';
import { stateValue, submittedView } from './slack-payloads.js';
import { daysAgo } from './clock-dates.js';

/**
 * Driving the rotation modal as a person in Slack would: what Slack shows is what Rotor last
 * sent for that view (views.open, then views.update with its view_id), and a click or a
 * submission carries that view back, private_metadata and all. Every helper waits until the
 * bot has handled the request to the end (the work after the ack included).
 */

export interface ButtonSeen {
  actionId: string;
  text: string;
  value: string;
}

/** The calls made to `method` since the call count was `since`. */
export function callsSince(harness: SlackHarness, method: string, since: number): RecordedCall[] {
  return harness.fake.calls.slice(since).filter((call) => call.method === method);
}

/** What Slack shows in the modal `viewId` now: the last view Rotor sent for it. */
export function modal(harness: SlackHarness, viewId: string): ModalView {
  const updates = harness.fake.callsTo('views.update').filter((call) => call.args.view_id === viewId);
  const last = updates.at(-1);
  if (!last) throw new Error(`Rotor never updated the view ${viewId}`);
  return last.args.view as ModalView;
}

export function metadataOf(view: ModalView): RotationMetadata {
  return decodeRotationMetadata(unsealed(view.private_metadata ?? ''));
}

export function textOf(view: { blocks: unknown[] } | ModalView): string {
  return JSON.stringify(view.blocks);
}

/** Every button of a surface, in order. */
export function buttonsOf(view: { blocks: unknown[] }): ButtonSeen[] {
  const found: ButtonSeen[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'button')
      found.push({ actionId: String(record.action_id), text: (record.text as { text: string }).text, value: String(record.value ?? '') });
    for (const value of Object.values(record)) walk(value);
  };
  walk(view.blocks);
  return found;
}

export function button(view: { blocks: unknown[] }, actionId: string): ButtonSeen | undefined {
  return buttonsOf(view).find((candidate) => candidate.actionId === actionId);
}

/** The view as Slack echoes it in a click or a submission. */
export function echoed(harness: SlackHarness, viewId: string, view: ModalView, values: ViewOutput['state']['values'] = {}): ViewOutput {
  return {
    ...submittedView(harness.payloads, { callbackId: view.callback_id ?? '', privateMetadata: view.private_metadata ?? '', values }),
    id: viewId,
    hash: `${Date.now()}.${randomBytes(3).toString('hex')}`,
  };
}

/** `/rotate <text>` by `userId`; the modal it opened (or null when it was answered in the channel) and the channel reply. */
export async function slashRotate(
  harness: SlackHarness,
  userId: string,
  text: string,
): Promise<{ viewId: string | null; reply: Record<string, unknown> | null }> {
  const since = harness.fake.calls.length;
  const responsesBefore = harness.fake.responses.length;
  const { responseUrl } = await harness.untilHandled(() => harness.command('/rotate', text, userId));
  const update = callsSince(harness, 'views.update', since)[0];
  const mine = (response: { id: string }) => response.id === responseIdOf(responseUrl);
  let reply = harness.fake.responses.slice(responsesBefore).find(mine);
  // A refusal thrown by the listener reaches the response_url through the error handler, just after the request ends.
  if (!update && !reply) reply = await harness.fake.waitForResponse(mine, 2_000);
  return { viewId: update ? String(update.args.view_id) : null, reply: reply?.body ?? null };
}

/** The block_actions payload of a click on `actionId` in the modal, as it stands (or as `view` showed it). */
export function modalClickPayload(
  harness: SlackHarness,
  userId: string,
  viewId: string,
  actionId: string,
  value: string,
  view = modal(harness, viewId),
) {
  return {
    type: 'block_actions',
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'b1',
        value,
        text: { type: 'plain_text', text: 'button' },
        action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
      },
    ],
    team: { id: harness.payloads.teamId, domain: 'rotor-test' },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: harness.payloads.teamId },
    view: echoed(harness, viewId, view),
    container: { type: 'view', view_id: viewId },
    token: randomBytes(12).toString('hex'),
    trigger_id: `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`,
    api_app_id: 'A0ROTOR',
    // A click inside a modal comes without a response_url: there is no message to answer.
  } satisfies Omit<BlockAction, 'response_url'>;
}

/** Clicks a button of the modal as it stands now (or as `view` showed it, for a stale tab). */
export async function clickInModal(
  harness: SlackHarness,
  userId: string,
  viewId: string,
  actionId: string,
  value: string,
  view?: ModalView,
): Promise<void> {
  await harness.untilHandled(() =>
    harness.post({ kind: 'payload', payload: modalClickPayload(harness, userId, viewId, actionId, value, view) }),
  );
}

/** Clicks the modal's button `actionId` (the current step's, when it is a step button); fails when the modal has none. */
export async function press(harness: SlackHarness, userId: string, viewId: string, actionId: string): Promise<void> {
  const found = button(modal(harness, viewId), actionId);
  expect(found, `the modal has a ${actionId} button`).toBeDefined();
  await clickInModal(harness, userId, viewId, actionId, (found as ButtonSeen).value);
}

/** Submits the start form with a change ticket; the ack (errors or update) and what the modal shows after. */
export async function submitTicket(
  harness: SlackHarness,
  userId: string,
  viewId: string,
  ticket: string,
  view = modal(harness, viewId),
): Promise<Record<string, unknown>> {
  const submitted = echoed(harness, viewId, view, { [ROTATION_BLOCKS.ticket]: { [FORM_VALUE_ACTION]: stateValue.text(ticket) } });
  const reply = await harness.untilHandled(() => harness.submit({ userId, view: submitted }));
  return reply.json() as Record<string, unknown>;
}

/** The reason / note modal pushed on top of `rootViewId` since call `since`. */
export function pushedSince(harness: SlackHarness, since: number): ModalView {
  const pushed = [...callsSince(harness, 'views.push', since), ...callsSince(harness, 'views.open', since)].at(-1);
  if (!pushed) throw new Error('No modal was pushed or opened');
  return pushed.args.view as ModalView;
}

/** Submits a reason / note modal. */
export async function submitReason(
  harness: SlackHarness,
  userId: string,
  reasonView: ModalView,
  text: string | null,
): Promise<Record<string, unknown> | null> {
  const submitted = echoed(harness, 'V' + randomBytes(4).toString('hex').toUpperCase(), reasonView, {
    [ROTATION_BLOCKS.reason]: { [FORM_VALUE_ACTION]: stateValue.text(text) },
  });
  const reply = await harness.untilHandled(() => harness.submit({ userId, view: submitted }));
  return reply.text === '' ? null : (reply.json() as Record<string, unknown>);
}

/** The ids a rollback form asks to confirm (its checkboxes' option values), in order. */
export function confirmationsOf(view: ModalView): string[] {
  const block = view.blocks.find((candidate) => candidate.block_id === ROTATION_BLOCKS.rollbackConfirmations) as
    | { element?: { options?: { value: string }[] } }
    | undefined;
  return (block?.element?.options ?? []).map((option) => option.value);
}

/** Submits a rollback form with a reason and the confirmations ticked (all it asks for unless told). */
export async function submitRollback(
  harness: SlackHarness,
  userId: string,
  rollbackView: ModalView,
  reason: string | null,
  confirmed: readonly string[] = confirmationsOf(rollbackView),
): Promise<Record<string, unknown> | null> {
  const values: ViewOutput['state']['values'] = { [ROTATION_BLOCKS.reason]: { [FORM_VALUE_ACTION]: stateValue.text(reason) } };
  if (confirmationsOf(rollbackView).length > 0) {
    values[ROTATION_BLOCKS.rollbackConfirmations] = {
      [FORM_VALUE_ACTION]: {
        type: 'checkboxes',
        selected_options: confirmed.map((value) => ({ text: { type: 'plain_text', text: value }, value })),
      },
    };
  }
  const submitted = echoed(harness, 'V' + randomBytes(4).toString('hex').toUpperCase(), rollbackView, values);
  const reply = await harness.untilHandled(() =>
    harness.submit({ userId, view: { ...submitted, blocks: rollbackView.blocks } as ViewOutput }),
  );
  return reply.text === '' ? null : (reply.json() as Record<string, unknown>);
}

/** Presses "Done, with a note…" on the current step and submits the note. */
export async function tickWithNote(harness: SlackHarness, userId: string, viewId: string, note: string): Promise<void> {
  const since = harness.fake.calls.length;
  await press(harness, userId, viewId, ACTION_IDS.rotationNoteStep);
  await submitReason(harness, userId, pushedSince(harness, since), note);
}

/** A rotation as the database holds it now. */
export function rotationRecord(harness: SlackHarness, id: number): RotationRecord {
  const record = new RotationRepo(harness.store.db).get(id);
  if (!record) throw new Error(`No rotation #${id}`);
  return record;
}

/**
 * Resolves once the follow-ups a change kicked off (approval requests, announcements) are done:
 * none is claimed, and none is due and waiting. Snapshots taken after it are not raced by them.
 */
export async function followUpsSettled(harness: SlackHarness): Promise<void> {
  const now = () => harness.store.clock.now().toUTC().toISO() as string;
  for (let waited = 0; waited < 5_000; waited += 20) {
    const busy = harness.store.db
      .prepare(`SELECT count(*) FROM follow_ups WHERE state = 'claimed' OR (state = 'pending' AND due_at <= ?)`)
      .pluck()
      .get(now()) as number;
    if (busy === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('Follow-ups are still running after 5 s');
}

/** DMs Rotor sent to `userId` (chat.postMessage to the user id), oldest first. */
export function dmsTo(harness: SlackHarness, userId: string): RecordedCall[] {
  return harness.fake.callsTo('chat.postMessage').filter((call) => call.args.channel === userId);
}

export function postsTo(harness: SlackHarness, channel: string): RecordedCall[] {
  return harness.fake.callsTo('chat.postMessage').filter((call) => call.args.channel === channel);
}

/** Clicks a button of a message Rotor posted (a DM), with its response_url; the ephemeral reply, if any. */
export async function clickInMessage(
  harness: SlackHarness,
  userId: string,
  message: RecordedCall,
  actionId: string,
): Promise<{ reply: Record<string, unknown> | null; triggerSince: number }> {
  const found = button({ blocks: message.args.blocks as unknown[] }, actionId);
  expect(found, `the message has a ${actionId} button`).toBeDefined();
  const responsesBefore = harness.fake.responses.length;
  const since = harness.fake.calls.length;
  const { responseUrl } = await harness.untilHandled(() =>
    harness.click({ actionId, value: (found as ButtonSeen).value, userId, channelId: 'D' + userId.slice(1) }),
  );
  const reply = harness.fake.responses.slice(responsesBefore).find((response) => response.id === responseIdOf(responseUrl));
  return { reply: reply?.body ?? null, triggerSince: since };
}

/** Resolves once `count` DMs to `userId` whose text matches have been sent. */
export async function waitForDms(harness: SlackHarness, userId: string, matches: RegExp, count = 1): Promise<RecordedCall[]> {
  for (let waited = 0; waited < 5_000; waited += 20) {
    const found = dmsTo(harness, userId).filter((call) => matches.test(String(call.args.text)));
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Timed out waiting for ${count} DM(s) to ${userId} matching ${matches}`);
}

/** Resolves once `count` posts to `channel` whose text matches have been sent. */
export async function waitForPosts(harness: SlackHarness, channel: string, matches = /was rotated/, count = 1): Promise<RecordedCall[]> {
  for (let waited = 0; waited < 5_000; waited += 20) {
    const found = postsTo(harness, channel).filter((call) => matches.test(String(call.args.text)));
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Timed out waiting for a post to ${channel} matching ${matches}`);
}

/** The step whose buttons the modal shows (the current one, for the person holding the rotation), or null. */
export function currentStepOf(view: ModalView): string | null {
  const found = buttonsOf(view).find((candidate) =>
    [ACTION_IDS.rotationRunStep, ACTION_IDS.rotationTickStep, ACTION_IDS.rotationSkipStep].includes(candidate.actionId as never),
  );
  return found?.value ?? null;
}

/** Ticks or runs the current step until the modal's current step is `stopAt` (or none is left), a minute apart. */
export async function driveModal(harness: SlackHarness, userId: string, viewId: string, stopAt: string | null): Promise<void> {
  for (;;) {
    const view = modal(harness, viewId);
    const run = button(view, ACTION_IDS.rotationRunStep);
    const tick = button(view, ACTION_IDS.rotationTickStep);
    const current = run?.value ?? tick?.value;
    if (!current || current === stopAt) return;
    harness.store.clock.advance({ minutes: 1 });
    await press(harness, userId, viewId, run ? ACTION_IDS.rotationRunStep : ACTION_IDS.rotationTickStep);
    expect(textOf(modal(harness, viewId)), `after ${current}`).not.toContain(':warning:');
  }
}

/**
 * The rotation tests' policy: production needs a security lead and a DevOps lead; U0OPS2 is a
 * second DevOps lead, so a DevOps lead can rotate while another approves.
 */
export const ROTATION_POLICY = `
environments: [prod, staging, dev]
channels:
  announce: C0ANNOUNCE
  incident: [C0INCIDENT]
  consumers: { checkout: C0CHECKOUT }
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0OPS, U0OPS2]
retention_hours: 48
`;
/** Everyone the fake Slack knows (users.info answers for them: the preflight finds the approvers). */
export const PEOPLE = ['U0OWNER', 'U0BACKUP', 'U0SEC', 'U0OPS', 'U0OPS2', 'U0ADMIN'];
/** Provider retries that give up quickly. */
export const FAST_RETRY = { attempts: 2, timeoutMs: 3_000, baseDelayMs: 1, maxDelayMs: 2 };

const auditKey = randomBytes(32).toString('hex');

/** The bot on a fixed clock with the rotation policy (or `policy`), a keyed audit chain, the people in Slack, and the given stores; `seed` fills the inventory first. */
export function startRotationHarness(options: {
  aws?: () => AwsSecretsManagerProvider;
  vault?: () => VaultKv2Provider;
  /** Google Secret Manager; the catalog's Google store reads the alias this provider was made with. */
  google?: () => GoogleSecretManagerProvider;
  /** Further stores by kind (`kms`). */
  stores?: () => Record<string, SecretProvider>;
  /** `fake`: the fake Slack, to script its answers before the bot starts. */
  seed: (store: TempStore, fake: FakeSlackApi) => void;
  at?: string;
  policy?: string;
  people?: readonly string[];
  /** How long a call at a credential target may take (a test that waits out a lock shortens it). */
  targetTimeouts?: TargetTimeouts;
}): Promise<SlackHarness> {
  return startSlackHarness({
    targetTimeouts: options.targetTimeouts,
    at: options.at ?? '2027-02-01T10:00:00Z',
    policy: options.policy ?? ROTATION_POLICY,
    env: { ROTOR_AUDIT_KEY: auditKey },
    providers: () => {
      const aws = options.aws?.();
      const vault = options.vault?.();
      const google = options.google?.();
      const extra = options.stores?.() ?? {};
      const stores = storeCatalogFor({ googleVersionAlias: google?.versionAlias ?? null });
      return {
        registry: createProviderRegistry(
          { ...(aws ? { aws } : {}), ...(vault ? { vault } : {}), ...(google ? { google } : {}), ...extra },
          stores,
        ),
        close: () => {
          aws?.destroy();
          for (const store of Object.values(extra)) store.destroy?.();
        },
      };
    },
    beforeStart: ({ fake, store }) => {
      for (const person of options.people ?? PEOPLE) fake.addUser(person);
      options.seed(store, fake);
    },
  });
}

/** The real CLI, in-process, over the harness's database, policy and audit key. */
export function rotorCli(harness: SlackHarness, ...argv: string[]): Promise<CliResult> {
  return runRotor(['--db', harness.store.path, '--config', join(harness.store.dir, 'policy.yml'), ...argv], { ROTOR_AUDIT_KEY: auditKey });
}

/** The same, with more environment (a store's connection). */
export function rotorCliWith(harness: SlackHarness, env: NodeJS.ProcessEnv, ...argv: string[]): Promise<CliResult> {
  return runRotor(['--db', harness.store.path, '--config', join(harness.store.dir, 'policy.yml'), ...argv], {
    ...env,
    ROTOR_AUDIT_KEY: auditKey,
  });
}

export { ACTION_IDS, CALLBACK_IDS };

/** A database secret owned by U0OWNER at AWS: what most rotation and revocation flows start from. */
export interface AwsSecretScenario {
  /** The secret's name, in the inventory and at moto. */
  name: string;
  /** Inventory fields beyond the defaults (type database, owner U0OWNER, provider aws, ref = name, last rotated 2027-01-01). */
  fields?: Record<string, unknown>;
  policy?: string;
  people?: readonly string[];
  /** Where the bot reaches AWS (a fault server in front of moto); moto itself by default. */
  endpoint?: string;
}

/**
 * Creates `name` at moto with a value made now, then starts the bot with moto as its AWS store
 * and the secret in the inventory; the version moto made is the one production reads.
 */
export async function startAwsSecretHarness(
  moto: MotoSuite,
  scenario: AwsSecretScenario,
): Promise<{ harness: SlackHarness; initialVersion: string }> {
  const created = await moto.sdk.send(new CreateSecretCommand({ Name: scenario.name, SecretString: randomBytes(12).toString('hex') }));
  const endpoint = scenario.endpoint ?? moto.endpoint;
  const harness = await startRotationHarness({
    aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint }),
    ...(scenario.policy ? { policy: scenario.policy } : {}),
    ...(scenario.people ? { people: scenario.people } : {}),
    seed: (store) =>
      store.inventoryService.create(
        {
          name: scenario.name,
          type: 'database',
          owner: 'U0OWNER',
          provider: 'aws',
          providerRef: scenario.name,
          lastRotated: daysAgo(store.clock, 31),
          ...scenario.fields,
        },
        operator(),
        'test',
      ),
  });
  return { harness, initialVersion: created.VersionId as string };
}

/** The staging labels of each version of `name` at moto (VersionIdsToStages). */
export async function stagesAt(moto: MotoSuite, name: string): Promise<Record<string, string[]>> {
  return (await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
}
