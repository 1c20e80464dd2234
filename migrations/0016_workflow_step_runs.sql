-- Workflow Builder steps (issue 24). A step of Rotor's in someone's workflow waits in Slack
-- until Rotor completes it (functions.completeSuccess) or fails it (functions.completeError);
-- for *Rotate secret* and *Report a compromised secret* that is long after the
-- function_executed event that started it: when the rotation ends, when a responder opens the
-- revocation. One row per function execution links it to what it waits for and keeps the
-- result Slack is to be told; telling Slack is a follow-up (follow_ups, kind
-- workflow_step.complete), claimed once and retried after a crash.
CREATE TABLE workflow_step_runs (
  execution_id          TEXT PRIMARY KEY,
  workflow_execution_id TEXT,
  step                  TEXT NOT NULL CHECK (step IN ('rotate_secret', 'report_compromised_secret')),
  secret_name           TEXT NOT NULL,
  -- The requester (Rotate secret) or the reporter (Report a compromised secret), as the workflow named them.
  requested_by          TEXT NOT NULL,
  reason                TEXT NOT NULL,
  -- The rotation a Rotate secret step follows, once one is open on the secret.
  rotation_id           INTEGER,
  -- waiting: for its rotation or a responder; settling: its result is fixed and Slack is being
  -- told; completed / failed: Slack took the success / the error; gone: Slack no longer runs
  -- the execution (function_execution_not_found, execution_not_in_running_state).
  state                 TEXT NOT NULL CHECK (state IN ('waiting', 'settling', 'completed', 'failed', 'gone')),
  -- JSON: what Slack is told, fixed once: {"kind":"success","outputs":{…}} or {"kind":"error","error":"…"}.
  result                TEXT,
  -- What Slack answered when it did not take the result.
  note                  TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  ended_at              TEXT
) STRICT;

CREATE INDEX workflow_step_runs_waiting ON workflow_step_runs (secret_name) WHERE state = 'waiting';
