-- Issue 20: a step's last error keeps what to do next as data (a core/next-step.ts NextStep, as
-- JSON) beside what went wrong, so each surface says it in its own words (Slack its button, the
-- CLI its `rotor` command). Rows written before keep their whole text in last_error, and NULL here.
ALTER TABLE rotation_steps ADD COLUMN last_error_next TEXT CHECK (last_error_next IS NULL OR json_valid(last_error_next));
