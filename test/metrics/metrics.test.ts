import { randomBytes } from 'node:crypto';
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
      const registry = createMetricsRegistry({
        countByStatus: () => store.inventory.statusCounts(now, 30),
        countOverdue: () => store.inventory.countOverdue(now),
      });
      const text = await registry.metrics();
      expect(text).toContain('rotor_secrets{status="overdue"} 1');
      expect(text).toContain('rotor_secrets{status="rotating"} 1');
      expect(text).toContain('rotor_secrets_overdue 2');
    } finally {
      store.close();
    }
  });
});

describe('the Slack API error counter', () => {
  it('labels a call by its Web API method, and anything else (a response_url with its token) as other', async () => {
    const { createInstrumentedFetch } = await import('../../src/slack/instrumented-fetch.js');
    const { createRotorCounters } = await import('../../src/metrics/metrics.js');
    const counters = createRotorCounters();
    const failing = createInstrumentedFetch(counters, async () => new Response('{}', { status: 500 }));
    const secretPart = randomBytes(12).toString('hex');
    await failing(`http://127.0.0.1:9/actions/T0/1234/${secretPart}`);
    await failing('http://127.0.0.1:9/api/chat.postMessage');
    const text = await counters.registry.metrics();
    expect(text).not.toContain(secretPart);
    expect(text).toContain('rotor_slack_api_errors_total{method="other",error="http_500"}');
    expect(text).toContain('rotor_slack_api_errors_total{method="chat.postMessage",error="http_500"}');
  });
});
