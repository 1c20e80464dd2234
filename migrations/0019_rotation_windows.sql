-- Planned windows (issue 23 item 4): a rotation scheduled for a time, with its expected duration
-- and impact. Consumers and the announcement channel are told when it is planned, before it and
-- when it starts (follow-ups, topic `rotation_window:<id>`); the checklist's irreversible steps
-- stay locked outside it unless an approver overrides, with a reason. Planning again replaces the
-- rotation's window (`replaced_at`): one current window per rotation.
CREATE TABLE rotation_windows (
  id              INTEGER PRIMARY KEY,
  rotation_id     INTEGER NOT NULL REFERENCES rotations (id),
  environment     TEXT NOT NULL,
  starts_at       TEXT NOT NULL,
  ends_at         TEXT NOT NULL,
  impact          TEXT NOT NULL,
  planned_by      TEXT NOT NULL,
  planned_at      TEXT NOT NULL,
  replaced_at     TEXT,
  override_by     TEXT,
  override_reason TEXT,
  override_at     TEXT,
  CHECK (ends_at > starts_at)
) STRICT;

CREATE UNIQUE INDEX rotation_windows_current ON rotation_windows (rotation_id) WHERE replaced_at IS NULL;
CREATE INDEX rotation_windows_by_time ON rotation_windows (environment, starts_at) WHERE replaced_at IS NULL;

-- Environments in order (issue 23 item 5): the variants of one registry key (`dev/db/app-primary`,
-- `staging/…`, `prod/…`) rotated as one plan, in the policy's `plans.order`, each variant's
-- rotation starting only once the one before it is verified. One thread in the announcement
-- channel follows the plan (its root and replies are follow-ups, topic `rotation_plan:<id>`).
CREATE TABLE rotation_plans (
  id          INTEGER PRIMARY KEY,
  key         TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('active', 'done')),
  started_by  TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  ended_at    TEXT
) STRICT;

CREATE UNIQUE INDEX rotation_plans_one_active_per_key ON rotation_plans (key) WHERE state = 'active';

-- A variant's place in its plan. `verified_at`: when its rotation's new version was verified (or
-- it completed), which lets the next one start. `automatic`: the policy rotates it without a
-- person (plans.automatic); until the engine can, its turn is recorded as awaiting.
CREATE TABLE rotation_plan_variants (
  plan_id      INTEGER NOT NULL REFERENCES rotation_plans (id),
  position     INTEGER NOT NULL,
  secret_id    INTEGER NOT NULL REFERENCES secrets (id),
  environment  TEXT NOT NULL,
  automatic    INTEGER NOT NULL CHECK (automatic IN (0, 1)),
  verified_at  TEXT,
  PRIMARY KEY (plan_id, position)
) STRICT;

CREATE INDEX rotation_plan_variants_by_secret ON rotation_plan_variants (secret_id);
