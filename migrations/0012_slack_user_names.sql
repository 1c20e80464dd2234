-- The name Slack gives each person users.info was asked about (their full name, else their
-- display name), so evidence and reports can name people as `Name (U…)` without calling Slack.
-- Kept beside slack_user_cache (time zone, still in Slack) and refreshed by the same lookups.
CREATE TABLE slack_user_names (
  user_id    TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  fetched_at TEXT NOT NULL
) STRICT;
