import { describeEndpoint, type PostgresRoleTarget } from '../target-description.js';
import { scrubbedCause, TargetError } from '../target-error.js';
import { lockTimeoutMs, type TargetTimeouts } from '../target-timeouts.js';
import { quoteIdentifier } from './postgres-quoting.js';

/** What a session was doing when it failed, for the message. */
export interface PostgresCall {
  target: PostgresRoleTarget;
  /** The login of the session: the managing role, or the target role being verified. */
  login: string;
  /** Whether the session logs in with the managing credential. */
  managing: boolean;
  /** What Rotor was doing, after "could not": `set the password of role "app_a"`. */
  action: string;
  /** The role the statement is about, when there is one. */
  role?: string;
  stage: 'login' | 'statement';
  timeouts: TargetTimeouts;
  /** Every value of the call (passwords, verifiers): scrubbed from the cause. */
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
  'EPROTO',
]);
/** The server is going away or full: another attempt later may get in. */
const SERVER_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '08006', '08001', '08004']);

/** A server error's code; anything else (Node's, OpenSSL's) is the client's. */
const SQLSTATE = /^[0-9A-Z]{5}$/;

interface PgErrorShape {
  code?: string;
  message?: string;
}

/**
 * A node-postgres or server failure as a TargetError with a message for a person: what Rotor
 * could not do, where, why in a few words, and what to do. Server messages are quoted only
 * after every value of the call is scrubbed from them.
 */
export function translatePostgresError(error: unknown, call: PostgresCall): TargetError {
  if (error instanceof TargetError) return error;
  const { code = '', message = '' } = typeof error === 'object' && error !== null ? (error as PgErrorShape) : {};
  const cause = scrubbedCause(error, call.values);
  const where = describeEndpoint(call.target);
  const failed = `Could not ${call.action} at ${where}`;
  const who = call.managing ? `the managing role "${call.login}"` : `role "${call.login}"`;
  const said = cause.message;

  if (
    message === 'timeout expired' ||
    message.includes('connection timeout') ||
    message.includes('Query read timeout') ||
    code === '57014' ||
    code === '55P03'
  ) {
    const limit =
      call.stage === 'login' ? call.timeouts.connectMs : code === '55P03' ? lockTimeoutMs(call.timeouts) : call.timeouts.statementMs;
    const during =
      call.stage === 'login'
        ? 'connecting and logging in'
        : code === '55P03'
          ? 'waiting for a lock another session holds'
          : 'running the statement';
    return new TargetError(
      'timeout',
      `${failed}: no answer within ${limit} ms while ${during}. PostgreSQL cancels a statement at its timeout, so nothing was changed by it; run the step again later.`,
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
  if (message.includes('does not support SSL')) {
    return new TargetError(
      'tls',
      `${failed}: the server does not accept TLS, and the target's tls is "${call.target.tls}". Turn TLS on at the server (ssl = on), or set the target's tls to "disable" if the network to it is trusted.`,
      { cause },
    );
  }
  if (TLS_CODES.has(code) || (!SQLSTATE.test(code) && /certificate|SSL routines|TLS/i.test(message))) {
    return new TargetError(
      'tls',
      `${failed}: TLS could not be set up (${code || said}). With tls "verify-full" the server's certificate must be signed by a CA Node trusts (add it with NODE_EXTRA_CA_CERTS) and name the host; tls "require" encrypts without checking it.`,
      { cause },
    );
  }
  if (code === '28000' && /no encryption|SSL off/i.test(message)) {
    return new TargetError(
      'tls',
      `${failed}: the server accepts ${who} over TLS only, and the target's tls is "disable". Set the target's tls to "require" or "verify-full".`,
      { cause },
    );
  }
  if (code === '28P01' || code === '28000') {
    if (call.managing) {
      return new TargetError(
        'managing_refused',
        `${failed}: PostgreSQL refused the managing credential (role "${call.login}"): wrong user name or password, or pg_hba.conf does not let it connect. Correct the managing secret${call.target.managingSecretRef ? ` ${call.target.managingSecretRef}` : ''} and run the step again.`,
        { cause },
      );
    }
    return new TargetError(
      'login_refused',
      `${failed}: PostgreSQL refused role "${call.login}" with the password being checked (${said}). The password at the server is not the one in the store: run "set at target" again, or take the step over by hand.`,
      { cause },
    );
  }
  if (code === '3D000') {
    return new TargetError(
      'not_ready',
      `${failed}: database "${call.target.database}" does not exist there. Correct the target's dbname.`,
      { cause },
    );
  }
  if (code === '42704') {
    const role = call.role ?? call.login;
    return new TargetError(
      'login_missing',
      `${failed}: role "${role}" does not exist there. Create it (CREATE ROLE ${quoteIdentifier(role)} LOGIN, with the grants its application needs) or correct the target's role.`,
      { cause },
    );
  }
  if (code === '42501') {
    return new TargetError(
      'not_privileged',
      `${failed}: ${who} is not allowed to (${said}). The managing role needs CREATEROLE (on PostgreSQL 16 and later, also ADMIN OPTION on each target role); docs/targets.md gives the exact SQL.`,
      { cause },
    );
  }
  if (SERVER_UNAVAILABLE.has(code) || message.includes('Connection terminated')) {
    return new TargetError(
      'unreachable',
      `${failed}: the server ended the session or is not accepting connections (${code || said}). Run the step again in a moment.`,
      { cause },
    );
  }
  return new TargetError('server_error', `${failed}: PostgreSQL answered ${code ? `${code}: ` : ''}${said}`, { cause });
}
