import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { AuditLog } from '../audit/audit-log.js';
import { type Clock, isoInstant as iso } from '../core/clock.js';
import { DEFAULT_RUN_DEADLINE_SECONDS, Deadline, DeadlineExceededError } from '../core/deadline.js';
import { DeliveryError } from '../core/delivery.js';
import { describeError, RotorError } from '../core/errors.js';
import type { SweepLogRepo } from '../storage/sweep-log-repo.js';
import type { FollowUp, FollowUpHandler, FollowUpRequest, FollowUpResult } from './follow-up.js';
import type { FollowUpRepo } from './follow-up-repo.js';

/** Points inside one follow-up where tests stop the sweep, as a crash would. */
export interface FollowUpHooks {
  afterClaim?(followUp: FollowUp): void | Promise<void>;
  afterRun?(followUp: FollowUp): void | Promise<void>;
}

export interface FollowUpSweepOptions {
  /** A claim older than this is presumed abandoned by a dead doer and reconciled. */
  claimTimeoutMinutes: number;
  /** Attempts before a follow-up is given up on (and the failure announced). */
  maxAttempts: number;
  /** Follow-ups done per sweep at most; the rest wait for the next one. */
  batchSize: number;
  /** A sweep's deadline (ROTOR_RUN_DEADLINE_SECONDS): past it, nothing more is claimed and the sweep reports. */
  deadlineSeconds: number;
  hooks: FollowUpHooks;
  /** Called after each follow-up is marked done: metrics. */
  onDone(followUp: FollowUp): void;
  /** Called once when a follow-up is given up on: the announcement. */
  onFailed(followUp: FollowUp, error: string): void | Promise<void>;
}

export const DEFAULT_FOLLOW_UP_OPTIONS: FollowUpSweepOptions = {
  claimTimeoutMinutes: 10,
  maxAttempts: 5,
  batchSize: 200,
  deadlineSeconds: DEFAULT_RUN_DEADLINE_SECONDS,
  hooks: {},
  onDone: () => undefined,
  onFailed: () => undefined,
};

/** Minutes to wait before the n-th retry (1-based); the last value repeats. */
const RETRY_MINUTES = [1, 5, 15, 60];

export interface FollowUpSweepReport {
  at: string;
  done: number;
  /** Stale claims found already done (their effect exists) and marked done. */
  reconciled: number;
  /** Stale claims found not done and given back. */
  released: number;
  /** Failed this time and scheduled again. */
  retried: number;
  /** Given up on after `maxAttempts`. */
  failed: number;
  /** Follow-ups another sweep claimed first. */
  lostClaims: number;
}

/**
 * Durable one-off follow-ups, exactly once: schedule → claim → do → mark, with a claim token so
 * two sweeps never both do one, and reconciliation of what a crash left claimed before anything
 * is done again. Handlers (one per kind) are registered by the flows that schedule them.
 */
export class FollowUpService {
  private readonly handlers = new Map<string, FollowUpHandler>();
  private readonly options: FollowUpSweepOptions;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: { repo: FollowUpRepo; sweepLog: SweepLogRepo; audit: AuditLog; clock: Clock },
    options: Partial<FollowUpSweepOptions> = {},
  ) {
    this.options = { ...DEFAULT_FOLLOW_UP_OPTIONS, ...options };
  }

  register(handler: FollowUpHandler): void {
    if (this.handlers.has(handler.kind)) throw new Error(`A follow-up handler for ${handler.kind} is already registered`);
    this.handlers.set(handler.kind, handler);
  }

  /** Schedules a follow-up (idempotent); safe inside the caller's write transaction. */
  schedule(request: FollowUpRequest): boolean {
    return this.deps.repo.schedule(normalized(request), iso(this.deps.clock.now()));
  }

  /** Cancels a topic's waiting follow-ups (all kinds, or one). */
  cancel(topic: string, kind?: string): number {
    return this.deps.repo.cancel({ topic, ...(kind ? { kind } : {}) }, iso(this.deps.clock.now()));
  }

  /**
   * One sweep, within its deadline: once that passes, nothing more is claimed and the sweep
   * throws a DeadlineExceededError saying what it did and left (a follow-up in flight keeps its
   * claim: it finishes, or a later sweep reconciles it).
   */
  sweep(options: { deadlineSeconds?: number } = {}): Promise<FollowUpSweepReport> {
    // One at a time in a process (the minute's sweep waits for the one after a change): side by
    // side they would post a thread's replies out of order. Claims still keep replicas apart.
    const run = this.running.then(() => this.sweepNow(options));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async sweepNow(options: { deadlineSeconds?: number }): Promise<FollowUpSweepReport> {
    const now = this.deps.clock.now();
    const token = randomUUID();
    const report: FollowUpSweepReport = { at: iso(now), done: 0, reconciled: 0, released: 0, retried: 0, failed: 0, lostClaims: 0 };
    const deadline = Deadline.after(options.deadlineSeconds ?? this.options.deadlineSeconds);
    const progress = { begun: 0, ended: 0 };
    const sweepId = this.deps.sweepLog.start(iso(now));
    let outcome: Awaited<ReturnType<Deadline['race']>>;
    try {
      outcome = await deadline.race(this.doDue(now, token, report, deadline, progress));
    } catch (error) {
      this.deps.sweepLog.fail(sweepId, iso(this.deps.clock.now()), describeError(error));
      throw error;
    }
    if (!outcome.done) {
      const left = this.deps.repo.due([...this.handlers.keys()], iso(now), this.options.batchSize).length;
      const message =
        `The follow-up sweep stopped at its ${deadline.seconds} s deadline (ROTOR_RUN_DEADLINE_SECONDS): ${report.done} done, ${left} due left for the next sweep ` +
        `and ${progress.begun - progress.ended} in flight (it keeps its claim: it finishes, or a later sweep reconciles it); Slack or a store was too slow or did not answer.`;
      this.deps.sweepLog.fail(sweepId, iso(this.deps.clock.now()), message);
      throw new DeadlineExceededError('slack', message, { ...report });
    }
    this.deps.sweepLog.finish(sweepId, iso(this.deps.clock.now()), report.done + report.reconciled);
    this.deps.sweepLog.prune();
    return report;
  }

  private async doDue(
    now: DateTime,
    token: string,
    report: FollowUpSweepReport,
    deadline: Deadline,
    progress: { begun: number; ended: number },
  ): Promise<void> {
    const kinds = [...this.handlers.keys()];
    await this.reconcileStale(kinds, now, token, report, deadline);
    for (const followUp of this.deps.repo.due(kinds, iso(now), this.options.batchSize)) {
      if (deadline.passed) return;
      progress.begun += 1;
      await this.doOne(followUp, token, report);
      progress.ended += 1;
    }
  }

  private async doOne(followUp: FollowUp, token: string, report: FollowUpSweepReport): Promise<void> {
    const handler = this.handlers.get(followUp.kind) as FollowUpHandler;
    if (!this.deps.repo.claim(followUp.id, token, iso(this.deps.clock.now()))) {
      report.lostClaims += 1;
      return;
    }
    const claimed = { ...followUp, claimToken: token, attempts: followUp.attempts + 1 };
    await this.options.hooks.afterClaim?.(claimed);
    let result: FollowUpResult;
    try {
      result = await handler.run(claimed);
    } catch (error) {
      await this.handleFailure(claimed, token, error, report);
      return;
    }
    await this.options.hooks.afterRun?.(claimed);
    this.markDone(claimed, token, result, report, 'done');
  }

  /**
   * A failure that certainly did nothing is retried later (with backoff), then given up on and
   * announced; an ambiguous one (Slack may have posted) keeps its claim, so only reconciliation,
   * which looks first, may do it again.
   */
  private async handleFailure(followUp: FollowUp, token: string, error: unknown, report: FollowUpSweepReport): Promise<void> {
    const reason = describeError(error);
    if (error instanceof DeliveryError && error.failure === 'ambiguous') return;
    const now = this.deps.clock.now();
    if (error instanceof DeliveryError && error.failure === 'rate_limited') {
      this.deps.repo.release(followUp.id, token, reason, iso(now.plus({ seconds: error.retryAfterSeconds ?? 60 })));
      report.retried += 1;
      return;
    }
    if (followUp.attempts < this.options.maxAttempts) {
      const minutes = RETRY_MINUTES[Math.min(followUp.attempts, RETRY_MINUTES.length) - 1] as number;
      this.deps.repo.release(followUp.id, token, reason, iso(now.plus({ minutes })));
      report.retried += 1;
      return;
    }
    if (!this.deps.repo.fail(followUp.id, token, reason, iso(now))) return;
    report.failed += 1;
    this.deps.audit.log({
      actor: 'rotor',
      action: 'follow_up.failed',
      details: { kind: followUp.kind, topic: followUp.topic, occurrence: followUp.occurrence, attempts: followUp.attempts, error: reason },
    });
    await this.options.onFailed(followUp, reason);
  }

  private markDone(
    followUp: FollowUp,
    token: string,
    result: FollowUpResult,
    report: FollowUpSweepReport,
    as: 'done' | 'reconciled',
  ): void {
    if (!this.deps.repo.markDone(followUp.id, token, result.outcome, (result.then ?? []).map(normalized), iso(this.deps.clock.now())))
      return;
    if (as === 'done') report.done += 1;
    else report.reconciled += 1;
    this.options.onDone(followUp);
  }

  private async reconcileStale(
    kinds: readonly string[],
    now: DateTime,
    token: string,
    report: FollowUpSweepReport,
    deadline: Deadline,
  ): Promise<void> {
    const stale = this.deps.repo.staleClaims(kinds, iso(now.minus({ minutes: this.options.claimTimeoutMinutes })));
    for (const followUp of stale) {
      if (deadline.passed) return;
      if (!this.deps.repo.takeOver(followUp, token, iso(now))) continue;
      const taken = { ...followUp, claimToken: token };
      let found: FollowUpResult | null;
      try {
        found = await (this.handlers.get(followUp.kind) as FollowUpHandler).reconcile(taken);
      } catch {
        // Slack (or the store) cannot tell us now: keep the claim; a later sweep asks again.
        continue;
      }
      if (found) this.markDone(taken, token, found, report, 'reconciled');
      else {
        this.deps.repo.release(followUp.id, token, 'claimed by a sweep that stopped before finishing; not done', iso(now));
        report.released += 1;
      }
    }
  }
}

/** Due times are compared as strings in SQL, so every one is stored in the one canonical UTC form. */
function normalized(request: FollowUpRequest): FollowUpRequest {
  const dueAt = DateTime.fromISO(request.dueAt, { zone: 'utc' });
  if (!dueAt.isValid)
    throw new RotorError(
      'internal',
      `A follow-up (${request.kind} for ${request.topic}) was scheduled at ${request.dueAt}, which is not an ISO time.`,
    );
  return { ...request, dueAt: iso(dueAt) };
}
