import type { AuditLog } from '../audit/audit-log.js';
import { type Clock, isoInstant as iso } from '../core/clock.js';
import { inWriteTransaction, type Db } from '../storage/database.js';
import type { RefusalWindow, RefusalWindowRepo } from './refusal-window-repo.js';

/**
 * How long repeats of one refusal are counted rather than audited one by one. A minute keeps
 * the log's growth per member bounded (at most two events per action a minute, however fast
 * the requests come) while a summary still lands within about a minute of the hammering.
 */
export const REFUSAL_WINDOW_SECONDS = 60;

/** Secrets a summary names; past this many it only says there were more. */
const LISTED_SECRETS = 10;

/** One refusal, as the Authorizer records it. */
export interface Refusal {
  actor: string;
  attempted: string;
  secret: string | null;
  reason: string;
  channel?: string;
}

/**
 * The audit record of refusals. The first refusal of an action to an actor is an
 * `access.denied` event at once; repeats of it inside the window that refusal opened are only
 * counted (in the database, so every process counts together and a restart loses nothing),
 * and written as one `access.denied_repeats` event when the window closes: by the next refusal
 * after it, or by the bot's job that closes windows every minute. A member hammering a
 * forbidden button thus cannot grow the log at request rate.
 */
export class RefusalLog {
  constructor(
    private readonly deps: { db: Db; repo: RefusalWindowRepo; audit: AuditLog; clock: Clock },
    private readonly windowSeconds: number = REFUSAL_WINDOW_SECONDS,
  ) {}

  record(refusal: Refusal): void {
    const { db, repo, audit, clock } = this.deps;
    inWriteTransaction(db, () => {
      const now = clock.now();
      const at = iso(now);
      this.closeWindows(now);
      const open = repo.get(refusal.actor, refusal.attempted);
      if (open) {
        repo.countRepeat(withSecret(open, refusal.secret), at);
        return;
      }
      const event = audit.log({
        actor: refusal.actor,
        action: 'access.denied',
        secret: refusal.secret,
        details: { attempted: refusal.attempted, reason: refusal.reason, channel: refusal.channel },
      });
      repo.open({ actor: refusal.actor, attempted: refusal.attempted, openedAt: at, firstSeq: event.seq });
    });
  }

  /** Writes the summary of every window that has closed by `now` and forgets them; returns how many summaries were written. */
  closeWindows(now = this.deps.clock.now()): number {
    const { db, repo, audit } = this.deps;
    return inWriteTransaction(db, () => {
      let written = 0;
      for (const window of repo.closed(iso(now.minus({ seconds: this.windowSeconds })))) {
        if (window.repeats > 0) {
          audit.log({
            actor: window.actor,
            action: 'access.denied_repeats',
            secret: window.secrets.length === 1 ? window.secrets[0] : null,
            details: summary(window, this.windowSeconds),
          });
          written += 1;
        }
        repo.remove(window);
      }
      return written;
    });
  }
}

function withSecret(window: RefusalWindow, secret: string | null): RefusalWindow {
  if (secret === null || window.secrets.includes(secret)) return window;
  if (window.secrets.length >= LISTED_SECRETS) return { ...window, moreSecrets: true };
  return { ...window, secrets: [...window.secrets, secret] };
}

function summary(window: RefusalWindow, windowSeconds: number): Record<string, unknown> {
  return {
    attempted: window.attempted,
    repeats: window.repeats,
    firstEvent: window.firstSeq,
    from: window.openedAt,
    until: window.lastAt,
    windowSeconds,
    secrets: window.secrets,
    ...(window.moreSecrets ? { moreSecrets: true } : {}),
  };
}
