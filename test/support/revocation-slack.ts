import type { ModalView } from '@slack/types';
import type { ViewStateValue } from '@slack/bolt';
import { expect } from 'vitest';
import { IncidentRepo } from '../../src/revocation/incident-repo.js';
import type { IncidentRecord } from '../../src/revocation/incident.js';
import { FORM_VALUE_ACTION, INCIDENT_BLOCKS, REVOKE_BLOCKS } from '../../src/slack/ids.js';
import type { RecordedCall } from '../fakes/fake-slack-api.js';
import { button, callsSince, echoed, followUpsSettled, modal, pushedSince, type ButtonSeen } from './rotation-slack.js';
import { responseIdOf, type SlackHarness } from './slack-app-harness.js';
import { buttonClick, stateValue } from './slack-payloads.js';

/**
 * Driving `/revoke` as a responder in Slack would: the command, the confirmation modal, the
 * status message in the incident channel (posted once, then edited with chat.update) and its
 * thread, the pages. Every helper waits until the bot has handled the request to the end.
 */

export const INCIDENT_CHANNEL = 'C0INCIDENT';

/**
 * The revocation tests' policy: U0ONCALL is a responder (not a security lead, so security can
 * sign off what it did), two security leads are paged with the owner and the backup owner, and
 * the escalation path goes on to the payments team lead and the CTO.
 */
export const REVOCATION_POLICY = `
environments: [prod, staging, dev]
channels:
  announce: C0ANNOUNCE
  incident: [${INCIDENT_CHANNEL}]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC, U0SEC2]
  devops_leads: [U0OPS]
  responders: [U0ONCALL]
  team_leads: { payments: U0PAYLEAD }
  cto: U0CTO
incident:
  ack_minutes: 15
  postmortem_hours: 48
`;
export const REVOCATION_PEOPLE = ['U0OWNER', 'U0BACKUP', 'U0SEC', 'U0SEC2', 'U0OPS', 'U0ONCALL', 'U0PAYLEAD', 'U0CTO', 'U0ADMIN'];
/** Everything a refused or repeated revocation must leave as it was. */
export const REVOCATION_TABLES = [
  'secrets',
  'incidents',
  'incident_events',
  'incident_pages',
  'rotations',
  'rotation_steps',
  'follow_ups',
  'audit_events',
];

/** `/revoke <text>` by `userId` in `channelId`; the modal it opened (or null) and the ephemeral reply. */
export async function slashRevoke(
  harness: SlackHarness,
  userId: string,
  text: string,
  channelId = INCIDENT_CHANNEL,
): Promise<{ viewId: string | null; reply: Record<string, unknown> | null }> {
  const since = harness.fake.calls.length;
  const responsesBefore = harness.fake.responses.length;
  const { responseUrl } = await harness.untilHandled(() => harness.command('/revoke', text, userId, { channelId }));
  const update = callsSince(harness, 'views.update', since)[0];
  const mine = (response: { id: string }) => response.id === responseIdOf(responseUrl);
  let reply = harness.fake.responses.slice(responsesBefore).find(mine);
  // A refusal thrown by the listener reaches the response_url through the error handler, just after the request ends.
  if (!update && !reply) reply = await harness.fake.waitForResponse(mine, 2_000);
  return { viewId: update ? String(update.args.view_id) : null, reply: reply?.body ?? null };
}

export interface RevokeForm {
  reason?: string | null;
  severity?: string | null;
  ticket?: string | null;
  order?: 'replace_then_disable' | 'disable_now' | null;
  destroy?: boolean;
  confirm: string | null;
}

/** The confirmation's state values as Slack sends them. */
export function revokeValues(form: RevokeForm): Record<string, Record<string, ViewStateValue>> {
  const option = (value: string) => ({ text: { type: 'plain_text' as const, text: value }, value });
  const values: Record<string, Record<string, ViewStateValue>> = {
    [REVOKE_BLOCKS.reason]: { [FORM_VALUE_ACTION]: stateValue.text(form.reason === undefined ? 'leaked in a public gist' : form.reason) },
    [REVOKE_BLOCKS.severity]: { [FORM_VALUE_ACTION]: stateValue.select(form.severity === undefined ? 'SEV1' : form.severity) },
    [REVOKE_BLOCKS.ticket]: { [FORM_VALUE_ACTION]: stateValue.text(form.ticket ?? null) },
    [REVOKE_BLOCKS.order]: {
      [FORM_VALUE_ACTION]: {
        type: 'radio_buttons',
        selected_option: form.order === null ? null : option(form.order ?? 'replace_then_disable'),
      },
    },
    [REVOKE_BLOCKS.confirm]: { [FORM_VALUE_ACTION]: stateValue.text(form.confirm) },
  };
  if (form.destroy !== undefined)
    values[REVOKE_BLOCKS.destroy] = {
      [FORM_VALUE_ACTION]: { type: 'checkboxes', selected_options: form.destroy ? [option('destroy')] : [] },
    };
  return values;
}

/** Submits the confirmation modal `viewId` as it stands (or as `view`); the ack's body (null for an empty ack). */
export async function submitRevoke(
  harness: SlackHarness,
  userId: string,
  viewId: string,
  form: RevokeForm,
  view: ModalView = modal(harness, viewId),
): Promise<Record<string, unknown> | null> {
  const reply = await harness.untilHandled(() => harness.submit({ userId, view: echoed(harness, viewId, view, revokeValues(form)) }));
  return reply.text === '' ? null : (reply.json() as Record<string, unknown>);
}

/** The incident as the database holds it now. */
export function incidentRecord(harness: SlackHarness, id: number): IncidentRecord {
  const record = new IncidentRepo(harness.store.db).get(id);
  if (!record) throw new Error(`No incident #${id}`);
  return record;
}

/** Top-level posts to the incident channel (the status messages; thread replies excluded). */
export function statusPosts(harness: SlackHarness, channel = INCIDENT_CHANNEL): RecordedCall[] {
  return harness.fake.callsTo('chat.postMessage').filter((call) => call.args.channel === channel && !call.args.thread_ts);
}

/** The ts Slack gave the one status message. */
export function statusTsOf(harness: SlackHarness, channel = INCIDENT_CHANNEL): string {
  const posts = statusPosts(harness, channel);
  expect(posts, 'one status message in the incident channel').toHaveLength(1);
  const ts = harness.fake.messages.find((message) => message.channel === channel && !message.threadTs)?.ts;
  if (!ts) throw new Error('The fake holds no status message');
  return ts;
}

/** The chat.update calls that redrew the status message. */
export function statusEdits(harness: SlackHarness, ts: string, channel = INCIDENT_CHANNEL): RecordedCall[] {
  return harness.fake.callsTo('chat.update').filter((call) => call.args.channel === channel && call.args.ts === ts);
}

/** What the channel shows now: the status message as Slack holds it (posted, then edited by every accepted chat.update). */
export function statusShown(harness: SlackHarness, channel = INCIDENT_CHANNEL): { text: string; blocks: unknown[]; edits: number } {
  const ts = statusTsOf(harness, channel);
  const held = harness.fake.messages.find((message) => message.channel === channel && message.ts === ts);
  if (!held) throw new Error('The fake holds no status message');
  return { text: String(held.text), blocks: held.blocks as unknown[], edits: held.edits };
}

/** The replies in the status message's thread. */
export function threadReplies(harness: SlackHarness, ts: string, channel = INCIDENT_CHANNEL): RecordedCall[] {
  return harness.fake.callsTo('chat.postMessage').filter((call) => call.args.channel === channel && call.args.thread_ts === ts);
}

/** Clicks a button on the status message as it shows now, as `userId`; the ephemeral reply, if any. */
export async function clickOnStatus(
  harness: SlackHarness,
  userId: string,
  actionId: string,
): Promise<{ reply: Record<string, unknown> | null; since: number }> {
  const shown = statusShown(harness);
  const found = button(shown, actionId);
  expect(found, `the status message has a ${actionId} button`).toBeDefined();
  const ts = statusTsOf(harness);
  const payload = buttonClick(harness.payloads, { actionId, value: (found as ButtonSeen).value, userId, channelId: INCIDENT_CHANNEL });
  const body = {
    ...payload,
    message: { type: 'message' as const, ts, text: shown.text },
    container: { type: 'message', message_ts: ts, channel_id: INCIDENT_CHANNEL, is_ephemeral: false },
  };
  const responsesBefore = harness.fake.responses.length;
  const since = harness.fake.calls.length;
  await harness.untilHandled(() => harness.post({ kind: 'payload', payload: body }));
  const reply = harness.fake.responses.slice(responsesBefore).find((response) => response.id === responseIdOf(payload.response_url));
  return { reply: reply?.body ?? null, since };
}

/** Submits an incident form (status update or close) pushed or opened since `since` with `text` in its one input. */
export async function submitIncidentForm(
  harness: SlackHarness,
  userId: string,
  since: number,
  text: string | null,
): Promise<Record<string, unknown> | null> {
  const view = pushedSince(harness, since);
  const block = view.callback_id === 'incident_close_modal' ? INCIDENT_BLOCKS.postmortem : INCIDENT_BLOCKS.update;
  const reply = await harness.untilHandled(() =>
    harness.submit({ userId, view: echoed(harness, 'VFORM0001', view, { [block]: { [FORM_VALUE_ACTION]: stateValue.text(text) } }) }),
  );
  return reply.text === '' ? null : (reply.json() as Record<string, unknown>);
}

/** Every text a surface shows, for `toContain` checks. */
export function shownText(surface: { blocks: unknown[] }): string {
  return JSON.stringify(surface.blocks);
}

/** `/revoke <name>` by `userId` (the responder by default), confirmed with the name: incident #1 opens, its follow-ups done. */
export async function revokeConfirmed(harness: SlackHarness, name: string, userId = 'U0ONCALL'): Promise<void> {
  const { viewId } = await slashRevoke(harness, userId, `${name} leaked in a public gist`);
  await submitRevoke(harness, userId, viewId as string, { confirm: name });
  await followUpsSettled(harness);
}

/** `/rotate <name>` by the responder in the incident channel: the emergency rotation modal's view id. */
export async function slashRotateEmergency(harness: SlackHarness, name: string): Promise<string> {
  const since = harness.fake.calls.length;
  await harness.untilHandled(() => harness.command('/rotate', name, 'U0ONCALL', { channelId: INCIDENT_CHANNEL }));
  const update = harness.fake.calls.slice(since).find((call) => call.method === 'views.update');
  expect(modal(harness, String(update?.args.view_id)).title.text).toBe('Emergency rotation');
  return String(update?.args.view_id);
}
