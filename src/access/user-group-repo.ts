import type { DateTime } from 'luxon';
import { isoInstant } from '../core/clock.js';
import { inWriteTransaction, type Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

/** One Slack user group and its members, as usergroups.list answers. */
export interface UserGroupMembers {
  id: string;
  users: readonly string[];
}

/**
 * Who is in which Slack user group, as Slack last said (migration 0017). Read synchronously by
 * every visibility check; refreshed from Slack by the adapter when it is older than the refresh
 * interval (src/slack/outbound/slack-user-groups.ts).
 */
export class UserGroupRepo {
  constructor(private readonly db: Db) {}

  /** The user groups this member is in; none when Slack was never asked. */
  groupsOf(userId: string): string[] {
    return statement(this.db, 'SELECT group_id FROM user_group_members WHERE user_id = ? ORDER BY group_id')
      .pluck()
      .all(userId) as string[];
  }

  /** The members of a user group; none when Slack was never asked or does not know it. */
  membersOf(groupId: string): string[] {
    return statement(this.db, 'SELECT user_id FROM user_group_members WHERE group_id = ? ORDER BY user_id')
      .pluck()
      .all(groupId) as string[];
  }

  /** When the list was last read from Slack (ISO instant), or null. */
  fetchedAt(): string | null {
    return (statement(this.db, 'SELECT fetched_at FROM user_group_refreshes WHERE id = 1').pluck().get() as string | undefined) ?? null;
  }

  /** Replaces the whole list with what Slack answered at `at`. */
  replace(groups: readonly UserGroupMembers[], at: DateTime): void {
    inWriteTransaction(this.db, () => {
      statement(this.db, 'DELETE FROM user_group_members').run();
      const insert = statement(this.db, 'INSERT OR IGNORE INTO user_group_members (group_id, user_id) VALUES (?, ?)');
      for (const group of groups) for (const user of group.users) insert.run(group.id, user);
      statement(
        this.db,
        'INSERT INTO user_group_refreshes (id, fetched_at) VALUES (1, @at) ON CONFLICT (id) DO UPDATE SET fetched_at = @at',
      ).run({ at: isoInstant(at) });
    });
  }
}
