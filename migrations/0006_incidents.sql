-- Emergency revocations. The incident record is the truth; the status message in the incident
-- channel is a view of it, redrawn after every change.

CREATE TABLE incidents (
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
  -- Vault only: destroy the compromised version's data instead of a soft delete.
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
  version                 INTEGER NOT NULL DEFAULT 1
) STRICT;

-- One open incident per secret: a second /revoke (or a replayed confirmation) shows the first.
CREATE UNIQUE INDEX incidents_one_open_per_secret ON incidents (secret_id) WHERE state = 'open';
CREATE INDEX incidents_by_secret ON incidents (secret_id, id);

-- The incident's timeline: what its status message's thread and its evidence show.
CREATE TABLE incident_events (
  id          INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  kind        TEXT NOT NULL,
  -- Makes an event recorded twice (a retried follow-up) land once.
  dedupe_key  TEXT NOT NULL,
  summary     TEXT NOT NULL,
  details     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
  UNIQUE (incident_id, dedupe_key)
) STRICT;

-- Who was paged, at which escalation level, and who acknowledged.
CREATE TABLE incident_pages (
  incident_id     INTEGER NOT NULL REFERENCES incidents (id),
  user_id         TEXT NOT NULL,
  level           TEXT NOT NULL,
  paged_at        TEXT NOT NULL,
  acknowledged_at TEXT,
  PRIMARY KEY (incident_id, user_id)
) STRICT;
