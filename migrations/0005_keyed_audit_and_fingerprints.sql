-- Which scheme made each audit event's hash: `sha256` (the plain chain every earlier event
-- has) or `hmac-sha256:<key id>` (keyed with ROTOR_AUDIT_KEY). Once a keyed event exists an
-- unkeyed one after it is a break, so a chain that spans a key change cannot be downgraded.
ALTER TABLE audit_events ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256';

-- How far the bot has published the audit log to its log stream (the SIEM's copy). Events
-- written by the CLI, or by a process that died before logging them, are published from here
-- once; the row is advanced inside a write transaction, so two bots never publish one range.
-- Events before this migration were already in the stream (or never will be): start after them.
CREATE TABLE audit_publication (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  published_seq INTEGER NOT NULL
) STRICT;
INSERT INTO audit_publication (id, published_seq) SELECT 1, coalesce(max(seq), 0) FROM audit_events;

-- The daily signed checkpoint posted to the announcement channel, one per UTC day however many
-- processes run.
CREATE TABLE audit_checkpoint_posts (
  day       TEXT PRIMARY KEY,
  seq       INTEGER NOT NULL,
  hash      TEXT NOT NULL,
  posted_at TEXT NOT NULL
) STRICT;

-- Fingerprints now say their scheme: `hmac-sha256:<key id>:<hex>` (keyed with
-- ROTOR_FINGERPRINT_KEY) or `sha256:<hex>`. A bare hex value is the plain SHA-256 earlier
-- releases stored; mark it so, as it is guessable for a weak value. (Fingerprints inside audit
-- details stay as written: bare hex there means the same plain SHA-256.)
UPDATE secrets SET current_fingerprint = 'sha256:' || current_fingerprint
  WHERE length(current_fingerprint) = 64 AND current_fingerprint NOT GLOB '*[^0-9a-f]*';
