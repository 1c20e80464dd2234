import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { slackActor } from '../../../access/actor.js';
import { RotorError } from '../../../core/errors.js';
import { COMMANDS } from '../../ids.js';
import { dueSoonDays, type SlackDeps } from '../../slack-deps.js';
import { escapeMrkdwn } from '../../views/mrkdwn.js';
import { breakGlassRecordedReply } from '../../views/break-glass-messages.js';
import { reviewMessage } from '../../views/review-message.js';
import { alreadyOwnerReply, newOwnerMessage, ownerChangedReply } from '../../views/secret-change-messages.js';
import { secretFormModal } from '../../views/secret-form-modal.js';
import { textMessage, type SlackMessage } from '../../views/slack-message.js';
import { isPlatformError, isSlackApiError, userMessageFor } from '../../errors.js';
import { refreshUserGroups } from '../../outbound/slack-user-groups.js';
import { readReply, readRequestOf, readSourceOf } from '../../replies/read-replies.js';
import { helpText, parseSecretsCommand, type SecretsRequest } from './secrets-command-parser.js';

interface CommandContext {
  deps: SlackDeps;
  command: SlashCommand;
  client: WebClient;
  reply: (message: SlackMessage) => Promise<void>;
}

/**
 * `/secrets …`: ack at once (Slack's 3-second window), then parse, ask the domain, and answer
 * through the response_url. Errors propagate to the global handler, which explains them.
 */
export function registerSecretsCommand(app: App, deps: SlackDeps): void {
  app.command(COMMANDS.secrets, async ({ command, ack, respond, client }) => {
    await ack();
    const parsed = parseSecretsCommand(command.text, deps.runtime.services.policy.environments);
    const reply = (message: SlackMessage) => respondEphemeral(respond, message);
    if (parsed.kind === 'invalid') return reply(textMessage(`:warning: ${escapeMrkdwn(parsed.message)}`));
    if (parsed.kind !== 'help' && parsed.kind !== 'add') await refreshUserGroups(client, deps.runtime.services, deps.logger);
    await runSecretsRequest(parsed, { deps, command, client, reply });
  });
}

async function respondEphemeral(respond: RespondFn, message: SlackMessage): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
}

async function runSecretsRequest(request: SecretsRequest, ctx: CommandContext): Promise<void> {
  const { services } = ctx.deps.runtime;
  const today = services.clock.now();
  const actor = slackActor(ctx.command.user_id, ctx.command.channel_id);
  const reader = services.inventoryReader;
  const read = readRequestOf(request);
  if (read) return ctx.reply(readReply(readSourceOf(services), actor, read, today, dueSoonDays(ctx.deps)));
  switch (request.kind) {
    case 'help':
      return ctx.reply(textMessage(escapeMrkdwn(helpText())));
    case 'review': {
      const scope = reader.listScope(actor);
      const unowned = services.inventory.unowned(scope);
      const visible = new Set(scope.kind === 'all' ? [] : services.inventory.readableNames(scope));
      return ctx.reply(
        reviewMessage(
          {
            ownerGone: services.recipients.reviewFlags().filter((flag) => scope.kind === 'all' || visible.has(flag.secretName)),
            unowned,
            withoutBackup: services.inventory.withoutBackupOwner(scope),
            neverRotated: services.inventory.neverRotated(scope),
            overdue: services.inventory.overdue(today, {}, scope),
            needs: services.rotationNeeds.open().filter((need) => scope.kind === 'all' || visible.has(need.secretName)),
          },
          today,
        ),
      );
    }
    case 'used': {
      const use = ctx.deps.runtime.breakGlass.recordUse(request.name, request.reason, actor);
      return ctx.reply(breakGlassRecordedReply(use.need, use.secret));
    }
    case 'add':
      services.inventoryService.authorizeAdd(actor);
      await ctx.client.views.open({ trigger_id: ctx.command.trigger_id, view: secretFormModal(null, services.policy.intervals) });
      return;
    case 'edit': {
      // A secret the member may not see is refused as if it did not exist, before the edit rule names its people.
      reader.readable(actor, request.name);
      const secret = services.inventoryService.editable(actor, request.name);
      await ctx.client.views.open({ trigger_id: ctx.command.trigger_id, view: secretFormModal(secret, services.policy.intervals) });
      return;
    }
    case 'owner':
      return changeOwner(request, ctx);
  }
}

async function changeOwner(request: Extract<SecretsRequest, { kind: 'owner' }>, ctx: CommandContext): Promise<void> {
  const { services } = ctx.deps.runtime;
  const actor = ctx.command.user_id;
  services.inventoryReader.readable(slackActor(actor, ctx.command.channel_id), request.name);
  const secret = services.inventoryService.ownerChangeable(slackActor(actor), request.name);
  await requireRealPerson(ctx.client, request.userId);
  if (secret.owner === request.userId) return ctx.reply(alreadyOwnerReply(secret.name, request.userId));
  services.inventoryService.setOwner(secret.name, request.userId, slackActor(actor), 'slack');
  const change = { name: secret.name, from: secret.owner, to: request.userId };
  // The owner it was taken from is told too, by a follow-up (the change stands either way).
  ctx.deps.runtime.ownership.tellFormerOwner(services.inventoryService.require(secret.name), secret.owner, slackActor(actor));
  try {
    const dm = newOwnerMessage(secret.name, actor);
    await ctx.client.chat.postMessage({ channel: request.userId, text: dm.text, blocks: dm.blocks });
    await ctx.reply(ownerChangedReply(change, { ok: true }));
  } catch (error) {
    // The change is made and audited; a failed DM must not read as a failed change.
    if (!isSlackApiError(error)) throw error;
    ctx.deps.logger.warn(
      { code: isPlatformError(error) ? error.data.error : (error as Error).name, secret: secret.name },
      'owner changed but the new owner could not be told',
    );
    await ctx.reply(ownerChangedReply(change, { ok: false, why: userMessageFor(error).text.replace(/^:warning: /, '') }));
  }
}

/** A mention can name a bot, a deactivated account or an id Slack does not know: none can own a secret. */
async function requireRealPerson(client: WebClient, userId: string): Promise<void> {
  let user: { is_bot?: boolean; deleted?: boolean } | undefined;
  try {
    user = (await client.users.info({ user: userId })).user;
  } catch (error) {
    if (isPlatformError(error) && error.data.error === 'user_not_found') {
      throw new RotorError('validation', `${userId} is not a user in this workspace; mention the new owner with Slack's @-autocomplete.`, {
        cause: error,
      });
    }
    throw error;
  }
  if (user?.is_bot) throw new RotorError('validation', 'A bot cannot own a secret; mention a person.');
  if (user?.deleted) throw new RotorError('validation', 'That account is deactivated; mention someone who is still here.');
}
