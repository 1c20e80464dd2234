import { secretFromRow, type SecretRow } from '../inventory/secret-row.js';
import type { Secret } from '../inventory/secret.js';
import { statement } from '../storage/statements.js';
import type { Db } from '../storage/database.js';

/** Where Rotor learned that a person left: Slack's `user_change` event, or the users.info sweep. */
export type DepartureSource = 'event' | 'sweep';

export interface Departure {
  id: number;
  userId: string;
  source: DepartureSource;
  observedAt: string;
}

interface DepartureRow {
  id: number;
  user_id: string;
  source: DepartureSource;
  observed_at: string;
}

/** People who left, one open departure each (migration 0014's personnel_changes). Writes happen inside the callers' audit records. */
export class PersonnelChangeRepo {
  constructor(private readonly db: Db) {}

  /** The person's departure not yet undone by a reactivation, or null. */
  openDeparture(userId: string): Departure | null {
    const row = statement(
      this.db,
      `SELECT id, user_id, source, observed_at FROM personnel_changes WHERE user_id = ? AND change = 'deactivated' AND returned_at IS NULL`,
    ).get(userId) as DepartureRow | undefined;
    return row ? { id: row.id, userId: row.user_id, source: row.source, observedAt: row.observed_at } : null;
  }

  addDeparture(userId: string, source: DepartureSource, now: string): Departure {
    const row = statement(
      this.db,
      `INSERT INTO personnel_changes (user_id, change, source, observed_at) VALUES (?, 'deactivated', ?, ?) RETURNING id`,
    ).get(userId, source, now) as { id: number };
    return { id: row.id, userId, source, observedAt: now };
  }

  /** A reactivated member: their open departure is closed, so a later deactivation is a new one. */
  markReturned(userId: string, now: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE personnel_changes SET returned_at = ? WHERE user_id = ? AND change = 'deactivated' AND returned_at IS NULL`,
      ).run(now, userId).changes > 0
    );
  }

  /** Records that the person lost these policy roles (read at start-up); returns its id. */
  addRoleRemoval(userId: string, roles: readonly string[], now: string): number {
    const row = statement(
      this.db,
      `INSERT INTO personnel_changes (user_id, change, roles, source, observed_at) VALUES (?, 'removed_from_roles', ?, 'policy', ?) RETURNING id`,
    ).get(userId, JSON.stringify(roles), now) as { id: number };
    return row.id;
  }

  /** The policy's roles as the bot last read them: `role` → member ids. */
  roleMembers(): { role: string; userId: string }[] {
    return (
      statement(this.db, 'SELECT role, user_id FROM policy_role_members ORDER BY role, user_id').all() as {
        role: string;
        user_id: string;
      }[]
    ).map((row) => ({ role: row.role, userId: row.user_id }));
  }

  /** Replaces the remembered roles with the policy's current ones. */
  rememberRoles(members: readonly { role: string; userId: string }[], now: string): void {
    statement(this.db, 'DELETE FROM policy_role_members').run();
    const insert = statement(this.db, 'INSERT OR IGNORE INTO policy_role_members (role, user_id, seen_at) VALUES (?, ?, ?)');
    for (const member of members) insert.run(member.role, member.userId, now);
  }

  /** Live secrets the person owns, backs up or may read (named in the access list), by name. */
  secretsReachableBy(userId: string): Secret[] {
    const rows = statement(
      this.db,
      `SELECT * FROM secrets s WHERE s.lifecycle <> 'retired'
         AND (s.owner = @user OR s.backup_owner = @user OR EXISTS (SELECT 1 FROM json_each(s.access) WHERE value = @user))
       ORDER BY s.name`,
    ).all({ user: userId }) as SecretRow[];
    return rows.map(secretFromRow);
  }
}
