import { loadedOnFirstCall } from '../loaded-on-first-call.js';
import { isInSync } from '../replica-regions.js';
import type { ReplicaSummary } from '../secret-provider.js';
import type { StoreFinding, StoreKind, StoreSecretKey } from '../store-kind.js';
import { awsRegionFlag, parseAwsSecretRef, replicaSecretId } from './aws-secret-ref.js';
import { AWS_STEP_TEXTS } from './aws-step-texts.js';

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';

/** `-AbCdEf`: what Secrets Manager appends to a secret's name in its ARN. */
const ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;
const ARN_NAME = /^arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:(.+)$/;
/** An ARN's region and account, as `describe` gives it. */
const ARN_LOCATION = /^arn:[^:]+:secretsmanager:([^:]+):(\d{12}):secret:/;

/**
 * AWS Secrets Manager: versions wait as `AWSPENDING` until the promote step moves `AWSCURRENT`
 * to them; a secret may have a rotation Lambda (`RotateSecret`); a compromised version is taken
 * out of service by stripping its labels (AWS cannot destroy one version).
 */
export const awsSecretsManagerStore: StoreKind = {
  kind: 'aws',
  label: 'AWS Secrets Manager',
  shortLabel: 'AWS',
  capabilities: {
    byHand: false,
    stagedVersions: true,
    promotesOnCreate: false,
    storeRotation: true,
    destroy: false,
    disableNeedsReplacement: true,
    restoreByRewrite: false,
    values: 'readable',
    discovery: { requiresMount: null },
    replicas: true,
  },
  setup: 'set AWS_REGION and AWS credentials (the SDK chain) for Rotor',
  references: {
    what: 'its ARN or name',
    validate: (secretName, ref) => void parseAwsSecretRef(secretName, ref),
    placeholders: ['aws_secret_id', 'aws_region_flag'],
    placeholderValues(secretName, ref) {
      const parsed = parseAwsSecretRef(secretName, ref);
      return { aws_secret_id: parsed.secretId, aws_region_flag: awsRegionFlag(parsed) };
    },
    explicitField: () => null,
    defaultField: null,
    keyOf(ref) {
      const parsed = parseAwsSecretRef('this secret', ref);
      const arnName = ARN_NAME.exec(parsed.secretId)?.[1];
      return { provider: 'aws', scope: parsed.region, name: arnName ? arnName.replace(ARN_SUFFIX, '') : parsed.secretId };
    },
    // Offline, a reference without a region names the secret of that name in whichever region the SDK is configured for.
    sameSecret: (a: StoreSecretKey, b: StoreSecretKey) =>
      a.name === b.name && (a.scope === null || b.scope === null || a.scope === b.scope),
    describeKey: (key) => `the AWS secret ${key.name}${key.scope ? ` in ${key.scope}` : ''}`,
    outsideScope(_secretName, _ref, location, scope) {
      if (scope.awsAccounts.length === 0 && scope.awsRegions.length === 0) return null;
      const arn = location ? ARN_LOCATION.exec(location) : null;
      if (!arn) return 'a secret whose account and region AWS did not give';
      const [, region, account] = arn as unknown as [string, string, string];
      if (scope.awsAccounts.length > 0 && !scope.awsAccounts.includes(account)) return `in the AWS account ${account}`;
      if (scope.awsRegions.length > 0 && !scope.awsRegions.includes(region)) return `in the AWS region ${region}`;
      return null;
    },
  },
  commands: {
    writeNewVersion(secretName, ref, file) {
      const parsed = parseAwsSecretRef(secretName, ref);
      return `aws secretsmanager put-secret-value --secret-id ${parsed.secretId}${awsRegionFlag(parsed)} --version-stages ${PENDING} --secret-string file://${file}`;
    },
    removePending: (ref, versionId) =>
      `aws secretsmanager update-secret-version-stage --secret-id ${ref} --version-stage ${PENDING} --remove-from-version-id ${versionId}`,
    rollBackTo: () => null,
    disableVersion(secretName, ref, versionId, options) {
      const parsed = parseAwsSecretRef(secretName, ref);
      const region = parsed.region && !parsed.secretId.startsWith('arn:') ? ` --region ${parsed.region}` : '';
      const strip = `aws secretsmanager update-secret-version-stage --secret-id ${parsed.secretId}${region} --version-stage AWSPREVIOUS --remove-from-version-id ${versionId}`;
      // With a replacement live (promoted, or the placeholder Rotor made current), AWSCURRENT has
      // already left the compromised version, which holds AWSPREVIOUS: moving AWSCURRENT "from" it
      // again would fail. Without one, a generated value becomes current first.
      return options.live
        ? [strip]
        : [
            `aws secretsmanager put-secret-value --secret-id ${parsed.secretId}${region} --secret-string "$(openssl rand -base64 32)"`,
            strip,
          ];
    },
    retrieve(secretName, ref) {
      const parsed = parseAwsSecretRef(secretName, ref);
      // The region exactly as the checklist's commands carry it: an ARN's too, or a CLI configured for another region looks there.
      return `aws secretsmanager get-secret-value --secret-id ${parsed.secretId}${awsRegionFlag(parsed)} --version-stage ${CURRENT} --query SecretString --output text`;
    },
    retrieveIn(secretName, ref, region) {
      const replica = replicaSecretId(parseAwsSecretRef(secretName, ref), region);
      return `aws secretsmanager get-secret-value --secret-id ${replica} --region ${region} --version-stage ${CURRENT} --query SecretString --output text`;
    },
  },
  texts: AWS_STEP_TEXTS,
  preflight(description, subject) {
    const pending = description.others.find((version) => version.labels.includes(PENDING));
    return [
      ...(pending
        ? [
            {
              check: 'pending',
              status: 'blocking' as const,
              message: `Version ${pending.versionId} still carries ${PENDING} from an earlier attempt, which would make this rotation fail half-way. Remove the label first: ${awsSecretsManagerStore.commands.removePending(subject.ref, pending.versionId)}`,
            },
          ]
        : []),
      ...replicaFindings(description.replicas ?? []),
      ...(description.rotationConfigured
        ? [
            {
              check: 'rotation_function',
              status: 'ok' as const,
              message: 'A rotation function is configured: Rotor asks AWS to run it and waits for it.',
            },
          ]
        : []),
    ];
  },
  isPending: (version) => version.labels.includes(PENDING),
  stillServes(version, current) {
    if (current) return 'it is the current version';
    return version.labels.length > 0 ? `it still carries ${version.labels.join(', ')}` : null;
  },
  // Consumers can still fetch a version by any staging label it carries (AWSCURRENT, AWSPREVIOUS, …).
  compromisedStillLive: (versionId, version) =>
    version.labels.length > 0 ? `version ${versionId} still carries ${version.labels.join(', ')} in AWS Secrets Manager` : null,
  connect: (setup) =>
    loadedOnFirstCall(
      'aws',
      { writeProvenance: true, lendValue: true, findWrite: false },
      () => import('./aws-secrets-manager-provider.js'),
      ({ AwsSecretsManagerProvider }) =>
        new AwsSecretsManagerProvider({ fingerprinter: setup.fingerprinter, ...(setup.retry ? { retry: setup.retry } : {}) }),
    ),
};

/** A replica not in sync would miss the new version: the rotation waits until every one is, each named. */
function replicaFindings(replicas: readonly ReplicaSummary[]): StoreFinding[] {
  if (replicas.length === 0) return [];
  const behind = replicas.filter((replica) => !isInSync(replica));
  if (behind.length > 0) {
    const list = behind
      .map((replica) => `${replica.region} is ${replica.status}${replica.message ? ` (${replica.message})` : ''}`)
      .join('; ');
    return [
      {
        check: 'replicas',
        status: 'blocking',
        message: `A replica is not in sync, so it would not get the new version: ${list}. Fix the replication in AWS (or remove the replica), then try again.`,
      },
    ];
  }
  return [
    {
      check: 'replicas',
      status: 'ok',
      message: `Replicated to ${replicas.map((replica) => replica.region).join(', ')}, all in sync: verify reads the new version in each of them.`,
    },
  ];
}
