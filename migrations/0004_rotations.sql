-- Guided rotations. The rotation's state lives here, not in a Slack modal: closing Slack,
-- restarting Rotor or another person continuing the rotation loses nothing.

CREATE TABLE rotations (
  id                     INTEGER PRIMARY KEY,
  secret_id              INTEGER NOT NULL REFERENCES secrets (id),
  secret_name            TEXT NOT NULL,
  kind                   TEXT NOT NULL CHECK (kind IN ('scheduled', 'emergency')),
  state                  TEXT NOT NULL CHECK (state IN ('awaiting_approval', 'in_progress', 'completed', 'abandoned', 'rejected', 'rolled_back')),
  -- Bumped by every change; a click carrying an older version is refused (two people, two tabs).
  version                INTEGER NOT NULL DEFAULT 1,
  ticket                 TEXT,
  environment            TEXT NOT NULL,
  provider               TEXT NOT NULL CHECK (provider IN ('aws', 'vault', 'manual')),
  provider_ref           TEXT,
  required_approvals     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(required_approvals)),
  checklist_source       TEXT NOT NULL CHECK (json_valid(checklist_source)),
  preflight              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(preflight)),
  started_by             TEXT NOT NULL,
  started_at             TEXT NOT NULL,
  held_by                TEXT NOT NULL,
  updated_at             TEXT NOT NULL,
  previous_version_id    TEXT,
  previous_fingerprint   TEXT,
  new_version_id         TEXT,
  new_fingerprint        TEXT,
  -- An emergency that disables at once on AWS first makes a generated placeholder current
  -- (AWS cannot leave a secret without AWSCURRENT); the real replacement follows it.
  placeholder_version_id TEXT,
  promoted_at            TEXT,
  verified_at            TEXT,
  previous_last_rotated  TEXT,
  previous_next_rotation TEXT NOT NULL,
  previous_lifecycle     TEXT NOT NULL CHECK (previous_lifecycle IN ('active', 'rotating', 'compromised', 'retired')),
  completed_at           TEXT,
  ended_at               TEXT,
  ended_by               TEXT,
  end_reason             TEXT,
  break_glass_by         TEXT,
  break_glass_reason     TEXT,
  incident_id            INTEGER
) STRICT;

-- One open rotation per secret: a second /rotate finds the first instead of racing it.
CREATE UNIQUE INDEX rotations_one_open_per_secret ON rotations (secret_id) WHERE state IN ('awaiting_approval', 'in_progress');
CREATE INDEX rotations_by_secret ON rotations (secret_id, id);
CREATE INDEX rotations_open ON rotations (updated_at) WHERE state IN ('awaiting_approval', 'in_progress');
CREATE INDEX rotations_by_completion ON rotations (completed_at) WHERE completed_at IS NOT NULL;

-- The checklist the rotation snapshotted when it started, and what happened to each step.
CREATE TABLE rotation_steps (
  rotation_id INTEGER NOT NULL REFERENCES rotations (id),
  position    INTEGER NOT NULL,
  step_id     TEXT NOT NULL,
  title       TEXT NOT NULL,
  detail      TEXT,
  action      TEXT,
  required    INTEGER NOT NULL CHECK (required IN (0, 1)),
  gate        TEXT,
  state       TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'skipped')),
  started_at  TEXT,
  done_by     TEXT,
  done_at     TEXT,
  note        TEXT,
  skip_reason TEXT,
  result      TEXT CHECK (result IS NULL OR json_valid(result)),
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT,
  PRIMARY KEY (rotation_id, position),
  UNIQUE (rotation_id, step_id)
) STRICT;

-- The two-person rule: one decision per required role, and one role per person.
CREATE TABLE rotation_approvals (
  rotation_id INTEGER NOT NULL REFERENCES rotations (id),
  role        TEXT NOT NULL CHECK (role IN ('security_lead', 'devops_lead')),
  decision    TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
  decided_by  TEXT NOT NULL,
  decided_at  TEXT NOT NULL,
  reason      TEXT,
  PRIMARY KEY (rotation_id, role),
  UNIQUE (rotation_id, decided_by)
) STRICT;

-- The modal each person last had open on a rotation, so a change by someone else refreshes it.
CREATE TABLE rotation_views (
  rotation_id INTEGER NOT NULL REFERENCES rotations (id),
  user_id     TEXT NOT NULL,
  view_id     TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (rotation_id, user_id)
) STRICT;
