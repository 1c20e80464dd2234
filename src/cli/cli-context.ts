import { DateTime } from 'luxon';
import { loadCoreEnv } from '../config/env.js';
import { loadPolicy } from '../config/policy.js';
import { FixedClock, systemClock, type Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { createServices, type Services } from '../services.js';
import { openDatabase } from '../storage/database.js';

/** What a CLI command needs from its surroundings; tests pass their own. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  write(text: string): void;
  /** Opens the database named by ROTOR_DB with the policy of ROTOR_CONFIG. */
  open(clock: Clock): Services & { close(): void };
}

export function processCliContext(): CliContext {
  return {
    env: process.env,
    write: (text) => process.stdout.write(text),
    open(clock) {
      const env = loadCoreEnv(process.env);
      const db = openDatabase(env.ROTOR_DB);
      return { ...createServices(db, clock, loadPolicy(env.ROTOR_CONFIG)), close: () => db.close() };
    },
  };
}

/**
 * `--at` for rehearsals: an ISO instant, or a date meaning noon UTC that day (after the
 * delivery hour in most zones, so a date shows that day's reminders).
 */
export function clockAt(at: string | undefined): Clock {
  if (at === undefined) return systemClock;
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(at) ? DateTime.fromISO(`${at}T12:00:00`, { zone: 'utc' }) : DateTime.fromISO(at, { setZone: true });
  if (!parsed.isValid) {
    throw new ValidationError(`--at ${at} is not a date or time.`, [{ where: '--at', message: 'use a date such as 2027-01-24 or an instant such as 2027-01-24T09:00:00Z' }]);
  }
  return new FixedClock(parsed);
}
