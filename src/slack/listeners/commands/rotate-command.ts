import type { App } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { findNameProblem } from '../../../inventory/secret-name.js';
import { planOfferMessage } from '../../views/plan-messages.js';
import { COMMANDS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { escapeMrkdwn } from '../../views/mrkdwn.js';
import { rotationPickerModal } from '../../views/rotation/rotation-modal.js';
import { textMessage } from '../../views/slack-message.js';
import { openRotation, type RotationViewDeps } from '../rotation-views.js';
import { unquoteName } from './secrets-command-parser.js';
import { refreshRoleGroups, type RoleGroupDeps } from '../../outbound/slack-user-groups.js';

/**
 * `/rotate <name>` opens the guided rotation modal (resuming the open rotation if there is one);
 * `/rotate` alone offers the caller's secrets, most urgent first. A mistyped name is answered
 * in the channel before any modal opens.
 */
export function registerRotateCommand(
  app: App,
  deps: RotationViewDeps & Pick<SlackDeps, 'inventory' | 'inventoryReader' | 'policy' | 'plans'> & RoleGroupDeps,
): void {
  app.command(COMMANDS.rotate, async ({ command, ack, respond, client }) => {
    await ack();
    await refreshRoleGroups(client, deps);
    const actor = slackActor(command.user_id, command.channel_id);
    const words = command.text
      .trim()
      .split(/\s+/)
      .filter((word) => word !== '');
    if (words.length === 0) {
      await client.views.open({ trigger_id: command.trigger_id, view: rotationPickerModal(deps.inventory.ownedBy(command.user_id)) });
      return;
    }
    const name = unquoteName(words[0] as string);
    // A registry key without its environment (`db/app-primary`): the plan over its variants, in order.
    if (words.length === 1 && name.split('/').length === 2) {
      // A refusal (no such key, variants on different stores) is said by answerErrorsWhereAsked, through the response_url.
      const offer = deps.plans.offer(actor, name);
      return void (await respond({ response_type: 'ephemeral', ...planOfferMessage(offer) }));
    }
    const problem =
      words.length > 1
        ? `\`/rotate\` takes just the secret's name, like \`/rotate ${words[0]}\`.`
        : findNameProblem(name, deps.policy.environments);
    if (problem) return void (await respond({ response_type: 'ephemeral', ...textMessage(`:warning: ${escapeMrkdwn(problem)}`) }));
    // An unknown name or a refusal is answered in the channel, before any modal opens; to someone
    // who may not read the secret, as if it did not exist.
    const secret = deps.inventoryReader.decidedFor(actor, name, () => deps.rotation.rotatable(actor, name));
    await openRotation(deps, client, command.trigger_id, actor, name, secret);
  });
}
