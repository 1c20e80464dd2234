import { describeEndpoint, type RedisAclUserTarget } from '../target-description.js';
import { scrubbedCause, TargetError } from '../target-error.js';
import type { TargetTimeouts } from '../target-timeouts.js';

/** Raised by Rotor's own timer around a connect or a command. */
export class RedisCallTimeout extends Error {
  constructor(readonly stage: 'login' | 'command') {
    super(`no answer while ${stage === 'login' ? 'connecting and logging in' : 'running a command'}`);
    this.name = 'RedisCallTimeout';
  }
}

/** What a connection was doing when it failed, for the message. */
export interface RedisCall {
  target: RedisAclUserTarget;
  /** The user the connection logs in as: the managing one, or the target user being verified. */
  login: string;
  managing: boolean;
  /** What Rotor was doing, after "could not": `add a password to user "worker"`. */
  action: string;
  stage: 'login' | 'command';
  timeouts: TargetTimeouts;
  /** Every value of the call (passwords, hashes): scrubbed from the cause. */
  values: string[];
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT']);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'EPROTO',
]);

/** The commands the managing user needs, and nothing else: what docs/targets.md and the fixes name. */
export const MANAGING_USER_COMMANDS = '+acl|setuser +acl|getuser +acl|whoami +client|kill';

/** What Rotor needs of a Redis server, said the same way wherever its absence shows. */
export const NO_ACL_USERS =
  'this Redis has no ACL users (a server before Redis 6, or one with the ACL command disabled), so a user cannot hold two passwords and Rotor cannot rotate it without an outage. Upgrade to Redis 6 or later and give the application its own ACL user';

/**
 * A node-redis or server failure as a TargetError with a message for a person. Server replies
 * are quoted only after every value of the call is scrubbed from them (Redis repeats an ACL
 * SETUSER modifier in its error, and the modifier may carry a value).
 */
export function translateRedisError(error: unknown, call: RedisCall): TargetError {
  if (error instanceof TargetError) return error;
  const {
    code = '',
    message = '',
    name = '',
  } = typeof error === 'object' && error !== null ? (error as { code?: string; message?: string; name?: string }) : {};
  const cause = scrubbedCause(error, call.values);
  const failed = `Could not ${call.action} at ${describeEndpoint(call.target)}`;
  const said = cause.message;

  if (
    error instanceof RedisCallTimeout ||
    name === 'ConnectionTimeoutError' ||
    name === 'TimeoutError' ||
    name === 'TimeoutReadError' ||
    name === 'SocketTimeoutError'
  ) {
    const login = call.stage === 'login' || name === 'ConnectionTimeoutError';
    const limit = login ? call.timeouts.connectMs : call.timeouts.statementMs;
    // A Redis without TLS waits for the end of a command line that a TLS handshake never sends: silence, not a refusal.
    const tlsHint =
      login && call.target.tls !== 'disable'
        ? ` If the server does not speak TLS it stays silent to a TLS handshake: check that it has TLS on, or set the target's tls to "disable" (only on a trusted network).`
        : '';
    return new TargetError(
      'timeout',
      `${failed}: no answer within ${limit} ms while ${login ? 'connecting and logging in' : 'running a command'}.${tlsHint} Run the step again later: it changes nothing twice.`,
      { cause },
    );
  }
  if (UNREACHABLE.has(code)) {
    return new TargetError(
      'unreachable',
      `${failed}: the server cannot be reached (${code}). Check the target's host and port and that Rotor's network can reach it, then run the step again.`,
      { cause },
    );
  }
  if (TLS_CODES.has(code) || /SSL|TLS|certificate/.test(message)) {
    return new TargetError(
      'tls',
      `${failed}: TLS could not be set up (${code || said}), and the target's tls is "${call.target.tls}". If the server does not speak TLS, set the target's tls to "disable" (only on a trusted network); with "verify-full" its certificate must be signed by a CA Node trusts (NODE_EXTRA_CA_CERTS) and name the host.`,
      { cause },
    );
  }
  if (/unknown command .(?:ACL|HELLO).|wrong number of arguments for .auth./i.test(message)) {
    return new TargetError('not_ready', `${failed}: ${NO_ACL_USERS}.`, { cause });
  }
  if (message.startsWith('WRONGPASS')) {
    if (call.managing) {
      return new TargetError(
        'managing_refused',
        `${failed}: Redis refused the managing credential (user "${call.login}"): wrong user name or password, or the user is off. Correct the managing secret${call.target.managingSecretRef ? ` ${call.target.managingSecretRef}` : ''} and run the step again.`,
        { cause },
      );
    }
    return new TargetError(
      'login_refused',
      `${failed}: Redis refused user "${call.login}" with the password being checked (wrong password, or the user is off). The password at the server is not the one in the store: run "set at target" again, or take the step over by hand.`,
      { cause },
    );
  }
  if (message.startsWith('NOPERM')) {
    return new TargetError(
      'not_privileged',
      `${failed}: the managing user "${call.login}" is not allowed to (${said}). Give it the commands docs/targets.md lists: ACL SETUSER ${call.login} ${MANAGING_USER_COMMANDS}.`,
      { cause },
    );
  }
  if (name === 'SocketClosedUnexpectedlyError' || name === 'ClientClosedError' || message.includes('Socket closed unexpectedly')) {
    return new TargetError('unreachable', `${failed}: the server closed the connection (${said}). Run the step again in a moment.`, {
      cause,
    });
  }
  return new TargetError('server_error', `${failed}: Redis answered ${said}`, { cause });
}
