-- Store bindings and privileged reference changes (issue 19).

-- An incident acts on the store secret its inventory entry pointed at when it was revoked,
-- whatever the entry says later; its emergency rotation is bound to the same reference.
-- Incidents opened before this migration take their rotation's reference, or their secret's.
ALTER TABLE incidents ADD COLUMN provider TEXT CHECK (provider IS NULL OR provider IN ('aws', 'vault', 'manual'));
ALTER TABLE incidents ADD COLUMN provider_ref TEXT;
UPDATE incidents SET
  provider = coalesce((SELECT r.provider FROM rotations r WHERE r.id = incidents.rotation_id), (SELECT s.provider FROM secrets s WHERE s.id = incidents.secret_id)),
  provider_ref = CASE
    WHEN rotation_id IS NOT NULL THEN (SELECT r.provider_ref FROM rotations r WHERE r.id = incidents.rotation_id)
    ELSE (SELECT s.provider_ref FROM secrets s WHERE s.id = incidents.secret_id)
  END;

-- Where a secret is stored (its provider and reference) is changed directly by an admin, or,
-- under `reference_changes: owner_with_security_approval`, asked for by those who look after the
-- secret and applied once a security lead approves. One request waits per secret at a time.
CREATE TABLE reference_change_requests (
  id            INTEGER PRIMARY KEY,
  secret_id     INTEGER NOT NULL REFERENCES secrets (id),
  secret_name   TEXT NOT NULL,
  from_provider TEXT NOT NULL CHECK (from_provider IN ('aws', 'vault', 'manual')),
  from_ref      TEXT,
  to_provider   TEXT NOT NULL CHECK (to_provider IN ('aws', 'vault', 'manual')),
  to_ref        TEXT,
  requested_by  TEXT NOT NULL,
  requested_at  TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
  decided_by    TEXT,
  decided_at    TEXT,
  -- Why it ended other than approved (rejected by whom, withdrawn by which request).
  end_note      TEXT
) STRICT;

CREATE UNIQUE INDEX reference_change_requests_one_pending ON reference_change_requests (secret_id) WHERE state = 'pending';
