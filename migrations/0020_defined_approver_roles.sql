-- Approver roles the policy defines (issue 24): `roles:` may name any role (privacy_counsel, …) and
-- `approvals:` may ask for it, so an approval's role is no longer one of the two built-in ones.
-- SQLite cannot drop a CHECK: the table is rebuilt with the same rows, keys and rule (one decision
-- per required role, one role per person); a role is a policy role name.
CREATE TABLE rotation_approvals_new (
  rotation_id INTEGER NOT NULL REFERENCES rotations (id),
  role        TEXT NOT NULL CHECK (role GLOB '[a-z]*' AND role NOT GLOB '*[^a-z0-9_]*' AND length(role) <= 40),
  decision    TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
  decided_by  TEXT NOT NULL,
  decided_at  TEXT NOT NULL,
  reason      TEXT,
  PRIMARY KEY (rotation_id, role),
  UNIQUE (rotation_id, decided_by)
) STRICT;

INSERT INTO rotation_approvals_new (rotation_id, role, decision, decided_by, decided_at, reason)
  SELECT rotation_id, role, decision, decided_by, decided_at, reason FROM rotation_approvals;

DROP TABLE rotation_approvals;

ALTER TABLE rotation_approvals_new RENAME TO rotation_approvals;
