import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { slackActor, type SlackActor } from '../../../access/actor.js';
import { isRotorError, ValidationError } from '../../../core/errors.js';
import { findNameProblem } from '../../../inventory/secret-name.js';
import type { IncidentRecord } from '../../../revocation/incident.js';
import { parseReason } from '../../../revocation/revocation-request.js';
import { COMMANDS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { existingIncidentMessage } from '../../views/incident/incident-messages.js';
import { revokeConfirmModal, revokeOutcomeModal, revokeWorkingModal } from '../../views/incident/revoke-modal.js';
import { escapeMrkdwn } from '../../views/mrkdwn.js';
import { problemText } from '../../views/rotation/rotation-flash.js';
import { textMessage } from '../../views/slack-message.js';
import { updateModal } from '../rotation-views.js';
import { typedText } from './command-text.js';
import { unquoteName } from './secrets-command-parser.js';
import { refreshRoleGroups, type RoleGroupDeps } from '../../outbound/slack-user-groups.js';

/** What `/revoke` and its confirmation modal use. */
export type RevokeDeps = Pick<SlackDeps, 'revocation' | 'policy' | 'userGroups'> & RoleGroupDeps;

const USAGE =
  'Say which secret and why, like `/revoke prod/stripe/api_key leaked in a public gist`; or close an incident with `/revoke close <incident> <postmortem link>`.';

/** A link to the incident's status message, when Slack gives one. */
async function statusPermalink(client: WebClient, record: IncidentRecord): Promise<string | null> {
  const { channel, statusTs } = record.incident;
  if (!statusTs) return null;
  try {
    return (await client.chat.getPermalink({ channel, message_ts: statusTs })).permalink ?? null;
  } catch {
    return null;
  }
}

/**
 * `/revoke <name> <reason>` in an incident channel: refused clearly anywhere else or to anyone
 * but a responder; for a secret under an open incident, that incident; otherwise the confirmation
 * modal with the blast radius. `/revoke close <incident> <link>` closes an incident.
 */
export function registerRevokeCommand(app: App, deps: RevokeDeps): void {
  app.command(COMMANDS.revoke, async ({ command, ack, respond, client }) => {
    await ack();
    await refreshRoleGroups(client, deps);
    const { revocation } = deps;
    const reply = (text: string) => respond({ response_type: 'ephemeral', ...textMessage(text) });
    const actor = slackActor(command.user_id, command.channel_id);
    const [firstWord = '', ...rest] = typedText(command.text).trim().split(/\s+/);
    if (firstWord.toLowerCase() === 'close') {
      await closeFromCommand(deps, actor, rest, reply);
      return;
    }
    const name = unquoteName(firstWord);
    const problem = name === '' ? USAGE : findNameProblem(name, deps.policy.environments);
    // Who and where come first: outside an incident channel, or for anyone but a responder, the
    // answer is the refusal whatever was typed (and it names no secrets).
    if (problem) {
      revocation.requireResponder(actor);
      return void (await reply(`:warning: ${escapeMrkdwn(problem)}`));
    }
    const secret = revocation.revocable(actor, name);
    const open = revocation.openFor(secret.name);
    if (open)
      return void (await respond({ response_type: 'ephemeral', ...existingIncidentMessage(open, await statusPermalink(client, open)) }));
    if (rest.length === 0)
      return void (await reply(
        `:warning: Give a reason after the name, like \`/revoke ${escapeMrkdwn(secret.name)} leaked in a public gist\`.`,
      ));
    // Refused before anything opens, and never echoed: a reason may hold the leaked value itself.
    const reason = parseReason(rest.join(' '));
    await openRevokeConfirmation(deps, client, command.trigger_id, actor, secret.name, reason, command.channel_id);
  });
}

/**
 * The revocation's confirmation modal, for a responder in an incident channel (`/revoke`, and
 * the *Report a compromised secret* workflow step): it opens at once (a trigger_id lives 3
 * seconds), then shows the blast radius, or the incident already open.
 */
export async function openRevokeConfirmation(
  deps: RevokeDeps,
  client: WebClient,
  triggerId: string,
  actor: SlackActor,
  secretName: string,
  reason: string,
  channel: string,
): Promise<void> {
  const opened = await client.views.open({ trigger_id: triggerId, view: revokeWorkingModal(secretName, channel, 'Looking at') });
  const viewId = opened.view?.id;
  if (!viewId) return;
  try {
    const opening = await deps.revocation.prepare(actor, secretName);
    const view =
      opening.kind === 'open'
        ? revokeOutcomeModal({ secret: secretName, channel }, { record: opening.record, existing: true })
        : revokeConfirmModal({
            secret: opening.secret,
            plan: opening.plan,
            policy: deps.policy,
            reason,
            channel,
            responder: actor.userId,
            groups: deps.userGroups,
          });
    await updateModal(client, viewId, view);
  } catch (error) {
    if (!isRotorError(error)) throw error;
    await updateModal(client, viewId, revokeOutcomeModal({ secret: secretName, channel }, { problem: problemText(error) }));
  }
}

async function closeFromCommand(
  deps: RevokeDeps,
  actor: SlackActor,
  words: readonly string[],
  reply: (text: string) => Promise<unknown>,
): Promise<void> {
  const [idText = '', url = '', ...extra] = words;
  const id = /^#?(\d{1,12})$/.exec(idText)?.[1];
  if (!id || extra.length > 0) {
    throw new ValidationError(
      'Close an incident with `/revoke close <incident> <postmortem link>`, like `/revoke close 12 https://wiki.example/postmortems/12`.',
      [],
    );
  }
  // Slack may send a typed link as <url> or <url|label>.
  const record = await deps.revocation.close(actor, Number(id), url.replace(/^<([^|>]*)(?:\|[^>]*)?>$/, '$1'));
  await reply(
    `:checkered_flag: Incident #${record.incident.id} (${escapeMrkdwn(record.incident.secretName)}) is closed; its status message shows the postmortem link.`,
  );
}
