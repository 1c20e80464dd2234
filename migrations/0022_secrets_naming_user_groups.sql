-- The secrets whose access list names a Slack user group (`S…`), one row each, kept by the
-- inventory's writes (InventoryRepo.insert and replace, in the same transaction). Before a
-- member's read under `visibility: restricted`, Rotor asks whether any access list names a group
-- (only then is Slack asked who is in which): answered from this table, the read does no scan of
-- every access list, which took 85 to 145 ms per read at 100,000 secrets (issue 25).
CREATE TABLE secrets_naming_user_groups (
  secret_name TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

-- The secrets already stored: a user group id is `S` then two or more capitals or digits (SLACK_USER_GROUP_ID).
INSERT INTO secrets_naming_user_groups (secret_name)
  SELECT DISTINCT secrets.name
    FROM secrets, json_each(secrets.access) AS reader
   WHERE reader.value GLOB 'S[A-Z0-9][A-Z0-9]*' AND reader.value NOT GLOB 'S*[^A-Z0-9]*';
