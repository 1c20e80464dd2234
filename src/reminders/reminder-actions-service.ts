import { membersOfRole, type GroupMembers } from '../access/role-members.js';
import { DateTime } from 'luxon';
import { actorId, type Actor } from '../access/actor.js';
import type { Authorizer } from '../access/authorize.js';
import type { Action } from '../access/permissions.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import { NotFoundError, RotorError, ValidationError } from '../core/errors.js';
import { findCredentialShape } from '../inventory/credential-shapes.js';
import { refuseUnsafeText } from '../inventory/free-text-guard.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { OwnershipService, OwnerTold } from '../inventory/ownership-service.js';
import { SLACK_USER_ID, type Secret } from '../inventory/secret.js';
import type { ReminderLedgerRepo } from './reminder-ledger-repo.js';
import type { ReminderNotifier } from './reminder-notifier.js';
import { parseKey, type LedgerEntry, type NotMine, type NotMineFacts, type NotMineRef, type ReminderKey } from './reminder.js';
import { isReminded } from './reminder-treatment.js';
import { snoozeChoices } from './snooze-rules.js';
import { dueDayOf, effectiveDueDay, isSnoozable } from '../rotation-needs/rotation-need.js';

export const MAX_NOTE_LENGTH = 500;

export interface ReminderTarget {
  key: ReminderKey;
  entry: LedgerEntry;
  secret: Secret;
}

export interface NotMineReport {
  facts: NotMineFacts;
  /** The admins and security leads to tell (nobody for a repeat). */
  people: string[];
  /** The person's first answer this cycle, when this one repeats it: nothing was recorded or told again. */
  earlier: NotMine | null;
}

/** What applying a suggested owner did. */
export interface SuggestedOwnerApplied {
  secret: string;
  owner: string;
  /** False when they already owned it. */
  changed: boolean;
  /** Whether the new owner was told by DM (null when nothing changed). */
  told: OwnerTold | null;
}

export interface ReminderActionsDeps {
  ledger: ReminderLedgerRepo;
  inventory: InventoryRepo;
  audit: AuditLog;
  authorizer: Authorizer;
  notifier: ReminderNotifier;
  ownership: OwnershipService;
  clock: Clock;
  policy: Policy;
  /** Who is in which Slack user group, so a group in a role list reaches its members. */
  groups?: GroupMembers;
}

/**
 * What a person can do from a reminder DM: snooze it (bounded, audited) or say it is not
 * theirs (once per cycle, audited; they are reminded no more about it in that cycle, and admins
 * and security are told who they say owns it, with a button that applies it). Each action is
 * authorized here against the reminder's secret: the people it reminds, and admins; applying the
 * suggested owner needs the right to change the owner.
 */
export class ReminderActionsService {
  constructor(private readonly deps: ReminderActionsDeps) {}

  /** Snoozes a reminder for `days`; the follow-up DM comes that day at the delivery hour. */
  snooze(keyText: string, days: number, actor: Actor): { secret: string; until: string; snoozesLeft: number } {
    const { key, entry, secret } = this.authorizedTarget(keyText, actor, 'snooze');
    const now = this.deps.clock.now();
    const today = now.toUTC().toISODate() as string;
    // Their reminders stopped when they said it is not theirs; a snooze would only spend the cycle's two.
    if (this.deps.ledger.findNotMine({ secretId: key.secretId, cycle: key.cycle, saidBy: actorId(actor) })) {
      throw new ValidationError(
        `You said ${secret.name} is not yours, so its reminders no longer come to you this cycle; nothing to snooze.`,
        [],
      );
    }
    const needs = this.deps.ledger.openNeeds(secret.id);
    const pressing = needs.find((need) => !isSnoozable(need.reason));
    if (pressing) {
      throw new ValidationError(
        `${secret.name} cannot be snoozed: it is a break-glass credential that was used (${pressing.createdAt.slice(0, 10)}), and it must be rotated by ${dueDayOf(pressing)}.`,
        [],
        { next: { kind: 'run_command', command: 'rotate', args: [secret.name], lead: 'start the rotation instead:' } },
      );
    }
    const dueDate = effectiveDueDay(key.cycle, needs);
    return this.deps.audit.record(() => {
      const used = this.deps.ledger.snoozes(key.secretId, key.cycle).length;
      const allowed = snoozeChoices(entry.kind, key.cycle, used, today, dueDate);
      if (!allowed.includes(days)) {
        const why =
          used >= 2
            ? 'it was already snoozed twice this cycle'
            : allowed.length === 0
              ? 'it is due too soon'
              : `choose ${allowed.join(', ')} days`;
        throw new ValidationError(`Cannot snooze ${secret.name} for ${days} day${days === 1 ? '' : 's'}: ${why}.`, []);
      }
      const until = DateTime.fromISO(today, { zone: 'utc' }).plus({ days }).toISODate() as string;
      const by = actorId(actor);
      this.deps.ledger.addSnooze(
        { secretId: key.secretId, cycle: key.cycle, seq: used + 1, snoozedBy: by, untilDate: until },
        now.toUTC().toISO() as string,
      );
      return {
        result: { secret: secret.name, until, snoozesLeft: 2 - (used + 1) },
        events: [
          {
            actor: by,
            action: 'reminder.snoozed',
            secret: secret.name,
            details: { kind: entry.kind, cycle: key.cycle, days, until, snooze: used + 1 },
          },
        ],
      };
    });
  }

  /** The reminder's secret, once the actor may say it is not theirs (before the modal opens). */
  authorizeNotMine(keyText: string, actor: Actor): Secret {
    return this.authorizedTarget(keyText, actor, 'not_mine').secret;
  }

  /**
   * Records that `actor` says the secret is not theirs (validated, audited, once per cycle: a
   * repeat records and tells nothing) and returns whom to tell; `notify` tells them. Split so a
   * modal can be answered before the notifications go out.
   */
  reportNotMine(keyText: string, actor: Actor, suggestedOwner: string | null, note: string | null): NotMineReport {
    const { entry, secret } = this.authorizedTarget(keyText, actor, 'not_mine');
    const by = actorId(actor);
    if (suggestedOwner !== null && !SLACK_USER_ID.test(suggestedOwner)) {
      throw new ValidationError('The suggested owner must be a Slack user.', [
        { where: 'right_owner', message: 'pick a person, or leave it empty if you do not know' },
      ]);
    }
    if (suggestedOwner === by) {
      throw new ValidationError('You said the secret is not yours, so the right owner must be someone else.', [
        { where: 'right_owner', message: 'pick the person who owns it, or leave it empty if you do not know' },
      ]);
    }
    if (note !== null && note.length > MAX_NOTE_LENGTH) {
      throw new ValidationError(`The note is longer than ${MAX_NOTE_LENGTH} characters.`, [
        { where: 'note', message: `keep it under ${MAX_NOTE_LENGTH} characters` },
      ]);
    }
    const shape = note === null ? null : findCredentialShape(note);
    if (shape) {
      throw new ValidationError(`The note looks like it holds ${shape}.`, [
        { where: 'note', message: `it looks like it holds ${shape}: never paste a secret's value; say who owns it instead` },
      ]);
    }
    if (note !== null) refuseUnsafeText(note, { where: 'note', what: 'note' });
    const ref: NotMineRef = { secretId: secret.id, cycle: entry.cycle, saidBy: by };
    const facts: NotMineFacts = { actor: by, secret: secret.name, level: entry.level, suggestedOwner, note, ref };
    const answer: NotMine = { ...ref, suggestedOwner, at: this.deps.clock.now().toUTC().toISO() as string };
    return this.deps.audit.record<NotMineReport>(() => {
      if (!this.deps.ledger.addNotMine(answer)) {
        return { result: { facts, people: [], earlier: this.deps.ledger.findNotMine(ref) }, events: [] };
      }
      const groups = this.deps.groups ?? null;
      const { policy } = this.deps;
      const people = [...new Set([...membersOfRole(policy, 'admins', groups), ...membersOfRole(policy, 'security_leads', groups)])].filter(
        (person) => person !== by,
      );
      const details = { kind: entry.kind, cycle: entry.cycle, owner: secret.owner, suggestedOwner, note, notified: people };
      return {
        result: { facts, people, earlier: null },
        events: [{ actor: by, action: 'reminder.not_mine', secret: secret.name, details }],
      };
    });
  }

  /** Tells the admins and security leads; returns who was reached. */
  async notify(report: NotMineReport): Promise<string[]> {
    const notified: string[] = [];
    for (const person of report.people) {
      try {
        await this.deps.notifier.reportNotMine(person, report.facts);
        notified.push(person);
      } catch {
        // One unreachable admin must not hide the report from the others; the audit event has it.
      }
    }
    return notified;
  }

  /**
   * The button on the admins' DM: makes the person a "not mine" answer named the owner (if the
   * presser may change the owner and Slack knows them), and tells them by DM.
   */
  async applySuggestedOwner(ref: NotMineRef, actor: Actor): Promise<SuggestedOwnerApplied> {
    const answer = this.deps.ledger.findNotMine(ref);
    const secret = answer ? this.deps.inventory.getById(answer.secretId) : null;
    if (!answer || !secret)
      throw new NotFoundError('This "not mine" report is no longer known to Rotor (the secret may have been removed).');
    if (!answer.suggestedOwner) {
      throw new ValidationError(`Nobody was suggested as the owner of ${secret.name}`, [], {
        next: { kind: 'run_command', command: 'secrets owner', args: [secret.name, '@user'], lead: 'set one with' },
      });
    }
    const handed = await this.deps.ownership.handOver(secret.name, answer.suggestedOwner, actor, 'slack');
    const told = handed.changed ? await this.deps.ownership.tellNewOwner(handed.secret, actor) : null;
    if (handed.changed) this.deps.ownership.tellFormerOwner(handed.secret, handed.from, actor);
    return { secret: secret.name, owner: answer.suggestedOwner, changed: handed.changed, told };
  }

  async notMine(
    keyText: string,
    actor: Actor,
    suggestedOwner: string | null,
    note: string | null,
  ): Promise<{ secret: string; notified: string[] }> {
    const report = this.reportNotMine(keyText, actor, suggestedOwner, note);
    return { secret: report.facts.secret, notified: await this.notify(report) };
  }

  /** The reminder behind a ledger key and its secret, while the reminder still stands. */
  target(keyText: string): ReminderTarget {
    const key = parseKey(keyText);
    const entry = key ? this.deps.ledger.find(key) : null;
    if (!key || !entry || entry.state !== 'sent') throw new NotFoundError('This reminder is no longer known to Rotor.');
    const secret = this.deps.inventory.getById(key.secretId);
    if (!secret) throw new NotFoundError('The secret of this reminder no longer exists.');
    if (secret.nextRotation !== key.cycle || !isReminded(secret.lifecycle)) {
      throw new RotorError('conflict', `${secret.name} was rotated or changed since this reminder; nothing to do.`);
    }
    return { key, entry, secret };
  }

  private authorizedTarget(keyText: string, actor: Actor, action: Action): ReminderTarget {
    const target = this.target(keyText);
    this.deps.authorizer.require(actor, { action, secret: target.secret });
    return target;
  }
}
