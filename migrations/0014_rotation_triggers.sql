-- Reasons to rotate other than the calendar (issue 23): who may read each secret, break-glass
-- credentials, and the durable record of a rotation needed before the secret's own due date.

-- Who may read the secret's value, beside its owner and backup owner: Slack member ids (`U…`,
-- `W…`) and user group ids (`S…`), as a JSON array. Rotation is needed when one of them leaves.
ALTER TABLE secrets ADD COLUMN access TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(access));
-- A credential kept for emergencies: reminded like any other, and each use needs a rotation soon.
ALTER TABLE secrets ADD COLUMN break_glass INTEGER NOT NULL DEFAULT 0 CHECK (break_glass IN (0, 1));

-- A rotation needed by a date, for a reason: a person who could read the value left or changed
-- role (`personnel_change`), a break-glass credential was used (`break_glass_use`), a release is
-- coming (`release`). The reminders count from `due_at` when it comes before the secret's next
-- rotation. A need is met by the secret's next completed rotation: once `last_rotated` is later
-- than `created_at` (settled into `resolved_at` by the bot's sweep; open_rotation_needs reads
-- it straight from the secret meanwhile). `origin` names what raised it (a personnel change,
-- one use, one release check), so the same cause never marks a secret twice.
CREATE TABLE rotation_needs (
  id          INTEGER PRIMARY KEY,
  secret_id   INTEGER NOT NULL REFERENCES secrets (id),
  reason      TEXT NOT NULL CHECK (reason IN ('personnel_change', 'break_glass_use', 'release')),
  due_at      TEXT NOT NULL,
  -- Who the cause is about: the person who left or changed role, who used the credential.
  person      TEXT,
  -- What happened, as Rotor words it (`deactivated`, the roles left), or the reason a person gave.
  detail      TEXT,
  origin      TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  resolved_at TEXT,
  UNIQUE (secret_id, origin)
) STRICT;

CREATE INDEX rotation_needs_unresolved ON rotation_needs (secret_id) WHERE resolved_at IS NULL;

CREATE VIEW open_rotation_needs AS
  SELECT n.* FROM rotation_needs n JOIN secrets s ON s.id = n.secret_id
  WHERE n.resolved_at IS NULL AND s.lifecycle <> 'retired' AND (s.last_rotated IS NULL OR s.last_rotated <= n.created_at);

-- People who left (Slack deactivated them) or lost roles in the policy, as Rotor learned it: from
-- a `user_change` event, the users.info sweep, or the policy read at start-up. One open departure
-- per person: the same deactivation reported twice changes nothing; a member reactivated
-- (`returned_at`) and deactivated again is a new departure.
CREATE TABLE personnel_changes (
  id          INTEGER PRIMARY KEY,
  user_id     TEXT NOT NULL,
  change      TEXT NOT NULL CHECK (change IN ('deactivated', 'removed_from_roles')),
  roles       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(roles)),
  source      TEXT NOT NULL CHECK (source IN ('event', 'sweep', 'policy')),
  observed_at TEXT NOT NULL,
  returned_at TEXT
) STRICT;

CREATE UNIQUE INDEX personnel_changes_one_open_departure ON personnel_changes (user_id) WHERE change = 'deactivated' AND returned_at IS NULL;

-- The policy's roles as the bot last read them at start-up, to see who was removed since.
CREATE TABLE policy_role_members (
  role    TEXT NOT NULL,
  user_id TEXT NOT NULL,
  seen_at TEXT NOT NULL,
  PRIMARY KEY (role, user_id)
) STRICT;

-- When the users.info sweep last asked Slack about a person, so each run asks the longest-unasked.
CREATE TABLE personnel_checks (
  user_id    TEXT PRIMARY KEY,
  checked_at TEXT NOT NULL,
  standing   TEXT NOT NULL CHECK (standing IN ('person', 'bot', 'deactivated', 'unknown'))
) STRICT;

-- Why each rotation was done: `scheduled` (the calendar), `compromise` (an emergency rotation),
-- `personnel_change`, `break_glass_use`, `release` (an open rotation need of that reason), or
-- `manual` (started though nothing asked for it yet). Rotations begun before this have none:
-- read as `compromise` for an emergency, else `scheduled`.
ALTER TABLE rotations ADD COLUMN reason TEXT CHECK (reason IS NULL OR reason IN ('scheduled', 'compromise', 'personnel_change', 'release', 'break_glass_use', 'manual'));
