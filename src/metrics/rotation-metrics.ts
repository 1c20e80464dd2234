import { Counter, Gauge, Histogram, Registry } from './prometheus.js';
import type { RotationRepo } from '../rotation/rotation-repo.js';
import type { RotationEvent } from '../rotation/rotation-service.js';
import type { RotorCounters } from './metrics.js';

/** The rotation service's onEvent: counts what happens, by kind, on the runtime's counters. */
export function rotationEventCounter({
  registry,
  rotationsCompleted,
}: Pick<RotorCounters, 'registry' | 'rotationsCompleted'>): (event: RotationEvent) => void {
  const rotationEvents = new Counter({
    name: 'rotor_rotations_total',
    help: 'Guided rotations by what happened to them: started, completed, abandoned, rejected, rolled_back',
    labelNames: ['event', 'kind'] as const,
    registers: [registry],
  });
  const timeToComplete = new Histogram({
    name: 'rotor_rotation_duration_seconds',
    help: 'Time from starting a rotation to completing it',
    labelNames: ['kind'] as const,
    // From ten minutes to two weeks: rotations with people in the loop take hours to days.
    buckets: [600, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400],
    registers: [registry],
  });
  return (event) => {
    rotationEvents.inc({ event: event.kind, kind: event.rotation.kind });
    if (event.kind === 'completed') {
      rotationsCompleted.inc({ provider: event.rotation.provider });
      if (event.durationSeconds !== undefined) timeToComplete.observe({ kind: event.rotation.kind }, event.durationSeconds);
    }
  };
}

/** rotor_rotations_open, read from the database at scrape time. */
export function createRotationMetrics(repo: RotationRepo): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'rotor_rotations_open',
    help: 'Rotations started and not yet completed, abandoned or rejected',
    registers: [registry],
    collect() {
      this.set(repo.countOpen());
    },
  });
  return registry;
}
