-- Which stores there are is the store catalog's to say (src/providers/store-kind.ts): a new store
-- is a folder and a line there, not a schema change. The CHECK (provider IN ('aws', 'vault',
-- 'manual')) constraints of migrations 0001, 0004 and 0011 go; every other constraint, column,
-- index, foreign key and STRICT stays as it was. SQLite cannot drop a constraint, so each table
-- is rebuilt (https://sqlite.org/lang_altertable.html#otheralter): made anew, filled, the old one
-- dropped, the new one renamed, its indexes made again. The migration runner turns foreign keys
-- off around it and checks them before it commits.

CREATE TABLE secrets_rebuilt (
  id                     INTEGER PRIMARY KEY,
  name                   TEXT NOT NULL UNIQUE,
  environment            TEXT NOT NULL,
  service                TEXT NOT NULL,
  credential_type        TEXT NOT NULL,
  type                   TEXT NOT NULL,
  description            TEXT,
  owner                  TEXT,
  backup_owner           TEXT,
  team                   TEXT,
  consumers              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(consumers)),
  provider               TEXT NOT NULL,
  provider_ref           TEXT,
  interval_days          INTEGER NOT NULL CHECK (interval_days > 0),
  last_rotated           TEXT,
  next_rotation          TEXT NOT NULL,
  lifecycle              TEXT NOT NULL DEFAULT 'active'
                           CHECK (lifecycle IN ('active', 'rotating', 'compromised', 'retired')),
  retrieval_instructions TEXT,
  tags                   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(tags)),
  checklist_override     TEXT CHECK (checklist_override IS NULL OR json_valid(checklist_override)),
  current_version_id     TEXT,
  current_fingerprint    TEXT,
  created_at             TEXT NOT NULL,
  updated_at             TEXT NOT NULL,
  value_source           TEXT CHECK (value_source IS NULL OR value_source IN ('generate', 'issuer')),
  value_field            TEXT
) STRICT;
INSERT INTO secrets_rebuilt (
  id, name, environment, service, credential_type, type, description, owner, backup_owner, team, consumers, provider, provider_ref,
  interval_days, last_rotated, next_rotation, lifecycle, retrieval_instructions, tags, checklist_override, current_version_id,
  current_fingerprint, created_at, updated_at, value_source, value_field
)
SELECT
  id, name, environment, service, credential_type, type, description, owner, backup_owner, team, consumers, provider, provider_ref,
  interval_days, last_rotated, next_rotation, lifecycle, retrieval_instructions, tags, checklist_override, current_version_id,
  current_fingerprint, created_at, updated_at, value_source, value_field
FROM secrets;
DROP TABLE secrets;
ALTER TABLE secrets_rebuilt RENAME TO secrets;
CREATE INDEX secrets_by_backup_owner ON secrets (backup_owner);
CREATE INDEX secrets_by_environment ON secrets (environment, service);
CREATE INDEX secrets_by_owner ON secrets (owner);
CREATE INDEX secrets_live_by_next_rotation ON secrets (next_rotation, name) WHERE lifecycle <> 'retired';
CREATE INDEX secrets_reminded_whatever_the_date ON secrets (lifecycle) WHERE lifecycle IN ('compromised', 'rotating');
CREATE INDEX secrets_unowned ON secrets (name) WHERE owner IS NULL AND lifecycle <> 'retired';

CREATE TABLE rotations_rebuilt (
  id                     INTEGER PRIMARY KEY,
  secret_id              INTEGER NOT NULL REFERENCES secrets (id),
  secret_name            TEXT NOT NULL,
  kind                   TEXT NOT NULL CHECK (kind IN ('scheduled', 'emergency')),
  state                  TEXT NOT NULL CHECK (state IN ('awaiting_approval', 'in_progress', 'completed', 'abandoned', 'rejected', 'rolled_back')),
  -- Bumped by every change; a click carrying an older version is refused (two people, two tabs).
  version                INTEGER NOT NULL DEFAULT 1,
  ticket                 TEXT,
  environment            TEXT NOT NULL,
  provider               TEXT NOT NULL,
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
  -- An emergency that disables at once in a store that cannot be left without a current
  -- version first makes a generated placeholder current; the real replacement follows it.
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
INSERT INTO rotations_rebuilt (
  id, secret_id, secret_name, kind, state, version, ticket, environment, provider, provider_ref, required_approvals, checklist_source,
  preflight, started_by, started_at, held_by, updated_at, previous_version_id, previous_fingerprint, new_version_id, new_fingerprint,
  placeholder_version_id, promoted_at, verified_at, previous_last_rotated, previous_next_rotation, previous_lifecycle, completed_at,
  ended_at, ended_by, end_reason, break_glass_by, break_glass_reason, incident_id
)
SELECT
  id, secret_id, secret_name, kind, state, version, ticket, environment, provider, provider_ref, required_approvals, checklist_source,
  preflight, started_by, started_at, held_by, updated_at, previous_version_id, previous_fingerprint, new_version_id, new_fingerprint,
  placeholder_version_id, promoted_at, verified_at, previous_last_rotated, previous_next_rotation, previous_lifecycle, completed_at,
  ended_at, ended_by, end_reason, break_glass_by, break_glass_reason, incident_id
FROM rotations;
DROP TABLE rotations;
ALTER TABLE rotations_rebuilt RENAME TO rotations;
CREATE INDEX rotations_by_completion ON rotations (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX rotations_by_secret ON rotations (secret_id, id);
CREATE UNIQUE INDEX rotations_one_open_per_secret ON rotations (secret_id) WHERE state IN ('awaiting_approval', 'in_progress');
CREATE INDEX rotations_open ON rotations (updated_at) WHERE state IN ('awaiting_approval', 'in_progress');

CREATE TABLE incidents_rebuilt (
  id                      INTEGER PRIMARY KEY,
  secret_id               INTEGER NOT NULL REFERENCES secrets (id),
  secret_name             TEXT NOT NULL,
  state                   TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  severity                TEXT NOT NULL CHECK (severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
  reason                  TEXT NOT NULL,
  ticket                  TEXT,
  channel                 TEXT NOT NULL,
  -- Who revoked it and leads the incident.
  responder               TEXT NOT NULL,
  revocation_order        TEXT NOT NULL CHECK (revocation_order IN ('replace_then_disable', 'disable_now')),
  -- For a store that can destroy a version: destroy the compromised version's data instead of taking it out of service.
  destroy                 INTEGER NOT NULL CHECK (destroy IN (0, 1)),
  compromised_version_id  TEXT,
  compromised_fingerprint TEXT,
  previous_lifecycle      TEXT NOT NULL,
  rotation_id             INTEGER REFERENCES rotations (id),
  opened_at               TEXT NOT NULL,
  acknowledged_at         TEXT,
  acknowledged_by         TEXT,
  last_update_at          TEXT NOT NULL,
  signed_off_by           TEXT,
  signed_off_at           TEXT,
  closed_at               TEXT,
  closed_by               TEXT,
  postmortem_url          TEXT,
  -- The status message in the incident channel, once posted.
  status_ts               TEXT,
  -- Bumped by every change, so status refreshes older than the newest are moot.
  version                 INTEGER NOT NULL DEFAULT 1,
  provider                TEXT,
  provider_ref            TEXT
) STRICT;
INSERT INTO incidents_rebuilt (
  id, secret_id, secret_name, state, severity, reason, ticket, channel, responder, revocation_order, destroy, compromised_version_id,
  compromised_fingerprint, previous_lifecycle, rotation_id, opened_at, acknowledged_at, acknowledged_by, last_update_at, signed_off_by,
  signed_off_at, closed_at, closed_by, postmortem_url, status_ts, version, provider, provider_ref
)
SELECT
  id, secret_id, secret_name, state, severity, reason, ticket, channel, responder, revocation_order, destroy, compromised_version_id,
  compromised_fingerprint, previous_lifecycle, rotation_id, opened_at, acknowledged_at, acknowledged_by, last_update_at, signed_off_by,
  signed_off_at, closed_at, closed_by, postmortem_url, status_ts, version, provider, provider_ref
FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_rebuilt RENAME TO incidents;
CREATE INDEX incidents_by_secret ON incidents (secret_id, id);
CREATE UNIQUE INDEX incidents_one_open_per_secret ON incidents (secret_id) WHERE state = 'open';

CREATE TABLE reference_change_requests_rebuilt (
  id            INTEGER PRIMARY KEY,
  secret_id     INTEGER NOT NULL REFERENCES secrets (id),
  secret_name   TEXT NOT NULL,
  from_provider TEXT NOT NULL,
  from_ref      TEXT,
  to_provider   TEXT NOT NULL,
  to_ref        TEXT,
  requested_by  TEXT NOT NULL,
  requested_at  TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
  decided_by    TEXT,
  decided_at    TEXT,
  -- Why it ended other than approved (rejected by whom, withdrawn by which request).
  end_note      TEXT
) STRICT;
INSERT INTO reference_change_requests_rebuilt (
  id, secret_id, secret_name, from_provider, from_ref, to_provider, to_ref, requested_by, requested_at, state, decided_by, decided_at, end_note
)
SELECT id, secret_id, secret_name, from_provider, from_ref, to_provider, to_ref, requested_by, requested_at, state, decided_by, decided_at, end_note
FROM reference_change_requests;
DROP TABLE reference_change_requests;
ALTER TABLE reference_change_requests_rebuilt RENAME TO reference_change_requests;
CREATE UNIQUE INDEX reference_change_requests_one_pending ON reference_change_requests (secret_id) WHERE state = 'pending';
