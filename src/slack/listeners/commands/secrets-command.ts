import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { slackActor } from '../../../access/actor.js';
import { RotorError } from '../../../core/errors.js';
import { COMMANDS } from '../../ids.js';
import { dueSoonDays, type SlackDeps } from '../../slack-deps.js';
import { escapeMrkdwn } from '../../views/mrkdwn.js';
import { breakGlassRecordedReply } from '../../views/break-glass-messages.js';
import { replicationReviewBlocks } from '../../views/replication-review-blocks.js';
import { reviewMessage } from '../../views/review-message.js';
import { alreadyOwnerReply, newOwnerMessage, ownerChangedReply } from '../../views/secret-change-messages.js';
import { secretFormModal } from '../../views/secret-form-modal.js';
import { textMessage, type SlackMessage } from '../../views/slack-message.js';
import { isPlatformError, isSlackApiError, userMessageFor } from '../../errors.js';
import { refreshRoleGroups, refreshUserGroups } from '../../outbound/slack-user-groups.js';
import { readReply, readRequestOf, readSourceOf } from '../../replies/read-replies.js';
import { helpText, parseSecretsCommand, type SecretsRequest } from './secrets-command-parser.js';

/** What `/secrets` reads and changes. */
type SecretsDeps = Pick<
  SlackDeps,
  | 'inventory'
  | 'rotationNeeds'
  | 'clock'
  | 'policy'
  | 'inventoryReader'
  | 'inventoryService'
  | 'recipients'
  | 'userGroups'
  | 'ownership'
  | 'breakGlass'
  | 'replication'
  | 'logger'
>;

interface CommandContext {
  deps: SecretsDeps;
  command: SlashCommand;
  client: WebClient;
  reply: (message: SlackMessage) => Promise<void>;
}

/**
 * `/secrets …`: ack at once (Slack's 3-second window), then parse, ask the domain, and answer
 * through the response_url. Errors propagate to the global handler, which explains them.
 */
export function registerSecretsCommand(app: App, deps: SecretsDeps): void {
  app.command(COMMANDS.secrets, async ({ command, ack, respond, client }) => {
    await ack();
    const parsed = parseSecretsCommand(command.text, deps.policy.environments);
    const reply = (message: SlackMessage) => respondEphemeral(respond, message);
    if (parsed.kind === 'invalid') return reply(textMessage(`:warning: ${escapeMrkdwn(parsed.message)}`));
    // Adding, editing and handing over are role decisions: Slack's groups are read fresher than for a read.
    if (parsed.kind === 'add' || parsed.kind === 'edit' || parsed.kind === 'owner') await refreshRoleGroups(client, deps);
    else if (parsed.kind !== 'help') await refreshUserGroups(client, deps, deps.logger);
    await runSecretsRequest(parsed, { deps, command, client, reply });
  });
}

async function respondEphemeral(respond: RespondFn, message: SlackMessage): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
}

async function runSecretsRequest(request: SecretsRequest, ctx: CommandContext): Promise<void> {
  const { deps } = ctx;
  const today = deps.clock.now();
  const actor = slackActor(ctx.command.user_id, ctx.command.channel_id);
  const reader = deps.inventoryReader;
  const read = readRequestOf(request);
  if (read) return ctx.reply(readReply(readSourceOf(deps), actor, read, today, dueSoonDays(deps)));
  switch (request.kind) {
    case 'help':
      return ctx.reply(textMessage(escapeMrkdwn(helpText())));
    case 'review': {
      const scope = reader.listScope(actor);
      const unowned = deps.inventory.unowned(scope);
      const visible = new Set(scope.kind === 'all' ? [] : deps.inventory.readableNames(scope));
      const replication = await deps.replication.check(scope);
      return ctx.reply(
        reviewMessage(
          {
            ownerGone: deps.recipients.reviewFlags().filter((flag) => scope.kind === 'all' || visible.has(flag.secretName)),
            unowned,
            withoutBackup: deps.inventory.withoutBackupOwner(scope),
            neverRotated: deps.inventory.neverRotated(scope),
            overdue: deps.inventory.overdue(today, {}, scope),
            needs: deps.rotationNeeds.open().filter((need) => scope.kind === 'all' || visible.has(need.secretName)),
          },
          today,
          replication ? { extra: replicationReviewBlocks(replication) } : {},
        ),
      );
    }
    case 'used': {
      // As for edit: a secret the member may not see is refused as if it did not exist, before the use rule names its people.
      reader.readable(actor, request.name);
      const use = ctx.deps.breakGlass.recordUse(request.name, request.reason, actor);
      return ctx.reply(breakGlassRecordedReply(use.need, use.secret));
    }
    case 'add':
      deps.inventoryService.authorizeAdd(actor);
      await ctx.client.views.open({ trigger_id: ctx.command.trigger_id, view: secretFormModal(null, deps.policy.intervals) });
      return;
    case 'edit': {
      // A secret the member may not see is refused as if it did not exist, before the edit rule names its people.
      reader.readable(actor, request.name);
      const secret = deps.inventoryService.editable(actor, request.name);
      await ctx.client.views.open({ trigger_id: ctx.command.trigger_id, view: secretFormModal(secret, deps.policy.intervals) });
      return;
    }
    case 'owner':
      return changeOwner(request, ctx);
  }
}

async function changeOwner(request: Extract<SecretsRequest, { kind: 'owner' }>, ctx: CommandContext): Promise<void> {
  const { deps } = ctx;
  const actor = ctx.command.user_id;
  deps.inventoryReader.readable(slackActor(actor, ctx.command.channel_id), request.name);
  // Asked first, so nobody without the right learns anything from Slack's answer about the person.
  const secret = deps.inventoryService.ownerChangeable(slackActor(actor), request.name);
  await requireRealPerson(ctx.client, request.userId);
  if (secret.owner === request.userId) return ctx.reply(alreadyOwnerReply(secret.name, request.userId));
  const handed = await deps.ownership.handOver(secret.name, request.userId, slackActor(actor), 'slack');
  if (!handed.changed) return ctx.reply(alreadyOwnerReply(secret.name, request.userId));
  const change = { name: secret.name, from: handed.from, to: request.userId };
  // The owner it was taken from is told too, by a follow-up (the change stands either way).
  deps.ownership.tellFormerOwner(handed.secret, handed.from, slackActor(actor));
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
