-- Signed Slack requests seen within Slack's five-minute window. A byte-identical replay carries
-- the same signature, so remembering each signature until its timestamp leaves the window is
-- enough to drop a repeat, across restarts and across processes on this database. The digest
-- is the SHA-256 of the X-Slack-Signature header; rows are pruned once expired.
CREATE TABLE slack_request_signatures (
  digest     BLOB PRIMARY KEY,
  -- Unix seconds: the request's timestamp plus the window; after that Slack's timestamp check refuses it anyway.
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX slack_request_signatures_expiry ON slack_request_signatures (expires_at);

-- Repeated refusals of one action to one actor, counted instead of audited one by one: the first
-- refusal of a window is an access.denied event at once; the repeats inside the window are counted
-- here and written as one access.denied_repeats event when the window closes.
CREATE TABLE refusal_windows (
  actor      TEXT NOT NULL,
  attempted  TEXT NOT NULL,
  opened_at  TEXT NOT NULL,
  -- The access.denied event that opened the window.
  first_seq  INTEGER NOT NULL,
  repeats    INTEGER NOT NULL DEFAULT 0,
  last_at    TEXT,
  -- Distinct secrets the repeats were about, the first few (see refusal-log.ts); more_secrets
  -- says there were others.
  secrets      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(secrets)),
  more_secrets INTEGER NOT NULL DEFAULT 0 CHECK (more_secrets IN (0, 1)),
  PRIMARY KEY (actor, attempted)
) STRICT;

CREATE INDEX refusal_windows_opened ON refusal_windows (opened_at);
