import type pg from 'pg';
import type { PreflightReport, TargetProblem } from '../credential-target.js';
import { targetLogins, type PostgresRoleTarget } from '../target-description.js';
import { quoteIdentifier } from './postgres-quoting.js';

/** PostgreSQL 16 made CREATEROLE alone insufficient: the managing role also needs ADMIN OPTION on each role it changes. */
export const ADMIN_OPTION_FROM_VERSION = 160000;
/** SCRAM-SHA-256 verifiers are understood from PostgreSQL 10. */
const SCRAM_FROM_VERSION = 100000;

interface ManagingRow {
  name: string;
  version_num: number;
  version: string;
  rolsuper: boolean;
  rolcreaterole: boolean;
  can_signal: boolean;
}

interface LoginRow {
  rolname: string;
  rolsuper: boolean;
  admin: boolean;
  inherits_privileges: boolean;
}

interface MembershipRow {
  member: string;
  group_name: string;
}

interface PrivilegeRow {
  grantee: string;
  object: string;
  kind: 'table' | 'schema' | 'database';
  privilege: string;
}

/**
 * The read-only checks of a PostgreSQL target, run in a session of the managing role: its
 * privilege over the target's roles (CREATEROLE; ADMIN OPTION from PostgreSQL 16), that the roles
 * exist and are not superusers, and for alternating roles that they are members of the same
 * group role and hold no grants or objects of their own that differ. Each problem carries the
 * SQL that fixes it.
 */
export async function postgresPreflight(client: pg.Client, target: PostgresRoleTarget): Promise<PreflightReport> {
  const problems: TargetProblem[] = [];
  const warnings: TargetProblem[] = [];
  const logins = [...targetLogins(target)];
  const managing = (
    await client.query<ManagingRow>(
      `SELECT current_user AS name, current_setting('server_version_num')::int AS version_num, current_setting('server_version') AS version,
              r.rolsuper, r.rolcreaterole, pg_has_role(current_user, 'pg_signal_backend', 'USAGE') AS can_signal
         FROM pg_roles r WHERE r.rolname = current_user`,
    )
  ).rows[0] as ManagingRow;
  const manager = quoteIdentifier(managing.name);
  const version = managing.version.split(' ')[0] ?? managing.version;

  if (managing.version_num < SCRAM_FROM_VERSION) {
    problems.push({
      check: 'server-version',
      message: `PostgreSQL ${version} does not understand SCRAM-SHA-256 verifiers; Rotor needs PostgreSQL 10 or later.`,
      fix: '-- upgrade the server',
    });
  }
  if (!managing.rolsuper && !managing.rolcreaterole) {
    problems.push({
      check: 'managing-privilege',
      message: `The managing role ${manager} has no CREATEROLE, so it cannot change the target's passwords.`,
      fix: `ALTER ROLE ${manager} CREATEROLE;`,
    });
  }

  const rows = (
    await client.query<LoginRow>(
      `SELECT r.rolname, r.rolsuper,
              CASE WHEN $2::int >= ${ADMIN_OPTION_FROM_VERSION} THEN pg_has_role(current_user, r.oid, 'MEMBER WITH ADMIN OPTION') ELSE true END AS admin,
              pg_has_role(current_user, r.oid, 'USAGE') AS inherits_privileges
         FROM pg_roles r WHERE r.rolname = ANY($1::text[])`,
      [logins, managing.version_num],
    )
  ).rows;
  const found = new Map(rows.map((row) => [row.rolname, row]));
  for (const login of logins) {
    const row = found.get(login);
    if (!row) {
      problems.push({
        check: 'login-exists',
        message: `Role ${quoteIdentifier(login)} does not exist at the server.`,
        fix: `CREATE ROLE ${quoteIdentifier(login)} LOGIN;\n-- then grant it what its application needs${target.roles.strategy === 'alternating-users' ? ', through the group role of the pair' : ''}`,
      });
      continue;
    }
    if (row.rolsuper && !managing.rolsuper) {
      problems.push({
        check: 'login-superuser',
        message: `Role ${quoteIdentifier(login)} is a superuser; a CREATEROLE role cannot change a superuser's password.`,
        fix: `ALTER ROLE ${quoteIdentifier(login)} NOSUPERUSER;\n-- applications should not log in as superusers`,
      });
    }
    if (!row.admin && !managing.rolsuper) {
      problems.push({
        check: 'managing-admin-option',
        message: `On PostgreSQL ${version} the managing role ${manager} needs ADMIN OPTION on role ${quoteIdentifier(login)} to change it.`,
        fix: `GRANT ${quoteIdentifier(login)} TO ${manager} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`,
      });
    }
  }

  const canEndSessions =
    managing.rolsuper || managing.can_signal || logins.every((login) => found.get(login)?.inherits_privileges ?? false);
  if (!canEndSessions) {
    warnings.push({
      check: 'managing-end-sessions',
      message: `The managing role ${manager} cannot end the target's sessions, so an emergency lock-out would refuse new logins but leave open sessions running.`,
      fix: `GRANT pg_signal_backend TO ${manager};`,
    });
  }

  if (target.roles.strategy === 'alternating-users' && logins.every((login) => found.has(login))) {
    problems.push(...(await alternatingRoleProblems(client, target.roles.roles)));
  }
  return { serverVersion: version, problems, warnings };
}

/**
 * Alternating roles must be interchangeable: members of the same group roles, and no privilege
 * or object of their own that the other lacks (objects created by one of them are owned by it,
 * the most reported failure of alternating-user rotation).
 */
async function alternatingRoleProblems(client: pg.Client, pair: readonly [string, string]): Promise<TargetProblem[]> {
  const [first, second] = pair;
  const problems: TargetProblem[] = [];
  const memberships = (
    await client.query<MembershipRow>(
      `SELECT m.rolname AS member, g.rolname AS group_name
         FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member JOIN pg_roles g ON g.oid = a.roleid
        WHERE m.rolname = ANY($1::text[])`,
      [[first, second]],
    )
  ).rows;
  const groupsOf = (role: string) => new Set(memberships.filter((row) => row.member === role).map((row) => row.group_name));
  const firstGroups = groupsOf(first);
  const secondGroups = groupsOf(second);
  const shared = [...firstGroups].filter((group) => secondGroups.has(group)).sort();
  const group = shared[0] ?? suggestedGroupName(first, second);
  const bothMembers = `GRANT ${quoteIdentifier(group)} TO ${quoteIdentifier(first)}, ${quoteIdentifier(second)};`;
  if (shared.length === 0) {
    problems.push({
      check: 'alternating-group',
      message: `Roles ${quoteIdentifier(first)} and ${quoteIdentifier(second)} are not members of a common group role, so they may not be able to use the same objects.`,
      fix: [
        `CREATE ROLE ${quoteIdentifier(group)} NOLOGIN;`,
        bothMembers,
        `-- then grant the application's privileges, and give ownership of its objects, to ${quoteIdentifier(group)} instead of either role`,
      ].join('\n'),
    });
  }
  const onlyFirst = [...firstGroups].filter((name) => !secondGroups.has(name));
  const onlySecond = [...secondGroups].filter((name) => !firstGroups.has(name));
  if (shared.length > 0 && (onlyFirst.length > 0 || onlySecond.length > 0)) {
    const lines = [
      ...onlyFirst.map((name) => `GRANT ${quoteIdentifier(name)} TO ${quoteIdentifier(second)};`),
      ...onlySecond.map((name) => `GRANT ${quoteIdentifier(name)} TO ${quoteIdentifier(first)};`),
    ];
    problems.push({
      check: 'alternating-group',
      message: `Roles ${quoteIdentifier(first)} and ${quoteIdentifier(second)} are members of different group roles (${describeOnly(first, onlyFirst)}${onlyFirst.length > 0 && onlySecond.length > 0 ? '; ' : ''}${describeOnly(second, onlySecond)}).`,
      fix: lines.join('\n'),
    });
  }

  const privileges = (
    await client.query<PrivilegeRow>(
      `SELECT r.rolname AS grantee, c.oid::regclass::text AS object, 'table' AS kind, a.privilege_type AS privilege
         FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee
        WHERE r.rolname = ANY($1::text[])
       UNION ALL
       SELECT r.rolname, c.oid::regclass::text, 'table', 'OWNER'
         FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
        WHERE r.rolname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       UNION ALL
       SELECT r.rolname, quote_ident(n.nspname), 'schema', a.privilege_type
         FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a JOIN pg_roles r ON r.oid = a.grantee
        WHERE r.rolname = ANY($1::text[])
       UNION ALL
       SELECT r.rolname, quote_ident(n.nspname), 'schema', 'OWNER'
         FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
        WHERE r.rolname = ANY($1::text[])
       UNION ALL
       SELECT r.rolname, quote_ident(d.datname), 'database', a.privilege_type
         FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a JOIN pg_roles r ON r.oid = a.grantee
        WHERE d.datname = current_database() AND r.rolname = ANY($1::text[])`,
      [[first, second]],
    )
  ).rows;
  const key = (row: PrivilegeRow) => `${row.kind}\u0000${row.object}\u0000${row.privilege}`;
  const held = (role: string) => new Map(privileges.filter((row) => row.grantee === role).map((row) => [key(row), row]));
  const firstHeld = held(first);
  const secondHeld = held(second);
  const differing = [
    ...[...firstHeld].filter(([k]) => !secondHeld.has(k)).map(([, row]) => row),
    ...[...secondHeld].filter(([k]) => !firstHeld.has(k)).map(([, row]) => row),
  ];
  if (differing.length > 0) {
    const listed = differing.map(
      (row) => `${quoteIdentifier(row.grantee)}: ${row.privilege === 'OWNER' ? 'owns' : row.privilege + ' on'} ${row.kind} ${row.object}`,
    );
    problems.push({
      check: 'alternating-grants',
      message: `Roles ${quoteIdentifier(first)} and ${quoteIdentifier(second)} hold different privileges of their own (${listed.join('; ')}), so the application would lose some of them when the roles alternate.`,
      fix: [...(shared.length === 0 ? ['-- after creating the group role:'] : []), ...differing.map((row) => moveToGroup(row, group))].join(
        '\n',
      ),
    });
  }
  return problems;
}

/** SQL that gives a role's own privilege or object to the group role instead. */
function moveToGroup(row: PrivilegeRow, group: string): string {
  const kind = row.kind.toUpperCase();
  if (row.privilege === 'OWNER')
    return row.kind === 'table'
      ? `ALTER TABLE ${row.object} OWNER TO ${quoteIdentifier(group)};`
      : `ALTER ${kind} ${row.object} OWNER TO ${quoteIdentifier(group)};`;
  return `GRANT ${row.privilege} ON ${kind} ${row.object} TO ${quoteIdentifier(group)};\nREVOKE ${row.privilege} ON ${kind} ${row.object} FROM ${quoteIdentifier(row.grantee)};`;
}

function describeOnly(role: string, groups: string[]): string {
  return groups.length === 0 ? '' : `only ${quoteIdentifier(role)} is in ${groups.map(quoteIdentifier).join(', ')}`;
}

/** `app_a` and `app_b` → `app_group`: the common prefix of the pair's names. */
function suggestedGroupName(first: string, second: string): string {
  let length = 0;
  while (length < first.length && first[length] === second[length]) length += 1;
  const prefix = first.slice(0, length).replace(/[_\-\s]+$/, '');
  return `${prefix || 'rotated'}_group`;
}
