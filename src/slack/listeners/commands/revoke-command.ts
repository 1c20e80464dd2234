import type { App } from '@slack/bolt';
import { authorize } from '../../../access/authorize.js';
import { findNameProblem } from '../../../inventory/secret-name.js';
import { COMMANDS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { code, escapeMrkdwn } from '../../views/mrkdwn.js';
import { textMessage } from '../../views/secret-list-message.js';

/**
 * `/revoke <name> <reason>`: refused clearly outside an incident channel or to anyone but a
 * responder. The revocation flow itself is a later feature and is announced as not yet enabled.
 */
export function registerRevokeCommand(app: App, deps: SlackDeps): void {
  app.command(COMMANDS.revoke, async ({ command, ack, respond }) => {
    await ack();
    const { services } = deps;
    const [name = '', ...reasonWords] = command.text.trim().split(/\s+/);
    const problem =
      name === '' ? 'Say which secret and why, like `/revoke prod/stripe/api_key leaked in a public gist`.' : findNameProblem(name, services.policy.environments);
    if (problem) return void (await respond({ response_type: 'ephemeral', ...textMessage(`:warning: ${escapeMrkdwn(problem)}`) }));
    const secret = services.inventoryService.require(name);
    authorize(services.policy, services.audit, { actor: command.user_id, action: 'revoke', secret, channelId: command.channel_id });
    if (reasonWords.length === 0) {
      return void (await respond({ response_type: 'ephemeral', ...textMessage(`:warning: Give a reason after the name, like \`/revoke ${secret.name} leaked in a public gist\`.`) }));
    }
    await respond({
      response_type: 'ephemeral',
      ...textMessage(`Emergency revocation is not enabled in this Rotor build yet. Revoke ${code(secret.name)} at its provider by the incident playbook.`),
    });
  });
}
