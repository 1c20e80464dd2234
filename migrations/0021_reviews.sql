-- Reviews that happen on their own (issue 24): the monthly, quarterly and annual reviews of the
-- playbooks and the quarterly access review. One row per review and period, so a review is
-- started once however often the job runs, in however many processes.
CREATE TABLE reviews (
  id          INTEGER PRIMARY KEY,
  -- monthly, quarterly (the monthly checks plus the ownership and inventory audit), annual, access.
  kind        TEXT NOT NULL CHECK (kind IN ('monthly', 'quarterly', 'annual', 'access')),
  -- 2027-02 (monthly), 2027-Q1 (quarterly, access), 2026 (annual: the year reviewed).
  period      TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  -- Access review: when an owner's unanswered secrets are escalated (the policy's days).
  respond_by  TEXT,
  -- What the review found (secret names and counts, never a value).
  findings    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(findings)),
  UNIQUE (kind, period)
) STRICT;

-- Access review: one question per secret to its owner, "who may read it?", and the answer.
CREATE TABLE access_review_items (
  id           INTEGER PRIMARY KEY,
  review_id    INTEGER NOT NULL REFERENCES reviews (id),
  secret_id    INTEGER NOT NULL,
  secret_name  TEXT NOT NULL,
  owner        TEXT NOT NULL,
  -- The secret's access list when asked (member and user group ids), JSON.
  readers      TEXT NOT NULL CHECK (json_valid(readers)),
  -- confirmed: the readers stand; change: the owner is changing them (the edit is its own audit event).
  answer       TEXT CHECK (answer IS NULL OR answer IN ('confirmed', 'change')),
  answered_by  TEXT,
  answered_at  TEXT,
  escalated_at TEXT,
  UNIQUE (review_id, secret_id)
) STRICT;

CREATE INDEX access_review_items_owner ON access_review_items (review_id, owner);
