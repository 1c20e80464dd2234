import { expect } from 'vitest';
import { importRows, parseRows } from '../../src/import-export/import-service.js';
import { operator } from './actors.js';
import type { TempStore } from './temp-db.js';

/**
 * Imports one secret owned by U0PAY on a 90-day interval, last rotated `daysAgo` days before the
 * store's clock (200: overdue), through the inventory import an operator runs.
 */
export function importOwnedSecret(store: TempStore, { name = 'prod/billing/webhook_token', daysAgo = 200 } = {}): void {
  const lastRotated = store.clock.now().minus({ days: daysAgo }).toISODate() as string;
  const inventory = `- name: ${name}\n  owner: U0PAY\n  last_rotated: ${lastRotated}\n  interval_days: 90\n`;
  const report = importRows(parseRows('yaml', inventory, store), store, { actor: operator('U0ADMIN'), source: 'inventory.yml' });
  expect(report.written).toBe(true);
}
