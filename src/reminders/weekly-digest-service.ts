import type { DateTime } from 'luxon';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import { daysUntil } from '../inventory/schedule.js';
import { SecretHistoryRepo } from '../inventory/secret-history-repo.js';
import type { Db } from '../storage/database.js';
import type { ReminderLedgerRepo } from './reminder-ledger-repo.js';
import type { ReminderNotifier } from './reminder-notifier.js';
import { kindLabel } from './reminder.js';
import { lifecycleDay } from './reminder-treatment.js';

export interface WeeklyDigest {
  week: string;
  since: string;
  until: string;
  remindedByKind: Record<string, number>;
  overdue: { name: string; owner: string | null; daysOverdue: number }[];
  /** Compromised secrets not yet rotated, with the day each was marked. */
  compromised: { name: string; owner: string | null; markedOn: string }[];
  /** People reminded about a secret that is still overdue: they have not acted. */
  notActed: { user: string; secrets: string[] }[];
}

/**
 * The weekly summary in the announcement channel: what was reminded, what is overdue and who
 * has not acted. One per ISO week, whichever process gets there first.
 */
export class WeeklyDigestService {
  constructor(
    private readonly deps: { db: Db; ledger: ReminderLedgerRepo; inventory: InventoryRepo; notifier: ReminderNotifier; clock: Clock; policy: Policy },
    private readonly render: (digest: WeeklyDigest) => string,
  ) {}

  build(now: DateTime = this.deps.clock.now()): WeeklyDigest {
    const until = now.toUTC();
    const since = until.minus({ days: 7 });
    const sent = this.deps.ledger.sentBetween(since.toISO() as string, until.toISO() as string);
    const remindedByKind: Record<string, number> = {};
    for (const entry of sent) remindedByKind[kindLabel(entry.kind)] = (remindedByKind[kindLabel(entry.kind)] ?? 0) + 1;
    const overdueSecrets = this.deps.inventory.overdue(until).filter((secret) => secret.lifecycle === 'active');
    const compromisedSecrets = this.deps.inventory.list({ status: 'compromised' }, until, 0);
    const markedAt = new SecretHistoryRepo(this.deps.db).enteredAt(compromisedSecrets.map((secret) => secret.name), 'compromised');
    const compromised = compromisedSecrets.map((secret) => ({ name: secret.name, owner: secret.owner, markedOn: lifecycleDay(secret, markedAt.get(secret.name) ?? null) }));
    // Both lists are secrets someone was told to rotate and has not.
    const overdueNames = new Set([...overdueSecrets, ...compromisedSecrets].map((secret) => secret.name));
    const notActed = new Map<string, Set<string>>();
    for (const entry of sent) {
      if (!overdueNames.has(entry.secretName)) continue;
      notActed.set(entry.recipient, (notActed.get(entry.recipient) ?? new Set()).add(entry.secretName));
    }
    return {
      week: until.toFormat("kkkk-'W'WW"),
      since: since.toISODate() as string,
      until: until.toISODate() as string,
      remindedByKind,
      overdue: overdueSecrets.map((secret) => ({ name: secret.name, owner: secret.owner, daysOverdue: -daysUntil(secret.nextRotation, until) })),
      compromised,
      notActed: [...notActed].map(([user, secrets]) => ({ user, secrets: [...secrets].sort() })).sort((a, b) => b.secrets.length - a.secrets.length),
    };
  }

  /** Posts this week's digest unless already posted; returns false when there is nothing to do. */
  async post(): Promise<boolean> {
    const channel = this.deps.policy.channels.announce;
    if (!channel) return false;
    const digest = this.build();
    const claimed = this.deps.db
      .prepare('INSERT INTO reminder_weekly_digests (week, posted_at, channel) VALUES (?, ?, ?) ON CONFLICT (week) DO NOTHING')
      .run(digest.week, this.deps.clock.now().toUTC().toISO(), channel);
    if (claimed.changes === 0) return false;
    try {
      const delivery = await this.deps.notifier.announce(channel, this.render(digest));
      this.deps.db.prepare('UPDATE reminder_weekly_digests SET message_ts = ? WHERE week = ?').run(delivery.ts, digest.week);
      return true;
    } catch (error) {
      this.deps.db.prepare('DELETE FROM reminder_weekly_digests WHERE week = ?').run(digest.week);
      throw error;
    }
  }
}
