-- Workflow Builder steps (issue 24). A step of Rotor's in someone's workflow waits in Slack
-- until Rotor completes it (functions.completeSuccess) or fails it (functions.completeError);
-- for *Rotate secret* and *Report a compromised secret* that is long after the
-- function_executed event that started it: when the rotation ends, when a responder confirms
-- the revocation. One row per function execution links it to what it waits for, and records
-- the completion exactly once: a run is claimed (waiting → completing) before Slack is told,
-- and marked with what Slack answered.
CREATE TABLE workflow_step_runs (
  execution_id          TEXT PRIMARY KEY,
  workflow_execution_id TEXT,
  step                  TEXT NOT NULL CHECK (step IN ('rotate_secret', 'report_compromised_secret')),
  secret_name           TEXT NOT NULL,
  -- The requester (Rotate secret) or the reporter (Report a compromised secret), as the workflow named them.
  requested_by          TEXT,
  reason                TEXT NOT NULL,
  -- The rotation a Rotate secret step follows, once one is open on the secret.
  rotation_id           INTEGER,
  -- waiting: for its rotation or incident; completing: claimed, Slack being told;
  -- completed / failed: Slack took the success or the error; gone: Slack no longer runs the
  -- execution (function_execution_not_found, or finished elsewhere), recorded as it said.
  state                 TEXT NOT NULL CHECK (state IN ('waiting', 'completing', 'completed', 'failed', 'gone')),
  -- The short-lived token Slack gave the execution (it must be used to complete it while it
  -- lives), sealed with a key derived from the bot token; dropped once completed or expired.
  sealed_token          TEXT,
  token_expires_at      TEXT,
  -- The message that tells people about the step (the requester's DM, the incident channel post).
  message_channel       TEXT,
  message_ts            TEXT,
  -- The /revoke confirmation a responder opened from the report, to know when it is cancelled.
  view_id               TEXT,
  -- JSON: what Slack is (or was) told: {"kind":"success","outputs":{…}} or {"kind":"error","error":"…"}.
  result                TEXT,
  claim_token           TEXT,
  claimed_at            TEXT,
  -- Calls made to Slack to complete it: a retry after an unanswered call is how a crash is recovered.
  attempts              INTEGER NOT NULL DEFAULT 0,
  last_error            TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  ended_at              TEXT
) STRICT;

CREATE INDEX workflow_step_runs_open ON workflow_step_runs (state) WHERE state IN ('waiting', 'completing');
CREATE INDEX workflow_step_runs_view ON workflow_step_runs (view_id) WHERE view_id IS NOT NULL;
