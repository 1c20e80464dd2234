import type { StoreKind } from '../store-kind.js';
import { loadedOnFirstCall } from '../loaded-on-first-call.js';
import { DEFAULT_VAULT_FIELD, explicitVaultField, parseVaultSecretRef } from './vault-secret-ref.js';
import { VAULT_STEP_TEXTS } from './vault-step-texts.js';

/** Versions a rollback needs Vault to keep: the previous one and the new one. */
const VERSIONS_A_ROLLBACK_NEEDS = 2;

const outOfService = (labels: readonly string[]) => labels.includes('deleted') || labels.includes('destroyed');

/**
 * HashiCorp Vault KV v2: a written version is current at once; an old version cannot be made
 * current again, so a rollback writes its data as a new version; a version is soft-deleted (or
 * destroyed for good) to take it out of service.
 */
export const vaultKv2Store: StoreKind = {
  kind: 'vault',
  label: 'Vault',
  shortLabel: 'Vault',
  capabilities: {
    byHand: false,
    stagedVersions: false,
    promotesOnCreate: true,
    storeRotation: false,
    destroy: true,
    disableNeedsReplacement: false,
    restoreByRewrite: true,
    values: 'readable',
    discovery: { requiresMount: 'Discovery in Vault needs the mount to walk: add --mount secret (or your KV v2 mount).' },
  },
  setup: 'set VAULT_ADDR and VAULT_TOKEN for Rotor',
  references: {
    what: 'mount/path of the KV v2 secret',
    validate: (secretName, ref) => void parseVaultSecretRef(secretName, ref),
    placeholders: ['vault_mount', 'vault_path', 'vault_field'],
    placeholderValues(secretName, ref, valueField) {
      const parsed = parseVaultSecretRef(secretName, ref);
      return { vault_mount: parsed.mount, vault_path: parsed.path, vault_field: valueField ?? parsed.field };
    },
    explicitField: explicitVaultField,
    defaultField: DEFAULT_VAULT_FIELD,
    keyOf(ref) {
      const parsed = parseVaultSecretRef('this secret', ref);
      // A Rotor rotation rewrites the whole Vault secret, so two fields of it are one store secret.
      return { provider: 'vault', scope: parsed.mount, name: parsed.path };
    },
    sameSecret: (a, b) => a.name === b.name && a.scope === b.scope,
    describeKey: (key) => `the Vault secret ${key.scope}/${key.name}`,
    outsideScope(secretName, ref, _location, scope) {
      if (scope.vaultMounts.length === 0) return null;
      const { mount } = parseVaultSecretRef(secretName, ref);
      return scope.vaultMounts.includes(mount) ? null : `in the Vault mount ${mount}`;
    },
  },
  commands: {
    writeNewVersion(secretName, ref, file) {
      const parsed = parseVaultSecretRef(secretName, ref);
      return `vault kv put -mount=${parsed.mount} ${parsed.path} ${parsed.field}=@${file}`;
    },
    removePending: () => null,
    rollBackTo(ref, versionId) {
      const parsed = parseVaultSecretRef('this secret', ref);
      return `vault kv rollback -mount=${parsed.mount} -version=${versionId} ${parsed.path}`;
    },
    disableVersion(secretName, ref, versionId, options) {
      const parsed = parseVaultSecretRef(secretName, ref);
      return [`vault kv ${options.destroy ? 'destroy' : 'delete'} -mount=${parsed.mount} -versions=${versionId} ${parsed.path}`];
    },
    retrieve(secretName, ref) {
      const parsed = parseVaultSecretRef(secretName, ref);
      return `vault kv get -mount=${parsed.mount} -field=${parsed.field} ${parsed.path}`;
    },
  },
  texts: VAULT_STEP_TEXTS,
  preflight(description, subject) {
    const { maxVersions, deleteVersionAfterSeconds } = description.limits;
    const findings = [];
    if (maxVersions !== null && maxVersions < VERSIONS_A_ROLLBACK_NEEDS) {
      findings.push({
        check: 'versions_kept',
        status: 'blocking' as const,
        message: `Vault keeps only ${maxVersions} version of ${subject.ref}, so writing the new one destroys the one a rollback needs. Raise it first: vault kv metadata put -max-versions=10 ${subject.ref}`,
      });
    }
    if (deleteVersionAfterSeconds !== null && deleteVersionAfterSeconds < subject.retentionHours * 3600) {
      findings.push({
        check: 'versions_kept',
        status: 'warning' as const,
        message: `Vault soft-deletes versions of ${subject.ref} after ${Math.round(deleteVersionAfterSeconds / 3600)} h, before the ${subject.retentionHours} h retention window ends: a rollback may need \`vault kv undelete\` first.`,
      });
    }
    return findings;
  },
  isPending: () => false,
  // The newest version stays the current one when deleted; deleted or destroyed, it is not read.
  stillServes: (version) => (outOfService(version.labels) ? null : 'it is neither deleted nor destroyed'),
  compromisedStillLive: (versionId, version) =>
    outOfService(version.labels)
      ? null
      : `version ${versionId} is still readable in Vault${version.labels.includes('current') ? ' (it is the current version)' : ''}`,
  connect: (setup) => {
    const { VAULT_ADDR: endpoint, VAULT_TOKEN: token, VAULT_NAMESPACE: namespace } = setup.env;
    if (!endpoint || !token) return null;
    // The provider and node-vault are loaded by the first call, not with every bot that has Vault configured.
    return loadedOnFirstCall(
      'vault',
      { writeProvenance: true, lendValue: true, findWrite: false },
      () => import('./vault-kv2-provider.js'),
      ({ VaultKv2Provider }) =>
        new VaultKv2Provider({
          endpoint,
          token,
          fingerprinter: setup.fingerprinter,
          ...(namespace ? { namespace } : {}),
          ...(setup.retry ? { retry: setup.retry } : {}),
        }),
    );
  },
};
