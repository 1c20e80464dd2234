import type { DateTime } from 'luxon';
import { inWriteTransaction, type Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

export interface CachedPerson {
  userId: string;
  tz: string | null;
  gone: boolean;
  fetchedAt: string;
  /** How Slack names them; a lookup without a name keeps the one saved before. */
  name?: string | null;
}

export interface ReviewFlag {
  secretName: string;
  flag: string;
  detail: string;
  flaggedAt: string;
}

/**
 * What Slack said about the people Rotor looked up (time zone, still in Slack or not, their
 * name), cached in the database so every process shares it and a restart does not refetch
 * everyone; and the review flags a missing owner raises.
 */
export class RecipientDirectoryRepo {
  constructor(private readonly db: Db) {}

  all(): Map<string, CachedPerson> {
    const rows = statement(this.db, 'SELECT user_id, tz, gone, fetched_at FROM slack_user_cache').all() as {
      user_id: string;
      tz: string | null;
      gone: number;
      fetched_at: string;
    }[];
    return new Map(rows.map((row) => [row.user_id, { userId: row.user_id, tz: row.tz, gone: row.gone === 1, fetchedAt: row.fetched_at }]));
  }

  save(person: CachedPerson): void {
    statement(
      this.db,
      `INSERT INTO slack_user_cache (user_id, tz, gone, fetched_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET tz = excluded.tz, gone = excluded.gone, fetched_at = excluded.fetched_at`,
    ).run(person.userId, person.tz, person.gone ? 1 : 0, person.fetchedAt);
    if (person.name) {
      statement(
        this.db,
        'INSERT INTO slack_user_names (user_id, name, fetched_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, fetched_at = excluded.fetched_at',
      ).run(person.userId, person.name, person.fetchedAt);
    }
  }

  /** The names Slack gave people, by member id: how evidence and reports name people. */
  names(): Record<string, string> {
    const rows = statement(this.db, 'SELECT user_id, name FROM slack_user_names').all() as { user_id: string; name: string }[];
    return Object.fromEntries(rows.map((row) => [row.user_id, row.name]));
  }

  /** Flags every live secret this person owns; the flag stays until someone fixes the owner. */
  flagOwnerGone(userId: string, now: DateTime): string[] {
    return inWriteTransaction(this.db, () => {
      const names = statement(this.db, `SELECT id, name FROM secrets WHERE owner = ? AND lifecycle <> 'retired'`).all(userId) as {
        id: number;
        name: string;
      }[];
      const insert = statement(
        this.db,
        `INSERT INTO secret_review_flags (secret_id, flag, detail, flagged_at) VALUES (?, 'owner_not_in_slack', ?, ?)
         ON CONFLICT (secret_id, flag) DO NOTHING`,
      );
      for (const row of names)
        insert.run(row.id, `owner ${userId} is no longer in Slack; reminders go to the backup owner`, now.toUTC().toISO());
      return names.map((row) => row.name);
    });
  }

  /**
   * Open review flags, for `/secrets review`: only those whose secret still has the owner that
   * left, so a flag disappears as soon as someone assigns a new owner.
   */
  reviewFlags(): ReviewFlag[] {
    const rows = statement(
      this.db,
      `SELECT s.name, f.flag, f.detail, f.flagged_at FROM secret_review_flags f
           JOIN secrets s ON s.id = f.secret_id
           JOIN slack_user_cache c ON c.user_id = s.owner
         WHERE f.flag = 'owner_not_in_slack' AND c.gone = 1 AND s.lifecycle <> 'retired'
         ORDER BY s.name`,
    ).all() as { name: string; flag: string; detail: string; flagged_at: string }[];
    return rows.map((row) => ({ secretName: row.name, flag: row.flag, detail: row.detail, flaggedAt: row.flagged_at }));
  }
}
