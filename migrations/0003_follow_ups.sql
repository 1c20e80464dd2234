-- Durable one-off follow-ups: "remove the previous version at +48 h", "re-send an unanswered
-- approval after a day", "page the next level at +15 min", "postmortem reminder at +48 h, then
-- daily". Each is claimed, done, then marked (the reminder ledger's semantics), so a crash, a
-- restart or a second process never loses one and never does one twice.

CREATE TABLE follow_ups (
  id          INTEGER PRIMARY KEY,
  -- What to do, e.g. rotation.remove_previous; a handler is registered per kind.
  kind        TEXT NOT NULL,
  -- What it is about, e.g. rotation:12 or incident:3; cancelling a topic cancels all of its follow-ups.
  topic       TEXT NOT NULL,
  -- Which one of a repeating series (e.g. the date of a daily reminder); '' for a one-off.
  occurrence  TEXT NOT NULL DEFAULT '',
  due_at      TEXT NOT NULL,
  payload     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  -- pending: waiting for due_at; claimed: being done (or its doer died); done; failed: gave up
  -- after repeated errors (announced); cancelled: no longer wanted.
  state       TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'done', 'failed', 'cancelled')),
  claim_token TEXT,
  claimed_at  TEXT,
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT,
  outcome     TEXT CHECK (outcome IS NULL OR json_valid(outcome)),
  created_at  TEXT NOT NULL,
  done_at     TEXT,
  UNIQUE (kind, topic, occurrence)
) STRICT;

CREATE INDEX follow_ups_due ON follow_ups (due_at) WHERE state = 'pending';
CREATE INDEX follow_ups_claims ON follow_ups (claimed_at) WHERE state = 'claimed';
CREATE INDEX follow_ups_by_topic ON follow_ups (topic);

-- One row per follow-up sweep, like reminder_sweeps: health and metrics from any process.
CREATE TABLE follow_up_sweeps (
  id          INTEGER PRIMARY KEY,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  ok          INTEGER CHECK (ok IN (0, 1)),
  sent        INTEGER NOT NULL DEFAULT 0,
  error       TEXT
) STRICT;

CREATE INDEX follow_up_sweeps_ok ON follow_up_sweeps (finished_at) WHERE ok = 1;
