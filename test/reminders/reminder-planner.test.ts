import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../src/config/policy.js';
import type { Secret } from '../../src/inventory/secret.js';
import { planReminders, type PeopleDirectory } from '../../src/reminders/reminder-planner.js';

const utc: PeopleDirectory = { zoneOf: () => 'UTC', isGone: () => false };

function secret(nextRotation: string): Secret {
  return {
    id: 1,
    name: 'prod/openai/api_key',
    environment: 'prod',
    service: 'openai',
    credentialType: 'api_key',
    type: 'api_key',
    description: null,
    owner: 'U0OWNER',
    backupOwner: null,
    team: null,
    consumers: [],
    provider: 'manual',
    providerRef: null,
    intervalDays: 90,
    lastRotated: null,
    nextRotation,
    lifecycle: 'active',
    retrievalInstructions: null,
    tags: {},
    checklistOverride: null,
    currentVersionId: null,
    currentFingerprint: null,
    createdAt: '2026-11-22T00:00:00.000Z',
    updatedAt: '2026-11-22T00:00:00.000Z',
  };
}

const plan = (due: string, at: string) =>
  planReminders([{ secret: secret(due), ledger: [], snoozes: [] }], DateTime.fromISO(at, { zone: 'utc' }), defaultPolicy, utc).map((reminder) => reminder.key.kind);

describe('reminder planner', () => {
  it('sends the most relevant warning after downtime', () => {
    expect(plan('2026-11-27', '2026-11-22T10:00:00Z')).toEqual(['warning:7']);
    expect(plan('2026-12-15', '2026-11-22T10:00:00Z')).toEqual(['warning:30']);
    expect(plan('2026-12-30', '2026-11-22T10:00:00Z')).toEqual([]);
  });

  it('does not tell an owner a secret due today is due in 7 days: it waits for the due-day hour', () => {
    expect(plan('2026-11-22', '2026-11-22T00:00:00Z')).toEqual([]);
    expect(plan('2026-11-22', '2026-11-22T09:00:00Z')).toEqual(['due']);
  });
});
