import type { DateTime } from 'luxon';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import { daysUntil } from '../inventory/schedule.js';
import type { SecretHistoryRepo } from '../inventory/secret-history-repo.js';
import type { ReminderLedgerRepo } from './reminder-ledger-repo.js';
import type { ReminderNotifier } from './reminder-notifier.js';
import { kindLabel, type WeeklyDigest } from './reminder.js';
import { lifecycleDay } from './reminder-treatment.js';
import type { WeeklyDigestRepo } from './weekly-digest-repo.js';

/**
 * The weekly summary in the announcement channel: what was reminded, what is overdue and who
 * has not acted. One per ISO week, whichever process gets there first.
 */
export class WeeklyDigestService {
  constructor(
    private readonly deps: {
      digests: WeeklyDigestRepo;
      history: SecretHistoryRepo;
      ledger: ReminderLedgerRepo;
      inventory: InventoryRepo;
      notifier: ReminderNotifier;
      clock: Clock;
      policy: Policy;
    },
  ) {}

  build(now: DateTime = this.deps.clock.now()): WeeklyDigest {
    const until = now.toUTC();
    const since = until.minus({ days: 7 });
    const sent = this.deps.ledger.sentBetween(since.toISO() as string, until.toISO() as string);
    const remindedByKind: Record<string, number> = {};
    for (const entry of sent) remindedByKind[kindLabel(entry.kind)] = (remindedByKind[kindLabel(entry.kind)] ?? 0) + 1;
    const overdueSecrets = this.deps.inventory.overdue(until).filter((secret) => secret.lifecycle === 'active');
    const compromisedSecrets = this.deps.inventory.list({ status: 'compromised' }, until, 0);
    const markedAt = this.deps.history.enteredAt(
      compromisedSecrets.map((secret) => secret.name),
      'compromised',
    );
    const compromised = compromisedSecrets.map((secret) => ({
      name: secret.name,
      owner: secret.owner,
      markedOn: lifecycleDay(secret, markedAt.get(secret.name) ?? null),
    }));
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
      overdue: overdueSecrets.map((secret) => ({
        name: secret.name,
        owner: secret.owner,
        daysOverdue: -daysUntil(secret.nextRotation, until),
      })),
      compromised,
      notActed: [...notActed]
        .map(([user, secrets]) => ({ user, secrets: [...secrets].sort() }))
        .sort((a, b) => b.secrets.length - a.secrets.length),
    };
  }

  /** Posts this week's digest unless already posted; returns false when there is nothing to do. */
  async post(): Promise<boolean> {
    const channel = this.deps.policy.channels.announce;
    if (!channel) return false;
    const digest = this.build();
    if (!this.deps.digests.claim(digest.week, this.deps.clock.now().toUTC().toISO() as string, channel)) return false;
    try {
      const posted = await this.deps.notifier.postWeeklyDigest(channel, digest);
      this.deps.digests.markPosted(digest.week, posted.ts);
      return true;
    } catch (error) {
      this.deps.digests.release(digest.week);
      throw error;
    }
  }
}
