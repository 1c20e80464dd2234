-- Issue 23 item 5: a plan's variant remembers the rotation that verified it, so that rotation's
-- completion announcement goes into the plan's one thread in the announcement channel.
ALTER TABLE rotation_plan_variants ADD COLUMN rotation_id INTEGER REFERENCES rotations (id);

CREATE INDEX rotation_plan_variants_by_rotation ON rotation_plan_variants (rotation_id);

-- Issue 22 item 1: a KMS key that KMS rotates itself (EnableKeyRotation). Rotor records who turned
-- it on, the key and the period; `rotor sync` records the rotations KMS performs (the key id stays).
CREATE TABLE kms_automatic_rotations (
  secret_id    INTEGER PRIMARY KEY REFERENCES secrets (id),
  key_id       TEXT NOT NULL,
  period_days  INTEGER NOT NULL CHECK (period_days BETWEEN 90 AND 2560),
  enabled_by   TEXT NOT NULL,
  enabled_at   TEXT NOT NULL
) STRICT;
