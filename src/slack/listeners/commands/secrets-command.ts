import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { authorize } from '../../../access/authorize.js';
import { RotorError } from '../../../core/errors.js';
import { COMMANDS } from '../../ids.js';
import { dueSoonDays, type SlackDeps } from '../../slack-deps.js';
import { code, escapeMrkdwn, mention } from '../../views/mrkdwn.js';
import { reviewMessage } from '../../views/review-message.js';
import { secretDetailMessage } from '../../views/secret-detail-message.js';
import { secretFormModal } from '../../views/secret-form-modal.js';
import { secretListMessage, textMessage, type SlackMessage } from '../../views/secret-list-message.js';
import { isPlatformError, isSlackApiError, userMessageFor } from '../../errors.js';
import { fetchListPage } from './secret-list-query.js';
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
    const parsed = parseSecretsCommand(command.text, deps.services.policy.environments);
    const reply = (message: SlackMessage) => respondEphemeral(respond, message);
    if (parsed.kind === 'invalid') return reply(textMessage(`:warning: ${escapeMrkdwn(parsed.message)}`));
    await runSecretsRequest(parsed, { deps, command, client, reply });
  });
}

async function respondEphemeral(respond: RespondFn, message: SlackMessage): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
}

async function runSecretsRequest(request: SecretsRequest, ctx: CommandContext): Promise<void> {
  const { services } = ctx.deps;
  const today = services.clock.now();
  const actor = ctx.command.user_id;
  switch (request.kind) {
    case 'help':
      return ctx.reply(textMessage(escapeMrkdwn(helpText())));
    case 'overdue':
      return ctx.reply(secretListMessage(fetchListPage(ctx.deps, { kind: 'overdue', offset: 0 }), today, dueSoonDays(ctx.deps)));
    case 'due':
      return ctx.reply(secretListMessage(fetchListPage(ctx.deps, { kind: 'due', days: request.days, offset: 0 }), today, dueSoonDays(ctx.deps)));
    case 'list': {
      const page = fetchListPage(ctx.deps, { kind: 'list', environment: request.environment, owner: request.owner, service: request.service, offset: 0 });
      return ctx.reply(secretListMessage(page, today, dueSoonDays(ctx.deps)));
    }
    case 'show':
      return ctx.reply(secretDetailMessage(services.inventoryService.require(request.name), today, dueSoonDays(ctx.deps)));
    case 'review':
      return ctx.reply(
        reviewMessage(
          {
            ownerGone: services.recipients.reviewFlags(),
            unowned: services.inventory.unowned(),
            withoutBackup: services.inventory.withoutBackupOwner(),
            neverRotated: services.inventory.neverRotated(),
            overdue: services.inventory.overdue(today),
          },
          today,
        ),
      );
    case 'add':
      authorize(services.policy, services.audit, { actor, action: 'add' });
      await ctx.client.views.open({ trigger_id: ctx.command.trigger_id, view: secretFormModal(null) });
      return;
    case 'edit': {
      const secret = services.inventoryService.require(request.name);
      authorize(services.policy, services.audit, { actor, action: 'edit', secret });
      await ctx.client.views.open({ trigger_id: ctx.command.trigger_id, view: secretFormModal(secret) });
      return;
    }
    case 'owner':
      return changeOwner(request, ctx);
  }
}

async function changeOwner(request: Extract<SecretsRequest, { kind: 'owner' }>, ctx: CommandContext): Promise<void> {
  const { services } = ctx.deps;
  const actor = ctx.command.user_id;
  const secret = services.inventoryService.require(request.name);
  authorize(services.policy, services.audit, { actor, action: 'change_owner', secret });
  await requireRealPerson(ctx.client, request.userId);
  if (secret.owner === request.userId) {
    return ctx.reply(textMessage(`${mention(request.userId)} already owns ${code(secret.name)}; nothing changed.`));
  }
  services.inventoryService.setOwner(secret.name, request.userId, actor, 'slack');
  const done = `${code(secret.name)} now belongs to ${mention(request.userId)} (was ${mention(secret.owner)}).`;
  try {
    await ctx.client.chat.postMessage({
      channel: request.userId,
      text: `${mention(actor)} made you the owner of ${code(secret.name)}. \`/secrets show ${secret.name}\` shows what you now look after.`,
    });
    await ctx.reply(textMessage(`:white_check_mark: ${done} I told them in a DM.`));
  } catch (error) {
    // The change is made and audited; a failed DM must not read as a failed change.
    if (!isSlackApiError(error)) throw error;
    ctx.deps.logger.warn({ code: isPlatformError(error) ? error.data.error : (error as Error).name, secret: secret.name }, 'owner changed but the new owner could not be told');
    await ctx.reply(textMessage(`:white_check_mark: ${done}\nBut I could not DM them: ${userMessageFor(error).text.replace(/^:warning: /, '')}`));
  }
}

/** A mention can name a bot, a deactivated account or an id Slack does not know: none can own a secret. */
async function requireRealPerson(client: WebClient, userId: string): Promise<void> {
  let user: { is_bot?: boolean; deleted?: boolean } | undefined;
  try {
    user = (await client.users.info({ user: userId })).user;
  } catch (error) {
    if (isPlatformError(error) && error.data.error === 'user_not_found') {
      throw new RotorError('validation', `${userId} is not a user in this workspace; mention the new owner with Slack's @-autocomplete.`, { cause: error });
    }
    throw error;
  }
  if (user?.is_bot) throw new RotorError('validation', 'A bot cannot own a secret; mention a person.');
  if (user?.deleted) throw new RotorError('validation', 'That account is deactivated; mention someone who is still here.');
}
