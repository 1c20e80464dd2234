import { RotorError, type ErrorCode } from '../core/errors.js';

/**
 * Why a call at a target failed, for the caller's decisions (retry with backoff, generate a
 * fresh value, stop and escalate); the message says it to a person.
 */
export type TargetFailure =
  /** Nothing answers at host:port, or the connection dropped. Worth another attempt. */
  | 'unreachable'
  /** No answer within the call's timeout (connecting, logging in, or one statement). Worth another attempt. */
  | 'timeout'
  /** TLS could not be set up the way the target's `tls` mode asks. */
  | 'tls'
  /** The managing credential was refused at login. */
  | 'managing_refused'
  /** The managing credential logs in but may not do this (CREATEROLE, ADMIN OPTION, ACL SETUSER, …). */
  | 'not_privileged'
  /** A role or ACL user the target names does not exist. */
  | 'login_missing'
  /** A login as the target user with the given password was refused. */
  | 'login_refused'
  /** The target is set up in a way Rotor cannot rotate (alternating roles that differ, Redis without ACL, …). */
  | 'not_ready'
  /** The call was asked something the target description does not allow (a role it does not name, a password shape). */
  | 'bad_request'
  /** Anything else the server said. */
  | 'server_error';

const CODES: Record<TargetFailure, ErrorCode> = {
  unreachable: 'provider_unavailable',
  timeout: 'provider_unavailable',
  tls: 'config',
  managing_refused: 'forbidden',
  not_privileged: 'forbidden',
  login_missing: 'not_found',
  login_refused: 'conflict',
  not_ready: 'conflict',
  bad_request: 'validation',
  server_error: 'provider',
};

/**
 * A failure at a credential target, in Rotor's error vocabulary. The message is for a person;
 * the cause is a copy of the driver's error with every value of the call scrubbed from it.
 */
export class TargetError extends RotorError {
  readonly failure: TargetFailure;

  constructor(failure: TargetFailure, message: string, options?: { cause?: unknown }) {
    super(CODES[failure], message, options);
    this.name = 'TargetError';
    this.failure = failure;
  }

  /** Failures that another attempt, after a pause, may get past. */
  get transient(): boolean {
    return this.failure === 'unreachable' || this.failure === 'timeout';
  }
}

/**
 * A driver error as a plain Error that carries its name, code and message with every one of
 * `values` replaced: a server that echoes an argument (Redis repeats an ACL SETUSER modifier in
 * its error) must not carry a password into Rotor's logs through the cause.
 */
export function scrubbedCause(error: unknown, values: readonly string[]): Error {
  const scrub = (text: string) =>
    values.filter((value) => value.length > 0).reduce((result, value) => result.split(value).join('[value]'), text);
  const source = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(scrub(source.message));
  copy.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code: scrub(code) });
  return copy;
}
