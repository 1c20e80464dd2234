-- Where a secret's credential is used and can be set by Rotor (issue 21): a PostgreSQL role (or
-- two alternating roles) or a Redis ACL user, as the JSON object the inventory's `target` field
-- takes (src/targets/target-parsing.ts): engine, host, port, dbname, tls, role | roles | user,
-- managing_ref. Places, logins and a store reference only, never a value. NULL: no target (or
-- the secret's own JSON value names it, AWS's convention).
ALTER TABLE secrets ADD COLUMN target TEXT;
