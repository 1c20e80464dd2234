import type { App } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { findNameProblem } from '../../../inventory/secret-name.js';
import { COMMANDS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { code, escapeMrkdwn } from '../../views/mrkdwn.js';
import { textMessage } from '../../views/slack-message.js';
import { unquoteName } from './secrets-command-parser.js';

/**
 * `/revoke <name> <reason>`: refused clearly outside an incident channel or to anyone but a
 * responder. The revocation flow itself is a later feature and is announced as not yet enabled.
 */
export function registerRevokeCommand(app: App, deps: SlackDeps): void {
  app.command(COMMANDS.revoke, async ({ command, ack, respond }) => {
    await ack();
    const { services } = deps.runtime;
    const [firstWord = '', ...reasonWords] = command.text.trim().split(/\s+/);
    const name = unquoteName(firstWord);
    const problem =
      name === '' ? 'Say which secret and why, like `/revoke prod/stripe/api_key leaked in a public gist`.' : findNameProblem(name, services.policy.environments);
    // Who and where come first: outside an incident channel, or for anyone but a responder, the
    // answer is the refusal whatever was typed (and it names no secrets).
    const actor = slackActor(command.user_id, command.channel_id);
    if (problem) {
      deps.runtime.revocation.requireResponder(actor);
      return void (await respond({ response_type: 'ephemeral', ...textMessage(`:warning: ${escapeMrkdwn(problem)}`) }));
    }
    const secret = deps.runtime.revocation.revocable(actor, name);
    if (reasonWords.length === 0) {
      return void (await respond({ response_type: 'ephemeral', ...textMessage(`:warning: Give a reason after the name, like \`/revoke ${secret.name} leaked in a public gist\`.`) }));
    }
    await respond({
      response_type: 'ephemeral',
      ...textMessage(`Emergency revocation is not enabled in this Rotor build yet. Revoke ${code(secret.name)} at its provider by the incident playbook.`),
    });
  });
}
