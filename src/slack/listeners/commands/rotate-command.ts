import type { App } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { COMMANDS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { code, escapeMrkdwn } from '../../views/mrkdwn.js';
import { textMessage } from '../../views/slack-message.js';
import { findNameProblem } from '../../../inventory/secret-name.js';
import { unquoteName } from './secrets-command-parser.js';

/**
 * `/rotate <name>`: checks the name and the caller's right to rotate it. The guided rotation
 * modal is a later feature; until it lands the command says so plainly instead of pretending.
 */
export function registerRotateCommand(app: App, deps: SlackDeps): void {
  app.command(COMMANDS.rotate, async ({ command, ack, respond }) => {
    await ack();
    const { services } = deps.runtime;
    const words = command.text.trim().split(/\s+/).filter((word) => word !== '');
    const name = unquoteName(words[0] ?? '');
    const problem =
      name === ''
        ? 'Say which secret to rotate, like `/rotate prod/postgres/connection_string`.'
        : words.length > 1
          ? `\`/rotate\` takes just the secret's name, like \`/rotate ${words[0]}\`.`
          : findNameProblem(name, services.policy.environments);
    if (problem) return void (await respond({ response_type: 'ephemeral', ...textMessage(`:warning: ${escapeMrkdwn(problem)}`) }));
    const secret = deps.runtime.rotation.rotatable(slackActor(command.user_id, command.channel_id), name);
    await respond({
      response_type: 'ephemeral',
      ...textMessage(`You may rotate ${code(secret.name)}, but guided rotation is not enabled in this Rotor build yet, so Rotor cannot run or record it from Slack. Follow the secret's playbook.`),
    });
  });
}
