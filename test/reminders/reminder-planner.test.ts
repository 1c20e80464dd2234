import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, parsePolicy } from '../../src/config/policy.js';
import type { Secret } from '../../src/inventory/secret.js';
import type { LedgerEntry, Snooze } from '../../src/reminders/reminder.js';
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
    backupOwner: 'U0BACKUP',
    team: null,
    consumers: [],
    access: [],
    breakGlass: false,
    provider: 'manual',
    providerRef: null,
    intervalDays: 90,
    lastRotated: null,
    nextRotation,
    lifecycle: 'active',
    retrievalInstructions: null,
    tags: {},
    checklistOverride: null,
    valueSource: null,
    valueField: null,
    target: null,
    currentVersionId: null,
    currentFingerprint: null,
    createdAt: '2026-11-22T00:00:00.000Z',
    updatedAt: '2026-11-22T00:00:00.000Z',
  };
}

const plan = (due: string, at: string) =>
  planReminders([{ secret: secret(due), ledger: [], snoozes: [] }], DateTime.fromISO(at, { zone: 'utc' }), defaultPolicy, utc).map(
    (reminder) => reminder.key.kind,
  );

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

  it('a snooze follow-up never holds escalation back, and escalation never skips a level', () => {
    const sent = (kind: LedgerEntry['kind'], recipient: string, sentAt: string, id: number): LedgerEntry => ({
      id,
      secretId: 1,
      cycle: '2026-11-01',
      kind,
      recipient,
      level: recipient === 'U0OWNER' ? 'owner' : 'backup_owner',
      state: 'sent',
      claimToken: 'x',
      claimedAt: sentAt,
      attempts: 1,
      channel: 'D1',
      messageTs: '1.1',
      sentAt,
      lastError: null,
    });
    const snoozes: Snooze[] = [{ secretId: 1, cycle: '2026-11-01', seq: 1, snoozedBy: 'U0OWNER', untilDate: '2026-11-08' }];
    const policy = parsePolicy('roles:\n  security_leads: [U0SEC]\n');
    const at = (when: string, ledger: LedgerEntry[]) =>
      planReminders([{ secret: secret('2026-11-01'), ledger, snoozes }], DateTime.fromISO(when, { zone: 'utc' }), policy, utc).map(
        (reminder) => `${reminder.key.kind} ${reminder.recipient}`,
      );
    const due = sent('due', 'U0OWNER', '2026-11-01T09:00:00.000Z', 1);
    // Down from the 2nd to the 9th: the backup's escalation (due the 4th) comes first, the snooze follow-up next.
    expect(at('2026-11-09T10:00:00Z', [due])).toEqual(['overdue:1 U0BACKUP']);
    const escalated = sent('overdue:1', 'U0BACKUP', '2026-11-09T10:00:00.000Z', 2);
    expect(at('2026-11-09T10:15:00Z', [due, escalated])).toEqual(['snooze:1 U0OWNER']);
    // The next level (security) comes escalate_every_days after the backup was reached, not after the due date.
    const followedUp = sent('snooze:1', 'U0OWNER', '2026-11-09T10:15:00.000Z', 3);
    expect(at('2026-11-11T10:00:00Z', [due, escalated, followedUp])).toEqual([]);
    expect(at('2026-11-12T10:00:00Z', [due, escalated, followedUp])).toEqual(['overdue:2 U0SEC']);
  });
});
