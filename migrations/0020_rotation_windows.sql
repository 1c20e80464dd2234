-- Planned windows (issue 23 item 4): a rotation scheduled for a time, with its expected duration
-- and impact. Consumers and the announcement channel are told when it is planned, before it and
-- when it starts (follow-ups, topic `rotation_window:<id>`); the checklist's irreversible steps
-- stay locked outside it unless an approver overrides, with a reason. Planning again replaces the
-- rotation's window (`replaced_at`): one current window per rotation.
CREATE TABLE rotation_windows (
  id              INTEGER PRIMARY KEY,
  rotation_id     INTEGER NOT NULL REFERENCES rotations (id),
  environment     TEXT NOT NULL,
  starts_at       TEXT NOT NULL,
  ends_at         TEXT NOT NULL,
  impact          TEXT NOT NULL,
  planned_by      TEXT NOT NULL,
  planned_at      TEXT NOT NULL,
  replaced_at     TEXT,
  override_by     TEXT,
  override_reason TEXT,
  override_at     TEXT,
  CHECK (ends_at > starts_at)
) STRICT;

CREATE UNIQUE INDEX rotation_windows_current ON rotation_windows (rotation_id) WHERE replaced_at IS NULL;
CREATE INDEX rotation_windows_by_time ON rotation_windows (environment, starts_at) WHERE replaced_at IS NULL;
