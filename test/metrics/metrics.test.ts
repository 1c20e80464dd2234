import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/metrics/metrics.js';
import { openTempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

describe('/metrics inventory gauges', () => {
  it('counts a rotating secret past its due date as overdue, while its status stays rotating', async () => {
    const store = openTempStore({ at: '2026-11-22T10:00:00Z' });
    try {
      store.inventoryService.create({ name: 'prod/app/db', lastRotated: '2026-01-01', intervalDays: 90 }, operator('U1'), 'test');
      store.inventoryService.create({ name: 'prod/app/key', lastRotated: '2026-01-01', intervalDays: 90 }, operator('U1'), 'test');
      store.inventoryService.setLifecycle('prod/app/key', 'rotating', operator('U1'));
      const now = store.clock.now();
      const registry = createMetricsRegistry({ countByStatus: () => store.inventory.statusCounts(now, 30), countOverdue: () => store.inventory.countOverdue(now) });
      const text = await registry.metrics();
      expect(text).toContain('rotor_secrets{status="overdue"} 1');
      expect(text).toContain('rotor_secrets{status="rotating"} 1');
      expect(text).toContain('rotor_secrets_overdue 2');
    } finally {
      store.close();
    }
  });
});
