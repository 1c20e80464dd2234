import type { DateTime } from 'luxon';
import type { Actor } from '../../access/actor.js';
import type { InventoryReader } from '../../inventory/inventory-reader.js';
import type { WarningWindow } from '../../inventory/schedule.js';
import { decodeListQuery, fetchListPage, type ListQuery, type ListSource } from '../listeners/commands/secret-list-query.js';
import type { SecretsRequest } from '../listeners/commands/secrets-command-parser.js';
import { escapeMrkdwn } from '../views/mrkdwn.js';
import { secretDetailMessage } from '../views/secret-detail-message.js';
import { secretListMessage } from '../views/secret-list-message.js';
import { textMessage, type SlackMessage } from '../views/slack-message.js';

/**
 * A request whose whole answer is read from the inventory and posted to its response_url: a
 * list page (`/secrets overdue|due|list`), the next page ("Show more", its button value not yet
 * decoded) or one secret (`/secrets show`). It changes nothing but the audit of a refusal, so any
 * connection may read its answer, a reply worker's read-only one included; it is plain data, so
 * it crosses to a worker as is.
 */
export type ReadRequest =
  | { kind: 'page'; query: ListQuery }
  | { kind: 'more'; value: string }
  | { kind: 'show'; name: string; problem?: string };

/** What answering a read request needs: the reads, and the visibility rules every surface goes through. */
export interface ReadSource extends ListSource {
  reader: Pick<InventoryReader, 'listScope' | 'readable' | 'suggestNames'>;
}

/** The read request a parsed `/secrets` command is, or null when it does more than read (or is help, which reads nothing). */
export function readRequestOf(request: SecretsRequest): ReadRequest | null {
  switch (request.kind) {
    case 'overdue':
      return { kind: 'page', query: { kind: 'overdue', offset: 0 } };
    case 'due':
      return { kind: 'page', query: { kind: 'due', days: request.days, offset: 0 } };
    case 'list':
      return {
        kind: 'page',
        query: { kind: 'list', environment: request.environment, owner: request.owner, service: request.service, offset: 0 },
      };
    case 'show':
      return { kind: 'show', name: request.name, ...(request.problem !== undefined ? { problem: request.problem } : {}) };
    default:
      return null;
  }
}

/**
 * The answer to a read request, as `viewer` may see it (InventoryReader: a list holds only the
 * secrets they may read, a secret they may not is refused as if it did not exist, and the refusal
 * recorded). Throws what the person should be told (an unknown name, an outdated button, a refusal).
 */
export function readReply(
  source: ReadSource,
  viewer: Actor,
  request: ReadRequest,
  today: DateTime,
  dueSoonDays: WarningWindow,
): SlackMessage {
  switch (request.kind) {
    case 'page':
      return listReply(source, viewer, request.query, today, dueSoonDays);
    case 'more':
      // The next page is judged for whoever clicked, not whoever ran the command.
      return listReply(source, viewer, decodeListQuery(request.value), today, dueSoonDays);
    case 'show':
      if (request.problem) return partialNameReply(request.problem, source.reader.suggestNames(viewer, request.name));
      return secretDetailMessage(source.reader.readable(viewer, request.name), today, dueSoonDays);
  }
}

function listReply(source: ReadSource, viewer: Actor, query: ListQuery, today: DateTime, dueSoonDays: WarningWindow): SlackMessage {
  const page = fetchListPage(source, query, source.reader.listScope(viewer), today, dueSoonDays);
  return secretListMessage(page, today, dueSoonDays);
}

/** `/secrets show` of text that is not a whole name: why, and the names it is closest to or part of. */
function partialNameReply(problem: string, suggestions: readonly string[]): SlackMessage {
  return textMessage(
    `:warning: ${escapeMrkdwn(problem)}${suggestions.length > 0 ? ` Did you mean: ${suggestions.map(escapeMrkdwn).join(', ')}?` : ''}`,
  );
}

/** The main thread's read source: the bot's own connection and InventoryReader. */
export function readSourceOf(services: {
  inventory: ReadSource['inventory'];
  rotationNeeds: ReadSource['needs'];
  inventoryReader: ReadSource['reader'];
}): ReadSource {
  return { inventory: services.inventory, needs: services.rotationNeeds, reader: services.inventoryReader };
}
