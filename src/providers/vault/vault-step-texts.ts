import type { StoreStepTexts } from '../store-kind.js';

const READ_VAULT = 'vault kv get -mount={vault_mount} -field={vault_field} {vault_path}';

/**
 * How the checklists word the steps of a secret in Vault KV v2: a written version is current at
 * once (so "promote" only confirms nobody wrote after it), and a compromised version is
 * soft-deleted or destroyed. `{vault_mount}`, `{vault_path}` and `{vault_field}` come from the reference.
 */
export const VAULT_STEP_TEXTS: StoreStepTexts = {
  create: {
    generate: (parts) =>
      `Rotor generates a random value (${parts.generated}) and writes it as a new version of \`{vault_path}\` in the mount \`{vault_mount}\`, with check-and-set on the version it read. ${parts.keepsShape} KV v2 makes the written version current at once: every consumer reading the latest version gets it on its next read.${parts.approvalsFirst('That is before staging has tested it')} If the answer is lost, Rotor recognises its own write (the version and fingerprint it noted before writing): a retry adopts it, Abandon writes the previous data back.`,
    issuer: (parts) =>
      `${parts.mint} With the value in \`${parts.file}\`, write it: \`vault kv put -mount={vault_mount} {vault_path} {vault_field}=@${parts.file}\` (a put replaces every field of the secret; \`vault kv patch\` with the same arguments keeps the others), then delete the file (\`shred -u ${parts.file}\`). KV v2 makes the written version current at once: consumers reading the latest version get it immediately.${parts.approvalsFirst('That is before staging has tested it')} ${parts.detect}`,
  },
  updateStaging: {
    any: 'KV v2 made the new version current when it was written, so consumers reading the latest version of `{vault_path}` already have it. Point staging at this version (`vault kv get -mount={vault_mount} -version=<new> {vault_path}`), and keep {live_environment} consumers that pin a version on the old one until promote.',
  },
  promote: {
    any: 'A confirmation only: KV v2 made the new version current when it was written, so consumers reading the latest version of `{vault_path}` already get it. Rotor checks that nobody wrote another version after it.',
  },
  keepPrevious:
    "Rotor keeps the previous version for the {retention_hours} h retention window, for a rollback, then soft-deletes it once you confirm (`vault kv undelete` restores it). Mind the secret's `max_versions` (default 10): Vault destroys older versions by itself.",
  readNewValue: (then) => `Read the new value (\`${READ_VAULT}\`), then ${then}`,
  disable: {
    disableNow:
      'First, before a replacement exists: Rotor soft-deletes the compromised version of `{vault_path}` (destroyed for good only if the responder chose to destroy it), so consumers reading the latest version get no value until the new version is written.',
    replaceThenDisable:
      'Rotor soft-deletes the compromised version of `{vault_path}` (`vault kv undelete` restores it); it is destroyed for good only if the responder chose to destroy it.',
  },
  searchLogs: (start, end) => `${start} Vault's audit log for requests to \`{vault_mount}/data/{vault_path}\`, and ${end}`,
  destroyOption: {
    label: 'Destroy the compromised version',
    description: 'Irreversible. Unticked, it is soft-deleted (vault kv undelete undoes it).',
    evidence: {
      destroyed: "yes: the compromised version's data is destroyed in Vault",
      kept: 'no: soft-deleted in Vault (`vault kv undelete` restores it)',
    },
  },
};
