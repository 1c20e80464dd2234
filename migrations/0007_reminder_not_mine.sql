-- "Not mine" answers from a reminder DM: at most one per person, secret and rotation cycle, like
-- the snoozes beside them. The person is reminded no more about that secret in that cycle (the
-- escalation ladder passes over them), the admins are told once, and the suggested owner is kept
-- so the admins' DM can apply it with one button.

CREATE TABLE reminder_not_mine (
  secret_id       INTEGER NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  cycle           TEXT NOT NULL,
  said_by         TEXT NOT NULL,
  suggested_owner TEXT,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (secret_id, cycle, said_by)
) STRICT;
