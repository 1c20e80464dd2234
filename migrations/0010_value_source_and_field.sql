-- How a rotation's new value is made, per secret, settable from `/secrets edit`, `rotor edit`
-- and an import instead of only by the `rotor:value_source` tag:
-- value_source: `generate` (Rotor creates a random value at the store) or `issuer` (a person
--   writes the issuer's value); NULL follows the tag, then the type's default.
-- value_field: the field of a JSON secret (AWS) or of the secret's data (Vault) that a generated
--   value replaces, every other field kept; NULL follows the policy's value_fields, then
--   `password`. A field name, never a value.
ALTER TABLE secrets ADD COLUMN value_source TEXT CHECK (value_source IS NULL OR value_source IN ('generate', 'issuer'));
ALTER TABLE secrets ADD COLUMN value_field TEXT;
