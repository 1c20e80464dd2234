import type { StoreStepTexts } from '../store-kind.js';
import { PENDING_ALIAS } from './google-secret-manager-store.js';

const SECRET_FLAGS = '--secret={gsm_secret} --project={gsm_project}{gsm_location_flag}';

/**
 * How the checklists word the steps of a Google secret. With a version alias (`{gsm_alias}`,
 * e.g. `current`) a new version waits under `rotor-pending` until promote moves the alias; with
 * `latest` an added version is current at once, so approvals come before it, as in Vault.
 */
export function googleStepTexts(versionAlias: string | null): StoreStepTexts {
  const shared: StoreStepTexts = {
    keepPrevious:
      'Rotor keeps the previous version enabled for the {retention_hours} h retention window, for a rollback, then disables it once you confirm (`gcloud secrets versions enable` undoes it; it is destroyed only if you ask).',
    disable: {
      disableNow: versionAlias
        ? `First, before a replacement exists: Rotor adds a generated placeholder version of \`{gsm_secret}\`, moves the alias \`{gsm_alias}\` to it, then disables the compromised version. Consumers fail until the new version is promoted.`
        : 'First, before a replacement exists: Rotor adds a generated placeholder version of `{gsm_secret}` (it becomes `latest`), then disables the compromised version. Consumers fail until the new version is added.',
      replaceThenDisable: versionAlias
        ? 'Rotor disables the compromised version of `{gsm_secret}`, moving the alias `{gsm_alias}` to the new version first if it still names it (`gcloud secrets versions enable` undoes the disable; destroyed for good only if the responder chose to destroy it).'
        : 'Rotor disables the compromised version of `{gsm_secret}` once the new one is `latest` (`gcloud secrets versions enable` undoes it; destroyed for good only if the responder chose to destroy it).',
    },
    searchLogs: (start, end) =>
      `${start} Cloud Audit Logs (Data Access) for \`AccessSecretVersion\` on \`{gsm_secret}\` (\`gcloud logging read 'protoPayload.methodName:"AccessSecretVersion" AND protoPayload.resourceName:"secrets/{gsm_secret}/"' --project={gsm_project}\`), and ${end}`,
    destroyOption: {
      label: 'Destroy the compromised version',
      description: 'Irreversible. Unticked, it is disabled (gcloud secrets versions enable undoes it).',
      evidence: {
        destroyed: "yes: the compromised version's data is destroyed in Google Secret Manager",
        kept: 'no: disabled in Google Secret Manager (`gcloud secrets versions enable` restores it)',
      },
    },
    readNewValue: (then) =>
      `Read the new value (\`gcloud secrets versions access ${versionAlias ? '<new version>' : 'latest'} ${SECRET_FLAGS}\`), then ${then}`,
  };
  if (!versionAlias) {
    return {
      ...shared,
      create: {
        generate: (parts) =>
          `Rotor generates a random value (${parts.generated}) and adds it as a new version of \`{gsm_secret}\`, with its CRC32C. ${parts.keepsShape} Consumers read \`latest\`, so the added version is current at once.${parts.approvalsFirst('That is before staging has tested it')}`,
        issuer: (parts) =>
          `${parts.mint} With the value in \`${parts.file}\`, add it: \`gcloud secrets versions add {gsm_secret} --project={gsm_project}{gsm_location_flag} --data-file=${parts.file}\`, then delete the file (\`shred -u ${parts.file}\`). Consumers read \`latest\`, so it is current at once.${parts.approvalsFirst('That is before staging has tested it')} ${parts.detect}`,
      },
      updateStaging: {
        any: 'Consumers reading `latest` of `{gsm_secret}` already have the new version. Keep {live_environment} consumers that pin a version number on the old one until promote.',
      },
      promote: {
        any: 'A confirmation only: consumers read `latest` of `{gsm_secret}`, which the added version became. Rotor checks that nobody added another version after it.',
      },
      restoredLine: (ref, versionId, read) =>
        `Version ${versionId} of ${ref}, the one current before the rotation, was added again as the newest (\`latest\`) version (${read}).`,
    };
  }
  return {
    ...shared,
    create: {
      generate: (parts) =>
        `Rotor generates a random value (${parts.generated}) and adds it as a new version of \`{gsm_secret}\`, with its CRC32C, parked under the alias \`${PENDING_ALIAS}\`; consumers keep reading the alias \`{gsm_alias}\` until the promote step. ${parts.keepsShape} If Rotor stops before it hears back, it recognises the version it added by the fingerprint it noted before adding, and adds no other.`,
      issuer: (parts) =>
        `${parts.mint} With the value in \`${parts.file}\`, add it: \`gcloud secrets versions add {gsm_secret} --project={gsm_project}{gsm_location_flag} --data-file=${parts.file}\`, then delete the file (\`shred -u ${parts.file}\`). Consumers keep reading the alias \`{gsm_alias}\` until the promote step. ${parts.detect}`,
    },
    updateStaging: {
      any:
        'Have staging read the new version by its number (`gcloud secrets versions access <new version> ' +
        SECRET_FLAGS +
        '`) while {live_environment} stays on the alias `{gsm_alias}`.',
    },
    promote: {
      any: `Rotor moves the alias \`{gsm_alias}\` of \`{gsm_secret}\` to the new version and drops \`${PENDING_ALIAS}\`, with the etag it read: it refuses if someone changed the secret meanwhile. Consumers reading \`{gsm_alias}\` get the new value on their next read.`,
    },
    restoredLine: (ref, versionId, read) =>
      `The alias \`${versionAlias}\` of ${ref} names version ${versionId} again, the one current before the rotation (${read}).`,
  };
}
