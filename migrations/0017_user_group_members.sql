-- Who is in which Slack user group (`S…`), as Slack's usergroups.list last answered (issue 24):
-- a secret's `access` list and the policy's `teams` may name user groups, and a member may read
-- what a group they are in may read. Kept in the database so every process and a restart answer
-- from the same list, and Slack is asked again only once it is older than the refresh interval.
CREATE TABLE user_group_members (
  group_id TEXT NOT NULL,
  user_id  TEXT NOT NULL,
  PRIMARY KEY (group_id, user_id)
) STRICT;

CREATE INDEX user_group_members_by_user ON user_group_members (user_id);

-- When the list above was last read from Slack (one row at most).
CREATE TABLE user_group_refreshes (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  fetched_at TEXT NOT NULL
) STRICT;
