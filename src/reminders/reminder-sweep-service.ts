import type { GroupMembers } from '../access/role-members.js';
import { randomUUID } from 'node:crypto';
import type { DateTime } from 'luxon';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { type Clock, isoInstant as iso } from '../core/clock.js';
import { DEFAULT_RUN_DEADLINE_SECONDS, Deadline, DeadlineExceededError } from '../core/deadline.js';
import { toUtcDate } from '../inventory/schedule.js';
import { DeliveryQueue, realSleep, type Sleep } from './delivery-queue.js';
import { planReminders, type PeopleDirectory } from './reminder-planner.js';
import type { ReminderLedgerRepo } from './reminder-ledger-repo.js';
import { DeliveryError, type MessageRef } from '../core/delivery.js';
import type { ReminderEnvelope, ReminderNotifier } from './reminder-notifier.js';
import { formatKey, type LedgerEntry, type OwedReminder } from './reminder.js';
import type { CachedPerson, RecipientDirectoryRepo } from './recipient-directory-repo.js';
import type { SweepLogRepo } from '../storage/sweep-log-repo.js';

/** Points inside one delivery where tests stop the sweep, as a crash would. */
export interface SweepHooks {
  afterClaim?(keys: readonly string[]): void | Promise<void>;
  afterSend?(keys: readonly string[]): void | Promise<void>;
}

export interface SweepOptions {
  /** A claim older than this is presumed abandoned by a dead sender and reconciled. */
  claimTimeoutMinutes: number;
  concurrency: number;
  /** Attempts per message through rate limits and server errors before leaving it to the next sweep. */
  maxSendAttempts: number;
  /**
   * The longest Retry-After the sweep waits out while holding a claim. A longer one gives the
   * claim back for the next sweep, so no claim outlives the claim timeout while its sender waits.
   */
  maxRetryAfterSeconds: number;
  /** A person owed this many reminders in one sweep gets them all in one digest DM. */
  digestThreshold: number;
  /**
   * The most reminders one digest covers. Every reminder a message covers travels as a ledger key
   * in its metadata, so that a crash between send and mark can be reconciled; past this many, the
   * rest wait for the next sweep (which sends them as that sweep's one digest).
   */
  digestMaxReminders: number;
  /** How long a users.info answer (time zone, still in Slack) is trusted. */
  personCacheHours: number;
  /** A sweep's deadline (ROTOR_RUN_DEADLINE_SECONDS): past it, nothing more is claimed and the sweep reports. */
  deadlineSeconds: number;
  sleep: Sleep;
  hooks: SweepHooks;
  /** Called after each message is marked sent: metrics. */
  onSent(reminders: readonly OwedReminder[]): void;
  /** Called when users.info says a person left (deactivated): the departure's rotations (src/personnel), for workspaces without user_change events. */
  onGone(userId: string): void;
}

export const DEFAULT_SWEEP_OPTIONS: SweepOptions = {
  claimTimeoutMinutes: 10,
  concurrency: 4,
  maxSendAttempts: 4,
  maxRetryAfterSeconds: 60,
  digestThreshold: 2,
  digestMaxReminders: 200,
  personCacheHours: 24,
  deadlineSeconds: DEFAULT_RUN_DEADLINE_SECONDS,
  sleep: realSleep,
  hooks: {},
  onSent: () => undefined,
  onGone: () => undefined,
};

export interface SweepReport {
  at: string;
  /** Reminders delivered (a digest counts each reminder it lists). */
  sent: number;
  messages: number;
  /** Stale claims found already delivered in Slack and marked sent. */
  reconciled: number;
  /** Stale claims found not delivered and given back. */
  released: number;
  /** Delivered in the announcement channel because the person's DMs are closed. */
  fallbacks: number;
  /** Reminders another sweep claimed first. */
  lostClaims: number;
  failures: { key: string; recipient: string; error: string }[];
}

/** Unknown people are assumed to be in the earliest zone while looking for whom to look up. */
const EARLIEST_ZONE = 'Etc/GMT-14';
/** The zone assumed for someone whose Slack profile gives none. */
const DEFAULT_ZONE = 'UTC';

/**
 * The reminder sweep: finds what is owed, and delivers each reminder exactly once by
 * claim → send → mark in the ledger. What a crash leaves behind (a claim without a mark) is
 * reconciled against the message metadata in Slack before anything is sent again.
 */
export class ReminderSweepService {
  private readonly options: SweepOptions;

  constructor(
    private readonly deps: {
      ledger: ReminderLedgerRepo;
      directory: RecipientDirectoryRepo;
      sweepLog: SweepLogRepo;
      notifier: ReminderNotifier;
      audit: AuditLog;
      clock: Clock;
      policy: Policy;
      /** Who is in which Slack user group: a role on the escalation path may name user groups. */
      groups?: GroupMembers;
    },
    options: Partial<SweepOptions> = {},
  ) {
    this.options = { ...DEFAULT_SWEEP_OPTIONS, ...options };
  }

  /** What a sweep at `at` would send, from cached profiles only: no Slack call, nothing recorded. */
  preview(at: DateTime = this.deps.clock.now()): OwedReminder[] {
    const cache = this.deps.directory.all();
    return planReminders(
      this.deps.ledger.candidates(this.windowEnd(at)),
      at,
      this.deps.policy,
      {
        zoneOf: (user) => cache.get(user)?.tz ?? DEFAULT_ZONE,
        isGone: (user) => cache.get(user)?.gone ?? false,
      },
      this.deps.groups ?? null,
    );
  }

  /**
   * One sweep, within its deadline: once that passes, nothing more is claimed, and the sweep
   * throws a DeadlineExceededError whose report lists among its failures what is still owed and
   * what was in flight (those claims are kept: the send lands and is marked, or a later sweep
   * reconciles it).
   */
  async sweep(options: { deadlineSeconds?: number } = {}): Promise<SweepReport> {
    const now = this.deps.clock.now();
    const token = randomUUID();
    const report: SweepReport = {
      at: iso(now),
      sent: 0,
      messages: 0,
      reconciled: 0,
      released: 0,
      fallbacks: 0,
      lostClaims: 0,
      failures: [],
    };
    const deadline = Deadline.after(options.deadlineSeconds ?? this.options.deadlineSeconds);
    const inFlight = new Map<string, string>();
    const sweepId = this.deps.sweepLog.start(iso(now));
    let outcome: Awaited<ReturnType<Deadline['race']>>;
    try {
      outcome = await deadline.race(this.rounds(now, token, report, deadline, inFlight));
    } catch (error) {
      this.deps.sweepLog.fail(sweepId, iso(this.deps.clock.now()), error instanceof Error ? error.message : String(error));
      throw error;
    }
    if (!outcome.done) {
      const stopped = this.stoppedAtDeadline(report, now, deadline, inFlight);
      this.deps.sweepLog.fail(sweepId, iso(this.deps.clock.now()), stopped.message);
      throw stopped;
    }
    this.deps.sweepLog.finish(sweepId, iso(this.deps.clock.now()), report.sent);
    this.deps.sweepLog.prune();
    return report;
  }

  private async rounds(
    now: DateTime,
    token: string,
    report: SweepReport,
    deadline: Deadline,
    inFlight: Map<string, string>,
  ): Promise<void> {
    await this.reconcileStaleClaims(now, token, report, deadline);
    // A person found gone while delivering moves their reminders one rung up: plan again. Each
    // person gets one message per sweep, so a later round leaves out whoever already got theirs.
    const messaged = new Set<string>();
    for (let round = 0; round < 3 && !deadline.passed; round += 1) {
      const owed = (await this.planWithLookups(now, deadline)).filter((reminder) => !messaged.has(reminder.recipient));
      if (owed.length === 0) break;
      const goneBefore = countGone(this.deps.directory.all());
      for (const reminder of owed) messaged.add(reminder.recipient);
      await this.deliverAll(owed, now, token, report, deadline, inFlight);
      if (countGone(this.deps.directory.all()) === goneBefore) break;
    }
  }

  /** The report as it stood at the deadline, with what is still owed (planned from cached profiles) and what was in flight among its failures. */
  private stoppedAtDeadline(
    report: SweepReport,
    now: DateTime,
    deadline: Deadline,
    inFlight: ReadonlyMap<string, string>,
  ): DeadlineExceededError<SweepReport> {
    const failed = new Set(report.failures.map((failure) => failure.key));
    const owed = this.preview(now).filter((reminder) => !failed.has(formatKey(reminder.key)) && !inFlight.has(formatKey(reminder.key)));
    const stopped = `stopped at the sweep's ${deadline.seconds} s deadline`;
    const partial: SweepReport = {
      ...report,
      failures: [
        ...report.failures,
        ...[...inFlight].map(([key, recipient]) => ({
          key,
          recipient,
          error: `${stopped} while sending; if it landed it is marked sent, else a later sweep finds that out before sending again`,
        })),
        ...owed.map((reminder) => ({
          key: formatKey(reminder.key),
          recipient: reminder.recipient,
          error: `${stopped} before sending; the next sweep sends it`,
        })),
      ],
    };
    const message =
      `The reminder sweep stopped at its ${deadline.seconds} s deadline (ROTOR_RUN_DEADLINE_SECONDS, or --deadline): ${report.sent} reminder${report.sent === 1 ? '' : 's'} sent, ` +
      `${owed.length} still owed and ${inFlight.size} in flight; Slack was too slow or did not answer. The next sweep sends what is owed.`;
    return new DeadlineExceededError('slack', message, partial);
  }

  private windowEnd(now: DateTime): string {
    const widest = Math.max(0, ...this.deps.policy.reminders.offsetsDays);
    return toUtcDate(now.plus({ days: widest + 1 }));
  }

  /**
   * Plans, looking up (users.info) every recipient whose cached profile is missing or old, and
   * plans again until nobody new needs looking up: a person found gone changes the ladder.
   */
  private async planWithLookups(now: DateTime, deadline: Deadline): Promise<OwedReminder[]> {
    const candidates = this.deps.ledger.candidates(this.windowEnd(now));
    const queue = new DeliveryQueue(this.options.concurrency, this.options.sleep);
    const failedLookups = new Set<string>();
    for (;;) {
      const cache = this.deps.directory.all();
      const maxAge = { hours: this.options.personCacheHours };
      const freshSince = iso(now.minus(maxAge));
      const fresh = new Set(
        [...cache.values()]
          .filter((person) => person.fetchedAt >= freshSince && person.fetchedAt <= iso(now))
          .map((person) => person.userId),
      );
      const probing: PeopleDirectory = {
        zoneOf: (user) => (fresh.has(user) || failedLookups.has(user) ? (cache.get(user)?.tz ?? DEFAULT_ZONE) : EARLIEST_ZONE),
        isGone: (user) => cache.get(user)?.gone ?? false,
      };
      const toLookUp = [
        ...new Set(
          planReminders(candidates, now, this.deps.policy, probing, this.deps.groups ?? null).map((reminder) => reminder.recipient),
        ),
      ].filter((user) => !fresh.has(user) && !failedLookups.has(user));
      if (toLookUp.length === 0) {
        return planReminders(
          candidates,
          now,
          this.deps.policy,
          {
            zoneOf: (user) => cache.get(user)?.tz ?? DEFAULT_ZONE,
            isGone: (user) => cache.get(user)?.gone ?? false,
          },
          this.deps.groups ?? null,
        );
      }
      await queue.run(toLookUp, async (user) => {
        if (deadline.passed) {
          failedLookups.add(user);
          return;
        }
        try {
          const info = await this.deps.notifier.lookupPerson(user);
          this.deps.directory.save({ userId: user, tz: info.tz, gone: info.gone, fetchedAt: iso(now), name: info.name ?? null });
          if (info.gone) this.recordGone(user, now);
        } catch {
          // Slack unreachable for this lookup: plan with what is known rather than stall the sweep.
          failedLookups.add(user);
        }
      });
    }
  }

  private recordGone(user: string, now: DateTime): void {
    const secrets = this.deps.directory.flagOwnerGone(user, now);
    if (secrets.length > 0) {
      this.deps.audit.log({ actor: 'rotor', action: 'reminder.owner_not_in_slack', details: { user, secrets } });
    }
    this.options.onGone(user);
  }

  /** One message per recipient: a single reminder, or a digest of all of them (up to digestMaxReminders), most urgent first. */
  private envelopes(owed: readonly OwedReminder[]): ReminderEnvelope[] {
    const byRecipient = new Map<string, OwedReminder[]>();
    for (const reminder of owed) {
      const list = byRecipient.get(reminder.recipient);
      if (list) list.push(reminder);
      else byRecipient.set(reminder.recipient, [reminder]);
    }
    const envelopes: ReminderEnvelope[] = [];
    for (const [recipient, reminders] of byRecipient) {
      const sorted = [...reminders].sort(
        (a, b) => urgency(a) - urgency(b) || a.daysUntilDue - b.daysUntilDue || a.secret.name.localeCompare(b.secret.name),
      );
      if (sorted.length < this.options.digestThreshold) {
        for (const reminder of sorted) envelopes.push({ recipient, reminders: [reminder], keys: [formatKey(reminder.key)] });
        continue;
      }
      const chunk = sorted.slice(0, this.options.digestMaxReminders);
      envelopes.push({ recipient, reminders: chunk, keys: chunk.map((reminder) => formatKey(reminder.key)) });
    }
    return envelopes;
  }

  private async deliverAll(
    owed: readonly OwedReminder[],
    now: DateTime,
    token: string,
    report: SweepReport,
    deadline: Deadline,
    inFlight: Map<string, string>,
  ): Promise<void> {
    const queue = new DeliveryQueue(this.options.concurrency, this.options.sleep);
    await queue.run(this.envelopes(owed), (envelope) => this.deliver(envelope, queue, now, token, report, deadline, inFlight));
  }

  private async deliver(
    planned: ReminderEnvelope,
    queue: DeliveryQueue,
    now: DateTime,
    token: string,
    report: SweepReport,
    deadline: Deadline,
    inFlight: Map<string, string>,
  ): Promise<void> {
    if (deadline.passed) return;
    const { ledger, notifier, policy } = this.deps;
    const won = ledger.claim(
      planned.reminders.map((reminder) => ({ key: reminder.key, recipient: reminder.recipient, level: reminder.level })),
      token,
      iso(now),
    );
    report.lostClaims += planned.reminders.length - won.length;
    if (won.length === 0) return;
    const wonKeys = new Set(won.map(formatKey));
    const reminders = planned.reminders.filter((reminder) => wonKeys.has(formatKey(reminder.key)));
    const envelope: ReminderEnvelope = {
      recipient: planned.recipient,
      reminders,
      keys: reminders.map((reminder) => formatKey(reminder.key)),
    };
    const keys = reminders.map((reminder) => reminder.key);
    // Until marked sent or given up on: what the deadline report calls in flight.
    for (const key of envelope.keys) inFlight.set(key, envelope.recipient);
    await this.options.hooks.afterClaim?.(envelope.keys);

    let delivery: MessageRef;
    try {
      delivery = await this.sendWithRetries(queue, envelope, null, deadline, () => notifier.sendDirect(envelope));
    } catch (error) {
      if (!(error instanceof DeliveryError)) throw error;
      const announce = policy.channels.announce;
      if (error.failure === 'dm_closed' && announce) {
        ledger.setChannel(keys, token, announce);
        try {
          delivery = await this.sendWithRetries(queue, envelope, announce, deadline, () => notifier.sendInChannel(announce, envelope));
          report.fallbacks += 1;
        } catch (fallbackError) {
          if (!(fallbackError instanceof DeliveryError)) throw fallbackError;
          this.giveUp(fallbackError, envelope, keys, token, report, inFlight);
          return;
        }
      } else {
        if (error.failure === 'user_gone') {
          this.deps.directory.save({ userId: envelope.recipient, tz: null, gone: true, fetchedAt: iso(now) });
          this.recordGone(envelope.recipient, now);
        }
        this.giveUp(error, envelope, keys, token, report, inFlight);
        return;
      }
    }
    await this.options.hooks.afterSend?.(envelope.keys);
    ledger.markSent(keys, token, delivery, iso(this.deps.clock.now()));
    for (const key of envelope.keys) inFlight.delete(key);
    report.sent += reminders.length;
    report.messages += 1;
    this.options.onSent(reminders);
  }

  /**
   * A failure that certainly did not post gives the claim back for the next sweep; an ambiguous
   * one keeps it, so only reconciliation (which looks in Slack first) may send it again.
   */
  private giveUp(
    error: DeliveryError,
    envelope: ReminderEnvelope,
    keys: OwedReminder['key'][],
    token: string,
    report: SweepReport,
    inFlight: Map<string, string>,
  ): void {
    if (error.failure !== 'ambiguous') this.deps.ledger.release(keys, token, `${error.failure}: ${error.message}`);
    for (const key of envelope.keys) inFlight.delete(key);
    for (const key of envelope.keys)
      report.failures.push({ key, recipient: envelope.recipient, error: `${error.failure}: ${error.message}` });
  }

  /** Past the deadline a failed attempt is not retried: the claim stays for a later sweep to reconcile. */
  private async sendWithRetries(
    queue: DeliveryQueue,
    envelope: ReminderEnvelope,
    channel: string | null,
    deadline: Deadline,
    send: () => Promise<MessageRef>,
  ): Promise<MessageRef> {
    for (let attempt = 1; ; attempt += 1) {
      await queue.ready();
      try {
        return await send();
      } catch (error) {
        if (!(error instanceof DeliveryError) || attempt >= this.options.maxSendAttempts || deadline.passed) throw error;
        if (error.failure === 'rate_limited') {
          const seconds = error.retryAfterSeconds ?? 1;
          if (seconds > this.options.maxRetryAfterSeconds) throw error;
          await queue.pause(seconds * 1000);
          continue;
        }
        if (error.failure !== 'ambiguous') throw error;
        // The post may have landed before the failure: look for it rather than post a second copy.
        const found = await this.deps.notifier.findDelivered(envelope.recipient, channel, envelope.keys[0] as string).catch(() => {
          throw error;
        });
        if (found) return found;
        await this.options.sleep(500 * attempt);
      }
    }
  }

  private async reconcileStaleClaims(now: DateTime, token: string, report: SweepReport, deadline: Deadline): Promise<void> {
    const timeout = { minutes: this.options.claimTimeoutMinutes };
    const stale = this.deps.ledger.staleClaims(iso(now.minus(timeout))).concat(this.claimsFromTheFuture(now, timeout));
    for (const entry of stale) {
      if (deadline.passed) return;
      if (!this.deps.ledger.takeOver(entry, token, iso(now))) continue;
      let found: MessageRef | null;
      try {
        found = await this.deps.notifier.findDelivered(entry.recipient, entry.channel, formatKey(entry));
      } catch {
        // Slack cannot tell us: keep the claim; the next sweep after the timeout asks again.
        continue;
      }
      if (found) {
        this.deps.ledger.markSent([entry], token, found, iso(now));
        report.reconciled += 1;
      } else {
        this.deps.ledger.release([entry], token, 'claimed by a sweep that stopped before sending; not found in Slack');
        report.released += 1;
      }
    }
  }

  /** Claims stamped after now: the clock moved backwards since they were made. */
  private claimsFromTheFuture(now: DateTime, timeout: { minutes: number }): LedgerEntry[] {
    const horizon = iso(now.plus(timeout));
    return this.deps.ledger.staleClaims('\uffff').filter((entry) => (entry.claimedAt ?? '') > horizon);
  }
}

/** Compromised secrets first: they are the most urgent whatever their dates say. */
function urgency(reminder: OwedReminder): number {
  return reminder.treatment.kind === 'compromised' ? 0 : 1;
}

function countGone(cache: Map<string, CachedPerson>): number {
  let gone = 0;
  for (const person of cache.values()) if (person.gone) gone += 1;
  return gone;
}
