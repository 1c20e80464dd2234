-- Reminder delivery state. The ledger makes the sweep exactly-once: a reminder is claimed
-- (one row per secret, rotation cycle and kind; the UNIQUE key settles races between
-- overlapping sweeps and processes), then sent, then marked sent with the message ts.

CREATE TABLE reminder_ledger (
  id          INTEGER PRIMARY KEY,
  secret_id   INTEGER NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  -- The next-rotation date (YYYY-MM-DD) the reminder is about: a rotation starts a new cycle.
  cycle       TEXT NOT NULL,
  -- warning:<days>, due, overdue:<step>, snooze:<n>
  kind        TEXT NOT NULL,
  recipient   TEXT NOT NULL,
  -- Escalation level the recipient was reached at (owner, backup_owner, team_lead, security, cto).
  level       TEXT NOT NULL,
  -- claimed: being sent (or the sender died); sent: delivered; released: a claim given back
  -- after a send that certainly did not happen, so a later sweep may claim it again.
  state       TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'released')),
  claim_token TEXT,
  claimed_at  TEXT,
  attempts    INTEGER NOT NULL DEFAULT 1,
  channel     TEXT,
  message_ts  TEXT,
  sent_at     TEXT,
  last_error  TEXT,
  UNIQUE (secret_id, cycle, kind)
) STRICT;

CREATE INDEX reminder_ledger_claims ON reminder_ledger (claimed_at) WHERE state = 'claimed';
CREATE INDEX reminder_ledger_sent ON reminder_ledger (sent_at) WHERE state = 'sent';

-- Snoozes asked for from a reminder DM; at most two per secret and cycle.
CREATE TABLE reminder_snoozes (
  id          INTEGER PRIMARY KEY,
  secret_id   INTEGER NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  cycle       TEXT NOT NULL,
  seq         INTEGER NOT NULL CHECK (seq IN (1, 2)),
  snoozed_by  TEXT NOT NULL,
  until_date  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  UNIQUE (secret_id, cycle, seq)
) STRICT;

-- What users.info said about a recipient: time zone for the local delivery hour, and whether
-- the account is gone (deleted, or unknown to Slack). Rows older than the cache TTL are refetched.
CREATE TABLE slack_user_cache (
  user_id    TEXT PRIMARY KEY,
  tz         TEXT,
  gone       INTEGER NOT NULL CHECK (gone IN (0, 1)),
  fetched_at TEXT NOT NULL
) STRICT;

-- Problems a person must fix, shown by `/secrets review`: e.g. an owner no longer in Slack.
CREATE TABLE secret_review_flags (
  secret_id  INTEGER NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  flag       TEXT NOT NULL,
  detail     TEXT NOT NULL,
  flagged_at TEXT NOT NULL,
  PRIMARY KEY (secret_id, flag)
) STRICT;

-- One row per sweep, so /healthz, /metrics and the weekly digest can tell when reminders last
-- went out, from any process sharing the database.
CREATE TABLE reminder_sweeps (
  id          INTEGER PRIMARY KEY,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  ok          INTEGER CHECK (ok IN (0, 1)),
  sent        INTEGER NOT NULL DEFAULT 0,
  error       TEXT
) STRICT;

CREATE INDEX reminder_sweeps_ok ON reminder_sweeps (finished_at) WHERE ok = 1;

-- Weekly channel digests already posted, keyed by ISO week, so two processes post one.
CREATE TABLE reminder_weekly_digests (
  week      TEXT PRIMARY KEY,
  posted_at TEXT NOT NULL,
  channel   TEXT NOT NULL,
  message_ts TEXT
) STRICT;
