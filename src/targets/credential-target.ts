import type { TargetDescription } from './target-description.js';
import { TargetError } from './target-error.js';

/**
 * The credential-target port: where a credential is set and checked (a PostgreSQL role, a Redis
 * ACL user). The rotation engine's "set at target", "verify at target" and "retire at target"
 * steps call it; it knows nothing of rotations, stores or Slack.
 *
 * Values (passwords) are arguments of one call and live in memory only for that call: an
 * implementation never logs, keeps or returns them, and its errors never carry them. Every call
 * opens its own connection, bounded by timeouts, and closes it.
 */
export interface CredentialTarget<Target extends TargetDescription = TargetDescription> {
  readonly engine: Target['engine'];

  /**
   * Read-only checks with the managing credential: it logs in and may change the target's
   * logins; they exist and can be rotated with the target's strategy. Problems are reported with
   * what to run to fix them; a target that cannot be reached, or a managing credential that is
   * refused, throws a TargetError.
   */
  preflight(target: Target, managing: LoginCredential): Promise<PreflightReport>;

  /**
   * Makes `credential.password` log in as `credential.username`, one of the target's logins.
   * PostgreSQL replaces the role's password (and allows LOGIN again on a retired alternate);
   * Redis adds it beside the passwords already valid. Running it twice changes nothing more.
   */
  setCredential(target: Target, managing: LoginCredential, credential: LoginCredential): Promise<void>;

  /** Logs in afresh as `credential.username` (never as the managing one) and runs a trivial command. */
  verifyLogin(target: Target, credential: LoginCredential): Promise<LoginCheck>;

  /**
   * Takes an old credential out of service at the end of the retention window. PostgreSQL: the
   * role gets NOLOGIN (the password is not needed). Redis: that password is removed from the user
   * (needed; the user's other passwords stay). Running it twice changes nothing more.
   */
  retire(target: Target, managing: LoginCredential, credential: RetiredCredential): Promise<void>;

  /**
   * Emergency, after the new credential is set and verified: the compromised credential is
   * refused at once and the sessions of its login are ended.
   */
  lockOut(target: Target, managing: LoginCredential, credential: RetiredCredential): Promise<LockOutReport>;
}

/** A login and its value, in memory for one call. */
export interface LoginCredential {
  username: string;
  password: string;
}

export interface RetiredCredential {
  username: string;
  /** The old value; Redis needs it to remove that password, PostgreSQL retires the role whole. */
  password?: string;
}

export interface LoginCheck {
  /** From sending the login to the command's answer, measured with a timer. */
  latencyMs: number;
}

export interface LockOutReport {
  /** Whether new logins with the compromised credential are refused by this call. */
  loginRefused: boolean;
  sessionsEnded: number;
  /** What was done, in a sentence for the incident's status message. */
  summary: string;
}

export interface TargetProblem {
  /** A stable name for the check that failed, e.g. `managing-privilege`, `login-exists`. */
  check: string;
  message: string;
  /** What to run (SQL or commands, one a line; `--` lines are comments), or do, to fix it. */
  fix: string | null;
}

export interface PreflightReport {
  /** What the server reports, e.g. `15.18` or `7.0.15`. */
  serverVersion: string;
  /** What stops a rotation. */
  problems: TargetProblem[];
  /** What a rotation can go on with, but a person should know (e.g. sessions cannot be ended in an emergency). */
  warnings: TargetProblem[];
}

/** Throws a TargetError that lists every problem of the report and its fix; returns when there is none. */
export function assertPreflightPassed(report: PreflightReport, where: string): void {
  if (report.problems.length === 0) return;
  const lines = report.problems.map(
    (problem) => `- ${problem.message}${problem.fix ? `\n  Fix:\n    ${problem.fix.split('\n').join('\n    ')}` : ''}`,
  );
  const privilege = report.problems.every((problem) => problem.check.startsWith('managing-'));
  throw new TargetError(privilege ? 'not_privileged' : 'not_ready', `${where} is not ready for rotation:\n${lines.join('\n')}`);
}
