import { SECRET_TYPES, type SecretType } from '../inventory/secret.js';
import type { StepFamily } from './checklist-step.js';
import type { CreationRoute } from './creation-route.js';
import type { RouteText, StepDefinition } from './step-definition.js';
import { TYPE_PROFILES, type TypeProfile } from './secret-type-profiles.js';

/**
 * The rotation checklist of each secret type, from the playbooks: create the new version →
 * set it where it is used → update staging → deploy and smoke-test staging → promote →
 * redeploy → invalidate cached credentials → verify → schedule the previous version's
 * removal → record evidence, with the type's own steps (dual-publish, overlap, a second key).
 */

const DETECT =
  'Rotor then reads the store until a version newer than the one at the start appears, and records its id and fingerprint; a version written by hand is detected, never overwritten.';
const GENERATED = '48 letters and digits, safe as it is in a URL or a DSN';
const KEEPS_SHAPE =
  'The new version keeps the shape of the current one: a plain value is replaced whole; in a JSON object or a Vault secret only the credential field named at the preflight changes (`password` unless the secret\'s value field or the policy\'s `value_fields` names another) and every other field stays as it is. A value whose field Rotor cannot tell, or a composed one (a connection string), is refused at the preflight, which says how to tell it.';
const HEALTH_CHECK = 'the health endpoint answers 200 (`curl -f https://<host>/api/health`)';

/** Routes whose creation step changes production by itself: a Vault write is current at once; a rotation Lambda sets the credential at its issuer. */
const CURRENT_AT_ONCE: readonly CreationRoute[] = ['vault_generate', 'vault_issuer', 'aws_rotation'];

/** The creation step, shared with the emergency checklist (which has no approvals to wait for). */
export function createVersionStep(profile: TypeProfile, emergency: boolean): StepDefinition {
  const approvalsFirst = (reason: string) => (emergency ? '' : ` ${reason}, which is why approvals come first.`);
  const file = profile.file;
  return {
    id: 'create_version',
    family: 'creation',
    title: {
      generate: emergency ? 'Mint a new version' : 'Create the new version',
      issuer: `${profile.mintTitle} and write it to the store`,
      aws_rotation: 'Run the configured rotation and wait for it',
      manual: profile.mintTitle,
    },
    detail: {
      aws_generate: `Rotor generates a random value at AWS (\`GetRandomPassword\`: ${GENERATED}) and writes it to \`{aws_secret_id}\` as \`AWSPENDING\`; production keeps reading \`AWSCURRENT\` until the promote step. ${KEEPS_SHAPE}`,
      vault_generate: `Rotor generates a random value (${GENERATED}) and writes it as a new version of \`{vault_path}\` in the mount \`{vault_mount}\`, with check-and-set on the version it read. ${KEEPS_SHAPE} KV v2 makes the written version current at once: every consumer reading the latest version gets it on its next read.${approvalsFirst('That is before staging has tested it')} If the answer is lost, Rotor recognises its own write (the version and fingerprint it noted before writing): a retry adopts it, Abandon writes the previous data back.`,
      aws_issuer: `${profile.mint} With the value in \`${file}\`, write it as a pending version: \`aws secretsmanager put-secret-value --secret-id {aws_secret_id}{aws_region_flag} --version-stages AWSPENDING --secret-string file://${file}\`, then delete the file (\`shred -u ${file}\`). Keep \`--version-stages AWSPENDING\`: without it the new value becomes \`AWSCURRENT\` at once. ${DETECT}`,
      vault_issuer: `${profile.mint} With the value in \`${file}\`, write it: \`vault kv put -mount={vault_mount} {vault_path} {vault_field}=@${file}\` (a put replaces every field of the secret; \`vault kv patch\` with the same arguments keeps the others), then delete the file (\`shred -u ${file}\`). KV v2 makes the written version current at once: consumers reading the latest version get it immediately.${approvalsFirst('That is before staging has tested it')} ${DETECT}`,
      aws_rotation: `Rotor calls \`RotateSecret\` on \`{aws_secret_id}\`: the rotation Lambda creates the \`AWSPENDING\` version, sets it where it is used (and, for a signing key or a webhook secret, publishes the overlap), tests it and moves \`AWSCURRENT\`, and Rotor waits for it to finish. Do not write a value by hand meanwhile: that abandons the rotation AWS drives.${approvalsFirst('The Lambda changes the credential at its issuer')}`,
      manual: `${profile.mint} Keep the old one valid until the new one is verified${emergency ? ', unless it is being abused' : ''}, and store the new one where its consumers read it, as the secret's retrieval instructions say.`,
    },
    required: true,
    irreversible: profile.mintAtIssuer ? [...CURRENT_AT_ONCE, 'manual', 'aws_issuer'] : CURRENT_AT_ONCE,
    undo: {
      label: 'The previous credential works again where the Lambda changed it',
      detail: "A rotation Lambda sets the new credential where it is checked (a single-user database password among them): set the previous one there again, unless the Lambda alternates two users and the previous one still works.",
      routes: ['aws_rotation'],
    },
  };
}

const NOT_WITH_A_LAMBDA: readonly CreationRoute[] = ['manual', 'aws_generate', 'aws_issuer', 'vault_generate', 'vault_issuer'];

const UPDATE_STAGING: StepDefinition = {
  id: 'update_staging',
  family: null,
  title: 'Point staging at the new version',
  detail: {
    aws: "Have staging read the new version while {live_environment} stays on `AWSCURRENT`: point its configuration (Terraform, CDK, Parameter Store or the deployment's environment) at the `AWSPENDING` stage of `{aws_secret_id}`, or at the new version id. For a secret outside production, use one test instance.",
    aws_rotation: 'With a rotation Lambda, `AWSCURRENT` moves as soon as the rotation succeeds: test in staging by rotating the staging copy of this secret first.',
    vault:
      'KV v2 made the new version current when it was written, so consumers reading the latest version of `{vault_path}` already have it. Point staging at this version (`vault kv get -mount={vault_mount} -version=<new> {vault_path}`), and keep {live_environment} consumers that pin a version on the old one until promote.',
    manual: "Put the new value in staging's configuration (its deployment secrets, never a file in git); {live_environment} keeps the old one until promote.",
  },
  required: true,
  routes: NOT_WITH_A_LAMBDA,
};

function testStaging(profile: TypeProfile): StepDefinition {
  return {
    id: 'test_staging',
    family: null,
    title: 'Deploy staging and smoke-test it',
    detail: `Deploy to staging and check there: ${profile.checks}; the health endpoint answers 200 (\`curl -f https://<staging-host>/api/health\`); the service's smoke tests or main flows pass; and no \`AccessDenied\`, authentication or decryption errors appear in the logs.`,
    required: true,
    routes: NOT_WITH_A_LAMBDA,
  };
}

export function promoteStep(emergency: boolean): StepDefinition {
  return {
    id: 'promote',
    family: 'promote',
    title: emergency ? 'Make the new version current' : 'Promote the new version to {live_environment}',
    detail: {
      aws: 'Rotor moves `AWSCURRENT` of `{aws_secret_id}` to the new version (the old one becomes `AWSPREVIOUS`) and drops `AWSPENDING`; it refuses if someone changed the current version meanwhile. Consumers reading `AWSCURRENT` get the new value on their next read.',
      aws_rotation: "Rotor checks that `AWSCURRENT` of `{aws_secret_id}` is on the new version, moves it there if the rotation Lambda's last step did not, and drops a leftover `AWSPENDING` label.",
      vault:
        'A confirmation only: KV v2 made the new version current when it was written, so consumers reading the latest version of `{vault_path}` already get it. Rotor checks that nobody wrote another version after it.',
      manual: 'Switch {live_environment} to the new value: update the {live_environment} secret or configuration its consumers read.',
    },
    required: true,
    irreversible: true,
  };
}

const REDEPLOY: StepDefinition = {
  id: 'redeploy',
  family: null,
  title: 'Redeploy the workloads that use it',
  detail:
    'Redeploy or restart every consumer so that it reads the new value (consumers on record: {consumers}): Kubernetes (`kubectl rollout restart deployment/<name>`), ECS (`aws ecs update-service --cluster <cluster> --service <service> --force-new-deployment`), Lambda functions. Sidecars such as `vault-agent` re-read on their own schedule: restart them unless waiting for their refresh is acceptable.',
  required: true,
  irreversible: true,
};

function invalidateCaches(profile: TypeProfile): StepDefinition {
  return { id: 'invalidate_caches', family: null, title: 'Invalidate cached credentials and sessions', detail: profile.invalidate.detail, required: profile.invalidate.required, irreversible: true };
}

export function verifyStep(profile: TypeProfile): StepDefinition {
  const checks = `${profile.checks}; and ${HEALTH_CHECK}.`;
  return {
    id: 'verify',
    family: 'verify',
    title: 'Verify the new version is current and works',
    detail: {
      store: `Rotor reads the current version back and compares its id and fingerprint with the new version's. Then check: ${checks}`,
      aws_rotation: `Rotor reads \`AWSCURRENT\` back and compares its id with the version the rotation created. Then check: ${checks}`,
      manual: `Check: ${checks}`,
    },
    required: true,
  };
}

function scheduleRemoval(profile: TypeProfile): StepDefinition {
  const keep: RouteText = {
    aws: 'Rotor keeps the previous version (`AWSPREVIOUS`) for the {retention_hours} h retention window, for a rollback, then removes its labels once you confirm.',
    vault:
      'Rotor keeps the previous version for the {retention_hours} h retention window, for a rollback, then soft-deletes it once you confirm (`vault kv undelete` restores it). Mind the secret\'s `max_versions` (default 10): Vault destroys older versions by itself.',
    manual: 'Keep the old value for the {retention_hours} h retention window in case of a rollback.',
  };
  return {
    id: 'schedule_removal',
    family: 'schedule_removal',
    title: 'Schedule removal of the previous version',
    detail: Object.fromEntries(Object.entries(keep).map(([key, text]) => [key, `${text} ${profile.removal}`])),
    required: true,
  };
}

const RECORD_EVIDENCE: StepDefinition = {
  id: 'record_evidence',
  family: null,
  title: 'Record the evidence in the change ticket',
  detail:
    "Attach to the change ticket the output of the checks above (CLI output or screenshots), and make sure no copy of the new value is left on your machine. Rotor's audit log records each step with who and when, the approvals, the version ids and the fingerprints.",
  required: true,
};

/** Every built-in step of a type's rotation checklist, in order, whether or not its default includes it on a route. */
export function rotationSteps(type: SecretType): readonly StepDefinition[] {
  const profile = TYPE_PROFILES[type];
  return [
    createVersionStep(profile, false),
    ...profile.prepare,
    UPDATE_STAGING,
    testStaging(profile),
    promoteStep(false),
    REDEPLOY,
    invalidateCaches(profile),
    verifyStep(profile),
    ...profile.afterVerify,
    scheduleRemoval(profile),
    RECORD_EVIDENCE,
  ];
}

/** The default checklist of a type on a route. */
export function defaultRotationSteps(type: SecretType, route: CreationRoute): readonly StepDefinition[] {
  return rotationSteps(type).filter((step) => step.routes === undefined || step.routes.includes(route));
}

/**
 * The family of every built-in step id of any type. A policy key naming a secret (not a
 * type) is checked against these, since the secret's type is known only when it rotates;
 * an id means the same family in every type that has it.
 */
export const BUILTIN_STEP_FAMILIES: ReadonlyMap<string, StepFamily | null> = new Map(
  SECRET_TYPES.flatMap((type) => rotationSteps(type).map((step) => [step.id, step.family] as const)),
);
