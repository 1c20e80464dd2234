import type { StoreKind, StoreSecretKey, StoreStepTexts } from '../store-kind.js';
import { parseKmsAliasRef } from './kms-alias-ref.js';
import { loadedOnFirstCall } from '../loaded-on-first-call.js';
import { KMS_ALIAS_LABEL, KMS_PENDING_LABEL, pendingAliasOf } from './kms-labels.js';

const KEY_ARN_LOCATION = /^arn:[^:]+:kms:([^:]+):(\d{12}):key\//;

function regionFlag(ref: string): string {
  const parsed = parseKmsAliasRef('this key', ref);
  return parsed.region ? ` --region ${parsed.region}` : '';
}

/**
 * How the checklists word a KMS key's steps. `{kms_alias}` and `{kms_region_flag}` come from
 * the reference. Key material never leaves KMS: there is no value to read, only the key the
 * alias names.
 */
const KMS_STEP_TEXTS: StoreStepTexts = {
  create: {
    generate: () =>
      "Rotor creates a new customer-managed key with the current key's key spec, usage, key policy and tags, described `App key <YYYYMMDD>`, and parks it under `alias/rotor-pending/…`; `{kms_alias}` keeps pointing at the current key until the promote step. A KMS key cannot be deleted at once, which is why approvals come first.",
  },
  updateStaging: {
    any: 'Staging has its own key: if it should try the new one first, point its configuration at the parked alias (`aws kms describe-key --key-id <the alias/rotor-pending/… alias>{kms_region_flag}`) for a test run, then back to its own alias.',
  },
  promote: {
    any: 'Rotor moves `{kms_alias}` to the new key (`UpdateAlias`) and drops the parked alias; it refuses if someone moved the alias meanwhile. Data encrypted under the old key stays decryptable: KMS finds the key from the ciphertext.',
  },
  verify: {
    generate: (checks) =>
      `Rotor resolves \`{kms_alias}\` and checks it names the new key, then encrypts and decrypts a random test value through the alias (symmetric keys). Then check: ${checks}`,
  },
  keepPrevious:
    "Rotor keeps the previous key enabled for the {retention_hours} h retention window, then, once you confirm, schedules its deletion with the policy's pending window (`kms.pending_window_days`, 30 days unless set; 7-30). Until the deletion date a rollback cancels it and moves the alias back.",
  disable: {
    disableNow:
      'Rotor creates a fresh key like the compromised one, moves `{kms_alias}` to it, then disables the compromised key at once (`DisableKey`): nothing can encrypt or decrypt with it any more. Data encrypted under it cannot be decrypted until it is enabled again.',
    replaceThenDisable:
      'Once the new key is promoted, Rotor disables the compromised key (`DisableKey`), moving `{kms_alias}` off it first if it still points there.',
  },
  searchLogs: (start, end) =>
    `${start} CloudTrail events of the compromised key (\`aws cloudtrail lookup-events{kms_region_flag} --lookup-attributes AttributeKey=ResourceName,AttributeValue=<its key ARN>\`: \`Decrypt\`, \`GenerateDataKey\` by unexpected principals), and ${end}`,
  restoredLine: (ref, versionId, read) => `${ref} points at key ${versionId} again, the key before the rotation (${read}).`,
};

/**
 * AWS KMS customer-managed keys: the reference is the alias consumers name, a version is a key.
 * A rotation makes a new key like the old one and moves the alias; the old key's deletion is
 * scheduled at the end of the retention window and can be cancelled until its date.
 */
export const awsKmsStore: StoreKind = {
  kind: 'kms',
  label: 'AWS KMS',
  shortLabel: 'KMS',
  capabilities: {
    byHand: false,
    stagedVersions: false,
    promotesOnCreate: false,
    storeRotation: false,
    destroy: false,
    disableNeedsReplacement: true,
    restoreByRewrite: false,
    values: 'key_material',
    discovery: null,
  },
  setup: 'set AWS_REGION and AWS credentials (the SDK chain) for Rotor',
  references: {
    what: 'its alias (alias/name, region:alias/name or an alias ARN)',
    validate: (secretName, ref) => void parseKmsAliasRef(secretName, ref),
    placeholders: ['kms_alias', 'kms_region_flag'],
    placeholderValues(secretName, ref) {
      return { kms_alias: parseKmsAliasRef(secretName, ref).aliasName, kms_region_flag: regionFlag(ref) };
    },
    explicitField: () => null,
    defaultField: null,
    keyOf(ref) {
      const parsed = parseKmsAliasRef('this key', ref);
      return { provider: 'kms', scope: parsed.region, name: parsed.aliasName };
    },
    sameSecret: (a: StoreSecretKey, b: StoreSecretKey) =>
      a.name === b.name && (a.scope === null || b.scope === null || a.scope === b.scope),
    describeKey: (key) => `the KMS alias ${key.name}${key.scope ? ` in ${key.scope}` : ''}`,
    outsideScope(_secretName, _ref, location, scope) {
      if (scope.awsAccounts.length === 0 && scope.awsRegions.length === 0) return null;
      const arn = location ? KEY_ARN_LOCATION.exec(location) : null;
      if (!arn) return 'a key whose account and region AWS did not give';
      const [, region, account] = arn as unknown as [string, string, string];
      if (scope.awsAccounts.length > 0 && !scope.awsAccounts.includes(account)) return `in the AWS account ${account}`;
      if (scope.awsRegions.length > 0 && !scope.awsRegions.includes(region)) return `in the AWS region ${region}`;
      return null;
    },
  },
  commands: {
    writeNewVersion: () => null,
    removePending(ref) {
      const parsed = parseKmsAliasRef('this key', ref);
      return `aws kms delete-alias --alias-name ${pendingAliasOf(parsed.aliasName)}${regionFlag(ref)}`;
    },
    rollBackTo(ref, versionId) {
      const parsed = parseKmsAliasRef('this key', ref);
      return `aws kms cancel-key-deletion --key-id ${versionId}${regionFlag(ref)}; aws kms enable-key --key-id ${versionId}${regionFlag(ref)}; aws kms update-alias --alias-name ${parsed.aliasName} --target-key-id ${versionId}${regionFlag(ref)}`;
    },
    disableVersion(_secretName, ref, versionId, options) {
      const parsed = parseKmsAliasRef('this key', ref);
      const disable = `aws kms disable-key --key-id ${versionId}${regionFlag(ref)}`;
      return options.live
        ? [disable]
        : [
            `aws kms create-key --description "App key $(date -u +%Y%m%d)"${regionFlag(ref)} --query KeyMetadata.KeyId --output text`,
            `aws kms update-alias --alias-name ${parsed.aliasName} --target-key-id <the new key id>${regionFlag(ref)}`,
            disable,
          ];
    },
    retrieve(_secretName, ref) {
      const parsed = parseKmsAliasRef('this key', ref);
      return `aws kms describe-key --key-id ${parsed.aliasName}${regionFlag(ref)} --query KeyMetadata.Arn --output text`;
    },
  },
  texts: KMS_STEP_TEXTS,
  preflight(description) {
    const parked = description.others.find((version) => version.labels.includes(KMS_PENDING_LABEL));
    return parked
      ? [
          {
            check: 'pending',
            status: 'warning',
            message: `Key ${parked.versionId} waits under the parked alias from an earlier attempt; the create step takes it over if it is this rotation's, and refuses otherwise (delete the parked alias first).`,
          },
        ]
      : [];
  },
  isPending: (version) => version.labels.includes(KMS_PENDING_LABEL),
  stillServes(version, current) {
    if (current || version.labels.includes(KMS_ALIAS_LABEL)) return 'the alias points at it';
    return version.labels.includes('Enabled') ? 'it is still enabled, so anything holding its id or ARN can still use it' : null;
  },
  compromisedStillLive: (versionId, version) =>
    version.labels.includes(KMS_ALIAS_LABEL) || version.labels.includes('Enabled') ? `key ${versionId} is still enabled in AWS KMS` : null,
  connect: (setup) =>
    loadedOnFirstCall(
      'kms',
      { writeProvenance: true, lendValue: false, findWrite: false },
      () => import('./kms-key-provider.js'),
      ({ AwsKmsKeyProvider }) => new AwsKmsKeyProvider({ ...(setup.retry ? { retry: setup.retry } : {}) }),
    ),
};
