import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
  CredentialTarget,
  LockOutReport,
  LoginCheck,
  LoginCredential,
  PreflightReport,
  RetiredCredential,
  TargetProblem,
} from '../credential-target.js';
import { assertNamedLogin, describeEndpoint, type RedisAclUserTarget } from '../target-description.js';
import { scrubbedCause, TargetError } from '../target-error.js';
import { DEFAULT_TARGET_TIMEOUTS, type TargetTimeouts } from '../target-timeouts.js';
import { aclPasswordHash, readAclUser, type AclUser } from './redis-acl-user.js';
import { MANAGING_USER_COMMANDS, NO_ACL_USERS } from './redis-errors.js';
import { withRedisSession, type RedisCommand } from './redis-session.js';

/**
 * Redis ACL users as a credential target. A user may hold several passwords, so a new one is
 * added beside the old (no outage) and the old one removed at the end of the retention window.
 * Passwords go to the server as SHA-256 hashes (`#`/`!` rules), never as cleartext; only the
 * verifying AUTH carries the value, as any client's login does. Never RESETPASS, never
 * CONFIG SET requirepass: both drop every other password at once.
 */
export class RedisCredentialTarget implements CredentialTarget<RedisAclUserTarget> {
  readonly engine = 'redis' as const;

  constructor(private readonly timeouts: TargetTimeouts = DEFAULT_TARGET_TIMEOUTS) {}

  preflight(target: RedisAclUserTarget, managing: LoginCredential): Promise<PreflightReport> {
    return withRedisSession(target, managing, this.timeouts, { managing: true, action: 'check the target', values: [] }, (command) =>
      redisPreflight(command, target, managing.username),
    );
  }

  async setCredential(target: RedisAclUserTarget, managing: LoginCredential, credential: LoginCredential): Promise<void> {
    assertNamedLogin(target, credential.username);
    if (credential.password.length === 0) throw new TargetError('bad_request', 'An empty password cannot be added to a Redis user.');
    const hash = aclPasswordHash(credential.password);
    await withRedisSession(
      target,
      managing,
      this.timeouts,
      { managing: true, action: `add a password to user "${credential.username}"`, values: [credential.password, hash] },
      async (command) => {
        await existingUser(command, target, credential.username);
        await command(['ACL', 'SETUSER', credential.username, `#${hash}`]);
      },
    );
  }

  async verifyLogin(target: RedisAclUserTarget, credential: LoginCredential): Promise<LoginCheck> {
    assertNamedLogin(target, credential.username);
    const started = performance.now();
    const reply = await withRedisSession(
      target,
      credential,
      this.timeouts,
      { managing: false, action: `log in as user "${credential.username}"`, values: [] },
      (command) => command(['PING']),
    );
    if (reply !== 'PONG')
      throw new TargetError(
        'server_error',
        `Logged in as user "${credential.username}" at ${describeEndpoint(target)}, but PING did not answer PONG.`,
      );
    return { latencyMs: Math.round(performance.now() - started) };
  }

  /**
   * Removes the old password, and only it; the user's other passwords stay. Refused when it is
   * the user's last password, which would leave the user unable to log in at all.
   */
  async retire(target: RedisAclUserTarget, managing: LoginCredential, credential: RetiredCredential): Promise<void> {
    assertNamedLogin(target, credential.username);
    const old = requiredPassword(credential, 'retire');
    const hash = aclPasswordHash(old);
    await withRedisSession(
      target,
      managing,
      this.timeouts,
      { managing: true, action: `remove the old password of user "${credential.username}"`, values: [old, hash] },
      async (command) => {
        const user = await existingUser(command, target, credential.username);
        if (!user.passwordHashes.includes(hash)) return;
        if (user.passwordHashes.length === 1) {
          throw new TargetError(
            'bad_request',
            `The old password is the only password of user "${credential.username}" at ${describeEndpoint(target)}; removing it would leave the user unable to log in. Set the new password first. Nothing was changed.`,
          );
        }
        await command(['ACL', 'SETUSER', credential.username, `!${hash}`]);
      },
    );
  }

  /** Emergency: the compromised password is removed, then every connection of the user is closed. */
  async lockOut(target: RedisAclUserTarget, managing: LoginCredential, credential: RetiredCredential): Promise<LockOutReport> {
    assertNamedLogin(target, credential.username);
    const compromised = requiredPassword(credential, 'lock out');
    const hash = aclPasswordHash(compromised);
    const user = credential.username;
    return withRedisSession(
      target,
      managing,
      this.timeouts,
      { managing: true, action: `lock out the compromised password of user "${user}"`, values: [compromised, hash] },
      async (command) => {
        const before = await existingUser(command, target, user);
        if (before.passwordHashes.includes(hash)) await command(['ACL', 'SETUSER', user, `!${hash}`]);
        let sessionsEnded: number;
        try {
          sessionsEnded = Number(await command(['CLIENT', 'KILL', 'USER', user]));
        } catch (error) {
          if (!isNoPermission(error)) throw error;
          throw new TargetError(
            'not_privileged',
            `User "${user}" at ${describeEndpoint(target)} no longer accepts the compromised password, but its open connections could not be closed: the managing user "${managing.username}" may not run CLIENT KILL. Close them by hand (CLIENT KILL USER ${user}) and give the managing user +client|kill for next time.`,
            { cause: scrubbedCause(error, [compromised, hash]) },
          );
        }
        const ended = `${sessionsEnded} connection${sessionsEnded === 1 ? '' : 's'} closed`;
        return {
          loginRefused: true,
          sessionsEnded,
          summary: `User "${user}" no longer accepts the compromised password; ${ended} (clients with the new password reconnect).`,
        };
      },
    );
  }
}

function requiredPassword(credential: RetiredCredential, verb: string): string {
  if (!credential.password)
    throw new TargetError(
      'bad_request',
      `To ${verb} a password of Redis user "${credential.username}", Rotor needs that password (from the store's previous version): a Redis user's other passwords must stay.`,
    );
  return credential.password;
}

async function existingUser(command: RedisCommand, target: RedisAclUserTarget, user: string): Promise<AclUser> {
  const found = await readAclUser(command, user);
  if (!found)
    throw new TargetError(
      'login_missing',
      `User "${user}" does not exist at ${describeEndpoint(target)}. Create it with the permissions its application needs (ACL SETUSER ${user} on …), or correct the target's user.`,
    );
  return found;
}

/**
 * The read-only checks of a Redis target, as the managing user: the server has ACL users, the
 * managing user may read and change the target user, and the target user exists with passwords
 * (a `nopass` user takes any password; adding one ends that).
 */
async function redisPreflight(command: RedisCommand, target: RedisAclUserTarget, manager: string): Promise<PreflightReport> {
  const problems: TargetProblem[] = [];
  const warnings: TargetProblem[] = [];
  const serverVersion = await readServerVersion(command);
  try {
    await command(['ACL', 'WHOAMI']);
  } catch (error) {
    if (error instanceof Error && /unknown command/i.test(error.message)) {
      return {
        serverVersion,
        problems: [
          {
            check: 'server-acl',
            message: `${describeEndpoint(target)}: ${NO_ACL_USERS}.`,
            fix: 'Upgrade to Redis 6 or later (or stop renaming the ACL command away), then give the application its own ACL user.',
          },
        ],
        warnings,
      };
    }
    if (!isNoPermission(error)) throw error;
  }
  let user: AclUser | null;
  try {
    user = await readAclUser(command, target.user);
    // A SETUSER without rules changes nothing on an existing user: it shows whether the managing user may run it.
    if (user) await command(['ACL', 'SETUSER', target.user]);
  } catch (error) {
    if (!isNoPermission(error)) throw error;
    problems.push({
      check: 'managing-privilege',
      message: `The managing user "${manager}" may not read or change ACL users (ACL GETUSER, ACL SETUSER).`,
      fix: `ACL SETUSER ${manager} ${MANAGING_USER_COMMANDS}`,
    });
    return { serverVersion, problems, warnings };
  }
  if (!user) {
    problems.push({
      check: 'login-exists',
      message: `User "${target.user}" does not exist at the server.`,
      fix: `ACL SETUSER ${target.user} on ~<the application's keys> <its commands, e.g. +@read +@write>`,
    });
    return { serverVersion, problems, warnings };
  }
  if (user.flags.includes('off')) {
    warnings.push({
      check: 'login-enabled',
      message: `User "${target.user}" is off: no password logs in until it is turned on.`,
      fix: `ACL SETUSER ${target.user} on`,
    });
  }
  if (user.flags.includes('nopass')) {
    warnings.push({
      check: 'login-nopass',
      message: `User "${target.user}" has nopass: any password logs in now. Setting the first password ends that, and clients that send another password are refused from then on.`,
      fix: null,
    });
  }
  if (!(await mayCloseConnections(command))) {
    warnings.push({
      check: 'managing-end-sessions',
      message: `The managing user "${manager}" may not run CLIENT KILL, so an emergency lock-out would refuse the compromised password but leave its open connections running.`,
      fix: `ACL SETUSER ${manager} +client|kill`,
    });
  }
  return { serverVersion, problems, warnings };
}

/**
 * CLIENT KILL USER of a user that cannot exist: Redis checks the permission first (NOPERM), then
 * answers that there is no such user, so nothing is closed either way.
 */
async function mayCloseConnections(command: RedisCommand): Promise<boolean> {
  try {
    await command(['CLIENT', 'KILL', 'USER', `rotor-preflight-${randomUUID()}`]);
    return true;
  } catch (error) {
    return !isNoPermission(error);
  }
}

async function readServerVersion(command: RedisCommand): Promise<string> {
  try {
    const info = String(await command(['INFO', 'server']));
    return /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
  } catch (error) {
    if (isNoPermission(error)) return 'unknown';
    throw error;
  }
}

function isNoPermission(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOPERM');
}
