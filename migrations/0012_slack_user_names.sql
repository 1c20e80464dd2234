-- The name Slack gives each person users.info was asked about (their full name, else their
-- display name), cached with their time zone, so evidence and reports can name people as
-- `Name (U…)` without calling Slack. NULL until the next lookup; people are then named by id.
ALTER TABLE slack_user_cache ADD COLUMN name TEXT;
