import type { DateTime } from 'luxon';
import { ValidationError } from '../../../core/errors.js';
import type { ReadScope } from '../../../access/visibility.js';
import type { InventoryRepo, SecretFilter } from '../../../inventory/inventory-repo.js';
import type { WarningWindow } from '../../../inventory/schedule.js';
import type { Secret } from '../../../inventory/secret.js';
import type { RotationNeed } from '../../../rotation-needs/rotation-need.js';
import { LIMITS } from '../../views/block-kit-limits.js';
import { mention } from '../../views/mrkdwn.js';
import { PAGE_SIZE, type ListPage } from '../../views/secret-list-message.js';

/** The reads a list page needs: on the main connection, or on a reply worker's read-only one. */
export interface ListSource {
  inventory: Pick<InventoryRepo, 'overdue' | 'dueWithin' | 'list' | 'countOverdue'>;
  needs: { openFor(secretIds: readonly number[]): Map<number, RotationNeed[]> };
}

/** A paginated list request; it travels in the "Show more" button's value as compact JSON. */
export type ListQuery =
  | { kind: 'overdue'; offset: number }
  | { kind: 'due'; days: number; offset: number }
  | { kind: 'list'; environment?: string; owner?: string; service?: string; offset: number };

export function encodeListQuery(query: ListQuery): string {
  const value = JSON.stringify(query);
  if (value.length > LIMITS.buttonValue) throw new Error('list query does not fit a button value');
  return value;
}

export function decodeListQuery(value: string): ListQuery {
  try {
    return parseListQuery(JSON.parse(value));
  } catch (cause) {
    throw new ValidationError('That "Show more" button is from an older Rotor; run the command again.', [], { cause });
  }
}

/**
 * A button value's query, checked field by field (unknown fields dropped). Written out rather
 * than declared with zod: this runs in the reply workers, where zod alone would be most of a
 * worker's memory (about 14 MB resident).
 */
function parseListQuery(raw: unknown): ListQuery {
  const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const offset = wholeNumber(fields.offset, 0, Number.MAX_SAFE_INTEGER, 'offset');
  switch (fields.kind) {
    case 'overdue':
      return { kind: 'overdue', offset };
    case 'due':
      return { kind: 'due', days: wholeNumber(fields.days, 1, 365, 'days'), offset };
    case 'list': {
      const environment = optionalText(fields.environment, 'environment');
      const owner = fields.owner;
      if (owner !== undefined && (typeof owner !== 'string' || !/^[UW][A-Z0-9]+$/.test(owner))) throw new Error('owner is not a user id');
      const service = optionalText(fields.service, 'service');
      return {
        kind: 'list',
        ...(environment !== undefined ? { environment } : {}),
        ...(owner !== undefined ? { owner } : {}),
        ...(service !== undefined ? { service } : {}),
        offset,
      };
    }
    default:
      throw new Error('unknown list kind');
  }
}

function wholeNumber(value: unknown, least: number, most: number, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least || value > most)
    throw new Error(`${name} is not a whole number from ${least} to ${most}`);
  return value;
}

function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 64) throw new Error(`${name} is not text of at most 64 characters`);
  return value;
}

function titleOf(query: ListQuery, total: number | undefined): string {
  switch (query.kind) {
    case 'overdue':
      return total === undefined ? 'Overdue secrets' : `Overdue secrets: ${total}`;
    case 'due':
      return `Secrets due within ${query.days} days`;
    case 'list': {
      const parts = [query.environment, query.service].filter((part) => part !== undefined);
      return `Secrets${parts.length > 0 ? ` in ${parts.join(' ')}` : ''}`;
    }
  }
}

function emptyTextOf(query: ListQuery): string {
  switch (query.kind) {
    case 'overdue':
      return 'Nothing is overdue. :tada:';
    case 'due':
      return `Nothing is due within ${query.days} days.`;
    case 'list':
      return 'No secrets match. `/secrets list` with no filter shows them all.';
  }
}

/**
 * Reads one page (one extra row tells whether there is a next page) of the secrets `scope` lets
 * the viewer see: the rows, the "Show more" button and the overdue count alike.
 */
export function fetchListPage(
  source: ListSource,
  query: ListQuery,
  scope: ReadScope,
  today: DateTime,
  dueSoonDays: WarningWindow,
): ListPage {
  const { inventory, needs } = source;
  const page = { limit: PAGE_SIZE + 1, offset: query.offset };
  let rows: Secret[];
  switch (query.kind) {
    case 'overdue':
      rows = inventory.overdue(today, page, scope);
      break;
    case 'due':
      rows = inventory.dueWithin(query.days, today, page, scope);
      break;
    case 'list': {
      const filter: SecretFilter = { environment: query.environment, owner: query.owner, service: query.service, scope };
      rows = inventory.list(filter, today, dueSoonDays, page);
      break;
    }
  }
  const hasMore = rows.length > PAGE_SIZE;
  const total = query.kind === 'overdue' ? inventory.countOverdue(today, scope) : undefined;
  const filters = [
    ...(query.kind === 'list' && query.owner ? [`Owned or backed up by ${mention(query.owner)}`] : []),
    ...(scope.kind === 'some' ? ['Only the secrets you may see'] : []),
  ];
  return {
    title: titleOf(query, total),
    ...(total !== undefined ? { total } : {}),
    rotateButtons: query.kind !== 'list',
    secrets: rows.slice(0, PAGE_SIZE),
    needs: needs.openFor(rows.slice(0, PAGE_SIZE).map((secret) => secret.id)),
    offset: query.offset,
    moreValue: hasMore ? encodeListQuery({ ...query, offset: query.offset + PAGE_SIZE }) : null,
    // An empty answer for someone who sees part of the inventory says so, not that all is well.
    emptyText: scope.kind === 'some' ? `${emptyTextOf(query)} (Only the secrets you may see.)` : emptyTextOf(query),
    ...(filters.length > 0 ? { filterText: filters.join(' · ') } : {}),
  };
}
