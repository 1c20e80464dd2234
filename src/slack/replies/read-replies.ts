import type { DateTime } from 'luxon';
import type { InventoryRepo } from '../../inventory/inventory-repo.js';
import { requireSecret } from '../../inventory/require-secret.js';
import type { WarningWindow } from '../../inventory/schedule.js';
import { decodeListQuery, fetchListPage, type ListQuery } from '../listeners/commands/secret-list-query.js';
import type { SecretsRequest } from '../listeners/commands/secrets-command-parser.js';
import { escapeMrkdwn } from '../views/mrkdwn.js';
import { secretDetailMessage } from '../views/secret-detail-message.js';
import { secretListMessage } from '../views/secret-list-message.js';
import { textMessage, type SlackMessage } from '../views/slack-message.js';

/**
 * A request whose whole answer is read from the inventory and posted to its response_url: a
 * list page (`/secrets overdue|due|list`), the next page ("Show more", its button value not yet
 * decoded) or one secret (`/secrets show`). It changes nothing, so any connection may answer it,
 * a reply worker's read-only one included; it is plain data, so it crosses to a worker as is.
 */
export type ReadRequest = { kind: 'page'; query: ListQuery } | { kind: 'more'; value: string } | { kind: 'show'; name: string; problem?: string };

/** What answering a read request needs: reads only. */
export type ReadSource = Pick<InventoryRepo, 'overdue' | 'dueWithin' | 'list' | 'countOverdue' | 'get' | 'suggestNames'>;

/** The read request a parsed `/secrets` command is, or null when it does more than read (or is help, which reads nothing). */
export function readRequestOf(request: SecretsRequest): ReadRequest | null {
  switch (request.kind) {
    case 'overdue':
      return { kind: 'page', query: { kind: 'overdue', offset: 0 } };
    case 'due':
      return { kind: 'page', query: { kind: 'due', days: request.days, offset: 0 } };
    case 'list':
      return { kind: 'page', query: { kind: 'list', environment: request.environment, owner: request.owner, service: request.service, offset: 0 } };
    case 'show':
      return { kind: 'show', name: request.name, ...(request.problem !== undefined ? { problem: request.problem } : {}) };
    default:
      return null;
  }
}

/** The answer to a read request. Throws what the person should be told (an unknown name, an outdated button). */
export function readReply(source: ReadSource, request: ReadRequest, today: DateTime, dueSoonDays: WarningWindow): SlackMessage {
  switch (request.kind) {
    case 'page':
      return secretListMessage(fetchListPage(source, request.query, today, dueSoonDays), today, dueSoonDays);
    case 'more':
      return secretListMessage(fetchListPage(source, decodeListQuery(request.value), today, dueSoonDays), today, dueSoonDays);
    case 'show':
      if (request.problem) return partialNameReply(request.problem, source.suggestNames(request.name));
      return secretDetailMessage(requireSecret(source, request.name), today, dueSoonDays);
  }
}

/** `/secrets show` of text that is not a whole name: why, and the names it is closest to or part of. */
function partialNameReply(problem: string, suggestions: readonly string[]): SlackMessage {
  return textMessage(`:warning: ${escapeMrkdwn(problem)}${suggestions.length > 0 ? ` Did you mean: ${suggestions.map(escapeMrkdwn).join(', ')}?` : ''}`);
}
