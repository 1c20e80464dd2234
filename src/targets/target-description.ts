import { TargetError } from './target-error.js';

/**
 * Where a credential is used and can be changed: a PostgreSQL role or a Redis ACL user. A
 * description names places and logins only, never a value; the managing credential that may
 * change the target is named by its store reference and read at the moment it is needed.
 */
export type TargetEngine = 'postgres' | 'redis';

/**
 * How Rotor talks TLS to the target: `disable` (plain TCP), `require` (encrypted, the server's
 * certificate not checked, like libpq's sslmode=require), `verify-full` (encrypted, certificate
 * and host name checked against Node's trusted CAs and NODE_EXTRA_CA_CERTS).
 */
export type TlsMode = 'disable' | 'require' | 'verify-full';

export const TLS_MODES: readonly TlsMode[] = ['disable', 'require', 'verify-full'];

/** Both engines' default: encrypted, since a managing password crosses the wire at every login. */
export const DEFAULT_TLS_MODE: TlsMode = 'require';

export interface TargetEndpoint {
  host: string;
  port: number;
  tls: TlsMode;
}

/**
 * Which roles a PostgreSQL target rotates: one role whose password is replaced in place (a
 * short authentication blip for clients still holding the old one), or two pre-created roles
 * with the same grants, the inactive one getting the new password each time.
 */
export type PostgresRoles = { strategy: 'single-user'; role: string } | { strategy: 'alternating-users'; roles: readonly [string, string] };

export interface PostgresRoleTarget extends TargetEndpoint {
  engine: 'postgres';
  database: string;
  roles: PostgresRoles;
  /** The store reference of the managing credential (AWS's `masterarn` convention), when named. */
  managingSecretRef: string | null;
}

export interface RedisAclUserTarget extends TargetEndpoint {
  engine: 'redis';
  user: string;
  managingSecretRef: string | null;
}

export type TargetDescription = PostgresRoleTarget | RedisAclUserTarget;

/** The target's logins: one role or user, or the alternating pair. */
export function targetLogins(target: TargetDescription): readonly string[] {
  if (target.engine === 'redis') return [target.user];
  return target.roles.strategy === 'single-user' ? [target.roles.role] : target.roles.roles;
}

/** A short name for messages: `PostgreSQL 127.0.0.1:5432/app` or `Redis cache.internal:6379`. */
export function describeEndpoint(target: TargetDescription): string {
  const address = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  return target.engine === 'postgres' ? `PostgreSQL ${address}/${target.database}` : `Redis ${address}`;
}

/**
 * Refuses a login the target does not name: a managing credential changes the logins of its
 * target and nothing else, whatever a caller passes.
 */
export function assertNamedLogin(target: TargetDescription, username: string): void {
  const logins = targetLogins(target);
  if (!logins.includes(username)) {
    const named = logins.map((login) => `"${login}"`).join(' and ');
    throw new TargetError(
      'bad_request',
      `"${username}" is not a login of the target at ${describeEndpoint(target)}, which names ${named}; Rotor changes only the logins its target names.`,
    );
  }
}

/** What a PostgreSQL target's strategy does, or the Redis overlap, in one sentence for the modal. */
export function strategyLine(target: TargetDescription): string {
  if (target.engine === 'redis')
    return `Redis ACL user ${target.user}: the new password is added beside the old one (ACL SETUSER >new), and the old one removed at the end of the retention window.`;
  if (target.roles.strategy === 'alternating-users')
    return `Alternating roles ${target.roles.roles.join(' and ')}: the inactive one gets the new password and becomes active; the other keeps working until the retention window ends, then gets NOLOGIN.`;
  return `Single role ${target.roles.role}: its password is replaced, so clients still holding the old one are refused until they read the new one (an authentication blip).`;
}

/** The role of the pair that is not `activeRole`. */
export function inactiveRole(pair: readonly [string, string], activeRole: string): string {
  const [first, second] = pair;
  if (activeRole === first) return second;
  if (activeRole === second) return first;
  throw new TargetError(
    'bad_request',
    `The store's current value names role "${activeRole}", which is not one of the target's alternating roles "${first}" and "${second}". Correct the target or the value's username.`,
  );
}
