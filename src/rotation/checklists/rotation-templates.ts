import { SECRET_TYPES, type SecretType } from '../../inventory/secret.js';
import type { StepFamily } from './checklist-step.js';
import { isOnRoute, type CreationMethod, type IrreversibleOn, type StepDefinition } from './step-definition.js';
import { TYPE_PROFILES, type TypeProfile } from './secret-type-profiles.js';
import { strategyLine, type TargetDescription } from '../../targets/target-description.js';

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
  "The new version keeps the shape of the current one: a plain value is replaced whole; in a JSON object or a Vault secret only the credential field named at the preflight changes (`password` unless the secret's value field or the policy's `value_fields` names another) and every other field stays as it is. A value whose field Rotor cannot tell, or a composed one (a connection string), is refused at the preflight, which says how to tell it.";
const HEALTH_CHECK = 'the health endpoint answers 200 (`curl -f https://<host>/api/health`)';

/** Where the creation step changes production by itself: a write the store makes current at once; a store's rotation function sets the credential at its issuer. */
const CURRENT_AT_ONCE: readonly IrreversibleOn[] = ['written_current', 'store_rotation'];

/** The creation step, shared with the emergency checklist (which has no approvals to wait for). */
export function createVersionStep(profile: TypeProfile, emergency: boolean): StepDefinition {
  const parts = {
    mint: profile.mint,
    file: profile.file,
    generated: GENERATED,
    keepsShape: KEEPS_SHAPE,
    detect: DETECT,
    approvalsFirst: (reason: string) => (emergency ? '' : ` ${reason}, which is why approvals come first.`),
  };
  return {
    id: 'create_version',
    family: 'creation',
    title: {
      generate: emergency ? 'Mint a new version' : 'Create the new version',
      issuer: `${profile.mintTitle} and write it to the store`,
      store_rotation: 'Run the configured rotation and wait for it',
      manual: profile.mintTitle,
    },
    detail: {
      fromStore: (texts, method) => texts.create?.[method]?.(parts),
      manual: `${profile.mint} Keep the old one valid until the new one is verified${emergency ? ', unless it is being abused' : ''}, and store the new one where its consumers read it, as the secret's retrieval instructions say.`,
    },
    required: true,
    irreversible: [
      ...CURRENT_AT_ONCE,
      ...(profile.mintAtIssuer ? (['manual', 'issuer'] as const) : []),
      ...(profile.createAfterApprovals ? (['generate'] as const) : []),
    ],
    undo: {
      label: 'The previous credential works again where the Lambda changed it',
      detail:
        'A rotation Lambda sets the new credential where it is checked (a single-user database password among them): set the previous one there again, unless the Lambda alternates two users and the previous one still works.',
      routes: ['store_rotation'],
    },
  };
}

/** Every method but a store's rotation function, which sets the value itself and switches production at once. */
const NOT_WITH_A_LAMBDA: readonly CreationMethod[] = ['manual', 'generate', 'issuer'];

const UPDATE_STAGING: StepDefinition = {
  id: 'update_staging',
  family: null,
  title: 'Point staging at the new version',
  detail: {
    fromStore: (texts, method) => texts.updateStaging?.[method] ?? texts.updateStaging?.any,
    manual:
      "Put the new value in staging's configuration (its deployment secrets, never a file in git); {live_environment} keeps the old one until promote.",
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
      fromStore: (texts, method) => texts.promote?.[method] ?? texts.promote?.any,
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
  return {
    id: 'invalidate_caches',
    family: null,
    title: 'Invalidate cached credentials and sessions',
    detail: profile.invalidate.detail,
    required: profile.invalidate.required,
    irreversible: true,
  };
}

export function verifyStep(profile: TypeProfile): StepDefinition {
  const checks = `${profile.checks}; and ${HEALTH_CHECK}.`;
  return {
    id: 'verify',
    family: 'verify',
    title: 'Verify the new version is current and works',
    detail: {
      store: `Rotor reads the current version back and compares its id and fingerprint with the new version's. Then check: ${checks}`,
      fromStore: (texts, method) => texts.verify?.[method]?.(checks),
      manual: `Check: ${checks}`,
    },
    required: true,
  };
}

function scheduleRemoval(profile: TypeProfile): StepDefinition {
  return {
    id: 'schedule_removal',
    family: 'schedule_removal',
    title: 'Schedule removal of the previous version',
    detail: {
      fromStore: (texts) => (texts.keepPrevious === undefined ? undefined : `${texts.keepPrevious} ${profile.removal}`),
      manual: `Keep the old value for the {retention_hours} h retention window in case of a rollback. ${profile.removal}`,
    },
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

/**
 * The checklist of a secret whose credential Rotor sets where it is used (a PostgreSQL role, a
 * Redis ACL user): stage the new version in the store, set it at the target, log in with it,
 * promote, read it back, then retire the old credential at the end of the retention window.
 * Approvals come before the first step that changes the target.
 */
export function targetRotationSteps(type: SecretType, target: TargetDescription): readonly StepDefinition[] {
  const profile = TYPE_PROFILES[type];
  const retire =
    target.engine === 'redis'
      ? 'removes the old password from the ACL user (ACL SETUSER <old)'
      : target.roles.strategy === 'alternating-users'
        ? 'gives the previous role NOLOGIN'
        : "has nothing left to retire (the single role's old password was replaced)";
  return [
    createVersionStep(profile, false),
    setAtTargetStep(target),
    verifyAtTargetStep(target),
    promoteStep(false),
    verifyStep(profile),
    {
      ...scheduleRemoval(profile),
      detail: `At the end of the {retention_hours} h retention window Rotor ${retire}, then removes the previous version from the store.`,
    },
  ];
}

/** Sets the staged version's password at the target (a rotation's, or an emergency's). */
export function setAtTargetStep(target: TargetDescription): StepDefinition {
  const blip = target.engine === 'postgres' && target.roles.strategy === 'single-user';
  return {
    id: 'set_at_target',
    family: 'set_at_target',
    title: 'Set the new password at the target',
    detail: `${strategyLine(target)} Rotor reads the managing credential from the store at this moment and the new password from the staged version; PostgreSQL receives a SCRAM-SHA-256 verifier computed by Rotor, never the password itself.`,
    required: true,
    irreversible: true,
    ...(blip
      ? {
          undo: {
            label: 'The previous password is set on the role again',
            detail:
              "A single role's password was replaced: set the previous one again (ALTER ROLE … PASSWORD) before rolling back the store.",
          },
        }
      : {}),
  };
}

/** Logs in at the target with the new password, as the target user. */
export function verifyAtTargetStep(target: TargetDescription): StepDefinition {
  return {
    id: 'verify_at_target',
    family: 'verify_at_target',
    title: 'Log in at the target with the new password',
    detail: `Rotor opens a fresh connection as the target user with the new password (never the managing one): ${target.engine === 'postgres' ? '`SELECT 1`' : '`AUTH` and `PING`'}, and records the latency.`,
    required: true,
  };
}

/** The default checklist of a type on a method. */
export function defaultRotationSteps(type: SecretType, method: CreationMethod): readonly StepDefinition[] {
  return rotationSteps(type).filter((step) => isOnRoute(step, method));
}

/**
 * The family of every built-in step id of any type. A policy key naming a secret (not a
 * type) is checked against these, since the secret's type is known only when it rotates;
 * an id means the same family in every type that has it.
 */
export const BUILTIN_STEP_FAMILIES: ReadonlyMap<string, StepFamily | null> = new Map(
  SECRET_TYPES.flatMap((type) => rotationSteps(type).map((step) => [step.id, step.family] as const)),
);
