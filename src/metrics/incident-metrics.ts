import { Counter, Gauge, Histogram, Registry } from './prometheus.js';
import type { RevocationService, IncidentMetricEvent } from '../revocation/revocation-service.js';
import type { RotorCounters } from './metrics.js';

// From a minute to two days: a page is acknowledged in minutes, an emergency rotation takes hours.
const buckets = [60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 2 * 86400];

/** The revocation service's onEvent: incidents opened and closed, and the times to each milestone, on the runtime's counters. */
export function incidentEventCounter({ registry }: Pick<RotorCounters, 'registry'>): (event: IncidentMetricEvent) => void {
  const incidents = new Counter({
    name: 'rotor_incidents_total',
    help: 'Emergency revocations opened and closed',
    labelNames: ['event', 'severity'] as const,
    registers: [registry],
  });
  const timeTo = {
    acknowledged: new Histogram({
      name: 'rotor_incident_time_to_acknowledge_seconds',
      help: 'From /revoke to the first acknowledgement of a page',
      labelNames: ['severity'] as const,
      buckets,
      registers: [registry],
    }),
    disabled: new Histogram({
      name: 'rotor_incident_time_to_disable_seconds',
      help: 'From /revoke to the compromised version disabled at the provider',
      labelNames: ['severity'] as const,
      buckets,
      registers: [registry],
    }),
    rotated: new Histogram({
      name: 'rotor_incident_time_to_rotate_seconds',
      help: 'From /revoke to the emergency rotation completed',
      labelNames: ['severity'] as const,
      buckets,
      registers: [registry],
    }),
  };
  return (event) => {
    const severity = event.incident.severity;
    if ('seconds' in event) timeTo[event.kind].observe({ severity }, event.seconds);
    else incidents.inc({ event: event.kind, severity });
  };
}

/** rotor_incidents_open, read from the database at scrape time. */
export function createIncidentMetrics(revocation: Pick<RevocationService, 'countOpen'>): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'rotor_incidents_open',
    help: 'Incidents opened by /revoke and not yet closed',
    registers: [registry],
    collect() {
      this.set(revocation.countOpen());
    },
  });
  return registry;
}
