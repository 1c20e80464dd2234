-- The inventory and the audit log. Rotor stores metadata, provider references,
-- version ids and SHA-256 fingerprints only: never a secret's value.

CREATE TABLE secrets (
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
  provider               TEXT NOT NULL CHECK (provider IN ('aws', 'vault', 'manual')),
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
  updated_at             TEXT NOT NULL
) STRICT;

-- "What is due / overdue" is a range scan over next_rotation among live secrets, so the
-- cost follows the size of the answer, not of the inventory.
CREATE INDEX secrets_live_by_next_rotation ON secrets (next_rotation, name) WHERE lifecycle <> 'retired';
CREATE INDEX secrets_by_owner ON secrets (owner);
CREATE INDEX secrets_by_backup_owner ON secrets (backup_owner);
CREATE INDEX secrets_by_environment ON secrets (environment, service);
CREATE INDEX secrets_unowned ON secrets (name) WHERE owner IS NULL AND lifecycle <> 'retired';

-- Append-only and hash-chained: each event holds the SHA-256 of the one before, so any
-- altered, removed or reordered row breaks the chain that `rotor audit verify` walks.
CREATE TABLE audit_events (
  seq       INTEGER PRIMARY KEY,
  at        TEXT NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  secret    TEXT,
  details   TEXT NOT NULL CHECK (json_valid(details)),
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
) STRICT;

CREATE INDEX audit_events_by_time ON audit_events (at);
CREATE INDEX audit_events_by_secret ON audit_events (secret, seq);

-- The newest event's position and hash, written with every append: a truncated tail (the last
-- events deleted) leaves the chain itself intact, but no longer matches this head.
CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT NOT NULL
) STRICT;
