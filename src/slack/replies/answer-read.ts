import { DateTime } from 'luxon';
import { slackActor } from '../../access/actor.js';
import type { Refusal } from '../../access/refusal-log.js';
import { userGroupsStale } from '../../access/user-group-freshness.js';
import type { UserGroupRepo } from '../../access/user-group-repo.js';
import type { Policy } from '../../config/policy.js';
import { isRotorError } from '../../core/errors.js';
import { InventoryReader } from '../../inventory/inventory-reader.js';
import type { InventoryRepo } from '../../inventory/inventory-repo.js';
import type { ListSource } from '../listeners/commands/secret-list-query.js';
import { postToResponseUrl, RESPONSE_URL_DELIVERY, RESPONSE_URL_USES, ResponseUrlError } from '../outbound/response-url.js';
import { INTERNAL_ERROR_MESSAGE, rotorErrorMessage } from '../views/rotor-error-message.js';
import type { SlackMessage } from '../views/slack-message.js';
import { readReply } from './read-replies.js';
import type { ReplyJob, ReplyOutcome } from './reply-protocol.js';

/** What making a read-only reply needs: reads on any connection, and the main thread for the writes a read leads to. */
export interface ReplyContext {
  reads: ListSource & { inventory: InventoryRepo; userGroups: Pick<UserGroupRepo, 'groupsOf' | 'fetchedAt'> };
  policy: Policy;
  dueSoonDays: readonly number[];
  main: {
    /** Audits refusals (RefusalLog); resolves once they are written. */
    recordRefusals(refusals: readonly Refusal[]): Promise<void>;
    /** Asks Slack about user groups and stores the answer (it never fails a read: Slack not answering leaves the last answer). */
    refreshUserGroups(): Promise<void>;
  };
}

/**
 * Makes a read-only reply and posts it to its response_url, judged by the same InventoryReader
 * (the same visibility rules) as on the main thread. A refusal is audited before the person is
 * told. On failure, posts what the person should be told instead (the error's own message for
 * Rotor's errors, a refusal with who may help, a generic apology for the rest), as the app's
 * error handler does. A reply the response_url itself failed (see ResponseUrlError.urlFailed) is
 * not followed by an apology to the same URL; one Slack refused for what it was (a 400) is.
 * Never throws: the outcome says what happened.
 */
export async function answerRead(context: ReplyContext, job: ReplyJob): Promise<ReplyOutcome> {
  let failure: unknown;
  let message: SlackMessage | null = null;
  try {
    message = await render(context, job);
  } catch (error) {
    failure = error;
  }
  let delivered = true;
  let usesSpent = 0;
  if (message) {
    try {
      await postToResponseUrl(job.responseUrl, message);
      return { outcome: 'ok' };
    } catch (error) {
      failure = error;
      // Retried already (postToResponseUrl): an apology to a URL that failed would fail the same way, and hold the reply as long again.
      if (!(error instanceof ResponseUrlError) || error.urlFailed) delivered = false;
      if (error instanceof ResponseUrlError) usesSpent = error.attempts;
    }
  }
  const known = isRotorError(failure) ? failure : null;
  const apologyAttempts = Math.min(RESPONSE_URL_DELIVERY.attempts, RESPONSE_URL_USES - usesSpent);
  if (delivered) {
    try {
      await postToResponseUrl(job.responseUrl, known ? rotorErrorMessage(known) : INTERNAL_ERROR_MESSAGE, {
        delivery: { ...RESPONSE_URL_DELIVERY, attempts: apologyAttempts },
      });
    } catch {
      delivered = false;
    }
  }
  if (known && delivered) return { outcome: 'rejected', code: known.code };
  const error = failure instanceof Error ? failure : new Error(String(failure));
  return { outcome: 'error', error: { message: error.message, ...(error.stack ? { stack: error.stack } : {}) }, delivered };
}

async function render(context: ReplyContext, job: ReplyJob): Promise<SlackMessage> {
  const { reads, policy, main } = context;
  const today = DateTime.fromISO(job.today, { setZone: true });
  if (userGroupsStale({ policy, userGroups: reads.userGroups, inventory: reads.inventory }, today)) await main.refreshUserGroups();
  // The reader records refusals here; they reach the audit log (through the main thread) before the reply leaves.
  const refusals: Refusal[] = [];
  const reader = new InventoryReader({
    repo: reads.inventory,
    policy,
    refusals: { record: (refusal) => refusals.push(refusal) },
    userGroups: reads.userGroups,
  });
  const viewer = slackActor(job.viewer.userId, job.viewer.channelId);
  let reply: SlackMessage | null = null;
  let refused: unknown = null;
  try {
    reply = readReply({ ...reads, reader }, viewer, job.request, today, context.dueSoonDays);
  } catch (error) {
    refused = error;
  }
  if (refusals.length > 0) await main.recordRefusals(refusals);
  if (reply === null) throw refused;
  return reply;
}
