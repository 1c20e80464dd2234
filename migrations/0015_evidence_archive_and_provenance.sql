-- What Rotor has archived to the evidence bucket (S3 Object Lock, COMPLIANCE mode) and which
-- completed rotations it has tagged at their store: ledgers kept beside the rotation code. A
-- sweep finds rotations that ended, incidents that closed and months that ended without a row
-- in evidence_archive, and schedules a durable follow-up for each.
--
-- A record is rendered once and staged (evidence_staged), then written, then moved to the
-- ledger with its audit event in one transaction. A restart or a retried follow-up writes the
-- staged bytes again, which the writer's HeadObject finds in the bucket with the same digest:
-- nothing is written twice, and a failure leaves the ledger as it was.

CREATE TABLE evidence_staged (
  kind            TEXT NOT NULL CHECK (kind IN ('rotation', 'incident', 'report')),
  -- The rotation's or incident's id, or the report's month (YYYY-MM).
  subject         TEXT NOT NULL,
  -- The objects' name: `42`, `42-rolled-back` (a rotation rolled back after a record of its
  -- completion was made), `7`, `rotations-2027-03`.
  name            TEXT NOT NULL,
  -- How it stood when rendered: completed, abandoned, rejected, rolled_back, closed, month_ended.
  outcome         TEXT NOT NULL,
  secret_name     TEXT NOT NULL,
  occurred_at     TEXT NOT NULL,
  markdown_body   TEXT NOT NULL,
  json_body       TEXT NOT NULL,
  -- sha256 over the audit chain positions (seq and hash) the record cites.
  record_digest   TEXT NOT NULL,
  chain_seqs      TEXT NOT NULL CHECK (json_valid(chain_seqs)),
  staged_at       TEXT NOT NULL,
  PRIMARY KEY (kind, name)
) STRICT;

CREATE TABLE evidence_archive (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('rotation', 'incident', 'report')),
  subject          TEXT NOT NULL,
  name             TEXT NOT NULL,
  outcome          TEXT NOT NULL,
  secret_name      TEXT NOT NULL,
  bucket           TEXT NOT NULL,
  markdown_key     TEXT NOT NULL,
  markdown_digest  TEXT NOT NULL,
  markdown_version TEXT,
  json_key         TEXT NOT NULL,
  json_digest      TEXT NOT NULL,
  json_version     TEXT,
  -- Recomputed from the audit chain by `rotor evidence verify`.
  record_digest    TEXT NOT NULL,
  chain_seqs       TEXT NOT NULL CHECK (json_valid(chain_seqs)),
  retain_until     TEXT,
  archived_at      TEXT NOT NULL,
  UNIQUE (kind, name)
) STRICT;

CREATE INDEX evidence_archive_by_subject ON evidence_archive (kind, subject);

CREATE TABLE provenance_tags (
  rotation_id  INTEGER PRIMARY KEY,
  secret_name  TEXT NOT NULL,
  -- The store the rotation was bound to when it started, never the inventory's reference now.
  provider     TEXT NOT NULL,
  provider_ref TEXT,
  tags         TEXT NOT NULL CHECK (json_valid(tags)),
  -- tagged; unsupported: the store keeps no tags; superseded: a newer rotation of the secret
  -- completed before this one was tagged, and tags it instead.
  outcome      TEXT NOT NULL CHECK (outcome IN ('tagged', 'unsupported', 'superseded')),
  tagged_at    TEXT NOT NULL
) STRICT;
