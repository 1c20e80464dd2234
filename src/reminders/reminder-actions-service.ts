import { DateTime } from 'luxon';
import type { AuditLog } from '../audit/audit-log.js';
import type { EscalationLevel, Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import { NotFoundError, RotorError, ValidationError } from '../core/errors.js';
import { findCredentialShape } from '../inventory/credential-shapes.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import { SLACK_USER_ID, type Secret } from '../inventory/secret.js';
import type { Db } from '../storage/database.js';
import type { ReminderLedgerRepo } from './reminder-ledger-repo.js';
import type { ReminderNotifier } from './reminder-notifier.js';
import { parseKey, type LedgerEntry, type ReminderKey } from './reminder.js';
import { snoozeChoices } from './snooze-rules.js';

export const MAX_NOTE_LENGTH = 500;

export interface ReminderTarget {
  key: ReminderKey;
  entry: LedgerEntry;
  secret: Secret;
}

/** What a "not mine" report says, for the renderer that turns it into the admins' message. */
export interface NotMineFacts {
  actor: string;
  secret: string;
  level: EscalationLevel;
  suggestedOwner: string | null;
  /** Free text the person typed: the renderer escapes it. */
  note: string | null;
}

export interface NotMineReport {
  secret: string;
  /** What the admins and security leads are told. */
  text: string;
  people: string[];
}

/**
 * What a person can do from a reminder DM: snooze it (bounded, audited) or say it is not
 * theirs (audited; admins and security are told who they say owns it). Permission is asked of
 * src/access by the caller, as everywhere else.
 */
export class ReminderActionsService {
  constructor(
    private readonly deps: { db: Db; ledger: ReminderLedgerRepo; inventory: InventoryRepo; audit: AuditLog; notifier: ReminderNotifier; clock: Clock; policy: Policy },
    private readonly renderNotMine: (facts: NotMineFacts) => string,
  ) {}

  /** Snoozes a reminder for `days`; the follow-up DM comes that day at the delivery hour. */
  snooze(keyText: string, days: number, actor: string): { secret: string; until: string; snoozesLeft: number } {
    const { key, entry, secret } = this.target(keyText);
    const today = this.deps.clock.now().toUTC().toISODate() as string;
    return this.deps.audit.record(() => {
      const used = this.deps.ledger.snoozes(key.secretId, key.cycle).length;
      const allowed = snoozeChoices(entry.kind, key.cycle, used, today);
      if (!allowed.includes(days)) {
        const why = used >= 2 ? 'it was already snoozed twice this cycle' : allowed.length === 0 ? 'it is due too soon' : `choose ${allowed.join(', ')} days`;
        throw new ValidationError(`Cannot snooze ${secret.name} for ${days} day${days === 1 ? '' : 's'}: ${why}.`, []);
      }
      const until = DateTime.fromISO(today, { zone: 'utc' }).plus({ days }).toISODate() as string;
      this.deps.db
        .prepare('INSERT INTO reminder_snoozes (secret_id, cycle, seq, snoozed_by, until_date, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(key.secretId, key.cycle, used + 1, actor, until, this.deps.clock.now().toUTC().toISO());
      return {
        result: { secret: secret.name, until, snoozesLeft: 2 - (used + 1) },
        events: [{ actor, action: 'reminder.snoozed', secret: secret.name, details: { kind: entry.kind, cycle: key.cycle, days, until, snooze: used + 1 } }],
      };
    });
  }

  /**
   * Records that `actor` says the secret is not theirs (validated, audited) and returns what to
   * tell the admins and security leads; `notify` sends it. Split so a modal can be answered
   * before the notifications go out.
   */
  reportNotMine(keyText: string, actor: string, suggestedOwner: string | null, note: string | null): NotMineReport {
    const { entry, secret } = this.target(keyText);
    if (suggestedOwner !== null && !SLACK_USER_ID.test(suggestedOwner)) {
      throw new ValidationError('The suggested owner must be a Slack user.', [{ where: 'right_owner', message: 'pick a person, or leave it empty if you do not know' }]);
    }
    if (suggestedOwner === actor) {
      throw new ValidationError('You said the secret is not yours, so the right owner must be someone else.', [{ where: 'right_owner', message: 'pick the person who owns it, or leave it empty if you do not know' }]);
    }
    if (note !== null && note.length > MAX_NOTE_LENGTH) {
      throw new ValidationError(`The note is longer than ${MAX_NOTE_LENGTH} characters.`, [{ where: 'note', message: `keep it under ${MAX_NOTE_LENGTH} characters` }]);
    }
    const shape = note === null ? null : findCredentialShape(note);
    if (shape) {
      throw new ValidationError(`The note looks like it holds ${shape}.`, [{ where: 'note', message: `it looks like it holds ${shape}: never paste a secret's value; say who owns it instead` }]);
    }
    const people = [...new Set([...this.deps.policy.roles.admins, ...this.deps.policy.roles.securityLeads])].filter((person) => person !== actor);
    this.deps.audit.log({
      actor,
      action: 'reminder.not_mine',
      secret: secret.name,
      details: { kind: entry.kind, cycle: entry.cycle, owner: secret.owner, suggestedOwner, note, notified: people },
    });
    const text = this.renderNotMine({ actor, secret: secret.name, level: entry.level, suggestedOwner, note });
    return { secret: secret.name, text, people };
  }

  /** Tells the admins and security leads; returns who was reached. */
  async notify(report: NotMineReport): Promise<string[]> {
    const notified: string[] = [];
    for (const person of report.people) {
      try {
        await this.deps.notifier.announce(person, report.text);
        notified.push(person);
      } catch {
        // One unreachable admin must not hide the report from the others; the audit event has it.
      }
    }
    return notified;
  }

  async notMine(keyText: string, actor: string, suggestedOwner: string | null, note: string | null): Promise<{ secret: string; notified: string[] }> {
    const report = this.reportNotMine(keyText, actor, suggestedOwner, note);
    return { secret: report.secret, notified: await this.notify(report) };
  }

  /**
   * The reminder behind a ledger key and its secret, while the reminder still stands. Who may
   * act on it is not decided here: callers ask src/access (`snooze` / `not_mine`) first.
   */
  target(keyText: string): ReminderTarget {
    const key = parseKey(keyText);
    const entry = key ? this.deps.ledger.find(key) : null;
    if (!key || !entry || entry.state !== 'sent') throw new NotFoundError('This reminder is no longer known to Rotor.');
    const name = this.deps.db.prepare('SELECT name FROM secrets WHERE id = ?').pluck().get(key.secretId) as string | undefined;
    const secret = name ? this.deps.inventory.get(name) : null;
    if (!secret) throw new NotFoundError('The secret of this reminder no longer exists.');
    if (secret.nextRotation !== key.cycle || secret.lifecycle !== 'active') {
      throw new RotorError('conflict', `${secret.name} was rotated or changed since this reminder; nothing to do.`);
    }
    return { key, entry, secret };
  }
}
