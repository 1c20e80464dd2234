import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type Policy } from '../../src/config/policy.js';
import { toUtcDate } from '../../src/inventory/schedule.js';
import { secretFromRow, type SecretRow } from '../../src/inventory/secret-row.js';
import type { Secret } from '../../src/inventory/secret.js';
import { RecipientDirectoryRepo } from '../../src/reminders/recipient-directory-repo.js';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { planReminders, type PlannerCandidate } from '../../src/reminders/reminder-planner.js';
import { ReminderSweepService } from '../../src/reminders/reminder-sweep-service.js';
import { RotationNeedRepo } from '../../src/rotation-needs/rotation-need-repo.js';
import { formatKey, type OwedReminder } from '../../src/reminders/reminder.js';
import { buildReminderDigest, buildReminderMessage } from '../../src/slack/views/reminder-message.js';
import { SweepLogRepo } from '../../src/storage/sweep-log-repo.js';
import { operator } from '../support/actors.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

const POLICY = [
  'reminders:',
  '  offsets_days: [30, 7]',
  '  escalation: [owner, backup_owner, team_lead, security]',
  'roles:',
  '  security_leads: [U0SEC]',
  '  team_leads:',
  '    payments: U0LEADPAY',
  '    platform: U0LEADPLAT',
  '',
].join('\n');

/** What the sweep reads of a secret: the planner's fields and those a reminder message shows. */
const NARROW_FIELDS = [
  'backupOwner',
  'consumers',
  'environment',
  'id',
  'lastRotated',
  'lifecycle',
  'name',
  'nextRotation',
  'owner',
  'team',
  'updatedAt',
];

const LIFECYCLES = ['active', 'active', 'compromised', 'rotating', 'retired'] as const;

/**
 * The sweep's candidates are read with only the columns its decisions need (id, name, lifecycle,
 * next rotation, last change, owner, backup owner, team) and those its messages show
 * (environment, last rotated, consumers), not whole. What it plans must be exactly what whole
 * rows planned: the same reminders, in the same order, and the same messages.
 */
describe('the sweep plans from narrow candidate rows exactly what whole rows planned', () => {
  let store: TempStore;
  let policy: Policy;
  let ledger: ReminderLedgerRepo;

  beforeEach(() => {
    policy = parsePolicy(POLICY);
    store = openTempStore({ policy });
    ledger = new ReminderLedgerRepo(store.db);
  });
  afterEach(() => store.close());

  const day = (offset: number) => toUtcDate(store.clock.now().plus({ days: offset }));
  const instant = (offset: number) => store.clock.now().plus({ days: offset }).toUTC().toISO() as string;

  /** Sixty secrets: due from 40 days overdue to 45 days ahead, every reminded lifecycle and retired, owners and teams or none, tags, needs, sent reminders, snoozes. */
  const seed = () => {
    const needs = new RotationNeedRepo(store.db);
    for (let i = 0; i < 60; i += 1) {
      const name = `prod/svc${i}/key`;
      store.inventoryService.create(
        {
          name,
          owner: i % 7 === 0 ? null : `U0OWN${i % 5}`,
          backupOwner: i % 3 === 0 ? `U0BAK${i % 4}` : null,
          team: ['payments', 'platform', null][i % 3],
          tags: i % 4 === 0 ? { 'rotor:rotation': 'manual', tier: `t${i % 3}` } : {},
          consumers: [`app${i % 6}`],
        },
        operator(),
        'test',
      );
      const lifecycle = LIFECYCLES[i % LIFECYCLES.length] as string;
      const due = day(((i * 17) % 86) - 40);
      store.db
        .prepare('UPDATE secrets SET next_rotation = ?, lifecycle = ?, updated_at = ?, last_rotated = ? WHERE name = ?')
        .run(due, lifecycle, instant(-(i % 11)), i % 4 === 0 ? null : instant(-90 - i), name);
      const id = (store.db.prepare('SELECT id FROM secrets WHERE name = ?').get(name) as { id: number }).id;
      if (i % 6 === 1) {
        needs.add(
          {
            secretId: id,
            reason: i % 12 === 1 ? 'break_glass_use' : 'personnel_change',
            dueAt: instant((i % 9) - 3),
            person: 'U0GONE',
            detail: null,
            origin: `test:${i}`,
          },
          'rotor',
          instant(-1),
        );
      }
      if (i % 4 === 1 && due < day(0)) {
        const token = randomUUID();
        const key = { secretId: id, cycle: due, kind: 'due' as const };
        ledger.claim([{ key, recipient: `U0OWN${i % 5}`, level: 'owner' }], token, instant(-(i % 8) - 1));
        ledger.markSent([key], token, { channel: 'D0DM', ts: `${i}.000100` }, instant(-(i % 8) - 1));
      }
      // A snooze after a sent due-day notice (its follow-up owed before the first escalation), and snoozes alone.
      const snoozedUntil = i % 8 === 1 && due < day(-1) ? day(-1) : i % 9 === 2 ? day((i % 5) - 1) : null;
      if (snoozedUntil !== null) {
        store.db
          .prepare('INSERT INTO reminder_snoozes (secret_id, cycle, seq, snoozed_by, until_date, created_at) VALUES (?, ?, 1, ?, ?, ?)')
          .run(id, due, `U0OWN${i % 5}`, snoozedUntil, instant(-2));
      }
    }
  };

  it('reads the candidates narrow, and plans the same reminders with the same whole secrets as whole rows did', () => {
    seed();
    const sweeper = new ReminderSweepService({
      ledger,
      directory: new RecipientDirectoryRepo(store.db),
      sweepLog: new SweepLogRepo(store.db),
      notifier: null as never,
      audit: store.audit,
      clock: store.clock,
      policy,
    });
    const until = day(31);
    const narrow = ledger.candidates(until);
    const whole = new Map(
      (store.db.prepare('SELECT * FROM secrets').all() as SecretRow[]).map((row) => [row.id, secretFromRow(row)] as [number, Secret]),
    );

    // The candidates are the secrets the whole-row conditions pick, in next-rotation then name order.
    const openNeedIds = new Set(
      store.db.prepare('SELECT secret_id FROM open_rotation_needs WHERE substr(due_at, 1, 10) <= ?').pluck().all(until) as number[],
    );
    const expected = [...whole.values()]
      .filter(
        (secret) =>
          (secret.lifecycle === 'active' && (secret.nextRotation <= until || openNeedIds.has(secret.id))) ||
          secret.lifecycle === 'compromised' ||
          secret.lifecycle === 'rotating',
      )
      .sort((a, b) => a.nextRotation.localeCompare(b.nextRotation) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    expect(narrow.map((candidate) => candidate.secret.id)).toEqual(expected.map((secret) => secret.id));
    expect(new Set(narrow.map((candidate) => candidate.secret.lifecycle))).toEqual(new Set(['active', 'compromised', 'rotating']));

    // Each narrow secret holds the whole secret's values of the fields it has, and only those.
    for (const { secret } of narrow) {
      expect(Object.keys(secret).sort()).toEqual(NARROW_FIELDS);
      const full = whole.get(secret.id) as Secret;
      expect(secret).toEqual(Object.fromEntries(Object.keys(secret).map((field) => [field, full[field as keyof Secret]])));
    }

    // Planned from whole rows, as before: the same reminders in the same order, and the same messages.
    const fromWhole: PlannerCandidate[] = narrow.map((candidate) => ({ ...candidate, secret: whole.get(candidate.secret.id) as Secret }));
    const people = { zoneOf: () => 'UTC', isGone: () => false };
    const planned = planReminders(fromWhole, store.clock.now(), policy, people);
    const previewed = sweeper.preview();
    expect(planned.length).toBeGreaterThan(10);
    expect(new Set(planned.map((reminder) => reminder.key.kind.split(':')[0]))).toEqual(new Set(['warning', 'due', 'overdue', 'snooze']));
    expect(previewed.map(({ secret, ...rest }) => ({ ...rest, secretId: secret.id }))).toEqual(
      planned.map(({ secret, ...rest }) => ({ ...rest, secretId: secret.id })),
    );
    const keys = planned.map((reminder) => formatKey(reminder.key));
    previewed.forEach((reminder, index) => {
      expect(buildReminderMessage(reminder, keys[index] as string)).toEqual(
        buildReminderMessage(planned[index] as OwedReminder, keys[index] as string),
      );
    });
    expect(buildReminderDigest(previewed, keys)).toEqual(buildReminderDigest(planned, keys));
  });
});
