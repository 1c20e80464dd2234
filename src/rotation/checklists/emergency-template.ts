import type { SecretType } from '../../inventory/secret.js';
import type { StoreStepTexts } from '../../providers/store-kind.js';
import type { TargetDescription } from '../../targets/target-description.js';
import { createVersionStep, promoteStep, setAtTargetStep, verifyAtTargetStep, verifyStep } from './rotation-templates.js';
import { isOnRoute, type CreationMethod, type StepDefinition } from './step-definition.js';
import { TYPE_PROFILES, type TypeProfile } from './secret-type-profiles.js';

/**
 * The emergency checklist, from the playbooks' Emergency Revocation: mint a new value or
 * write the issuer's new key, hotfix-deploy, invalidate sessions and tokens, revoke the
 * credential at its issuer, disable the compromised version in the store, search the logs,
 * file the incident report. Every step is required and none waits for approvals.
 */

/**
 * `replace_then_disable` (default): the compromised version stays current until the new one
 * is promoted, so consumers keep working. `disable_now`: it is disabled first, for a
 * credential being actively abused; consumers may break until the new version is in place.
 */
export const REVOCATION_ORDERS = ['replace_then_disable', 'disable_now'] as const;
export type RevocationOrder = (typeof REVOCATION_ORDERS)[number];

const HOTFIX_DEPLOY: StepDefinition = {
  id: 'hotfix_deploy',
  family: null,
  title: 'Hotfix-deploy every consumer with the new version',
  detail:
    'Deploy or restart every consumer now, outside the release train, so that it references the new version (consumers on record: {consumers}): `kubectl rollout restart deployment/<name>`, `aws ecs update-service --cluster <cluster> --service <service> --force-new-deployment`, Lambda functions; restart sidecars such as `vault-agent` rather than wait for their refresh.',
  required: true,
};

function invalidateSessions(profile: TypeProfile): StepDefinition {
  return {
    id: 'invalidate_sessions',
    family: null,
    title: 'Invalidate sessions and tokens that relied on the secret',
    detail: profile.emergency.invalidate,
    required: true,
  };
}

function revokeAtIssuer(profile: TypeProfile): StepDefinition {
  return {
    id: 'revoke_at_issuer',
    family: null,
    title: 'Revoke the compromised credential at its issuer',
    detail: profile.emergency.revoke,
    required: true,
  };
}

const FORGET_BY_HAND = 'Delete the compromised value from every place it was kept (password manager, CI variables, deployment secrets).';

function disableCompromised(order: RevocationOrder): StepDefinition {
  const detail =
    order === 'disable_now'
      ? {
          fromStore: (texts: StoreStepTexts) => texts.disable?.disableNow,
          manual: `${FORGET_BY_HAND} Consumers fail until the new value is in place.`,
        }
      : { fromStore: (texts: StoreStepTexts) => texts.disable?.replaceThenDisable, manual: FORGET_BY_HAND };
  return { id: 'disable_compromised', family: 'disable', title: 'Disable the compromised version in the store', detail, required: true };
}

function searchLogs(profile: TypeProfile): StepDefinition {
  const start = 'From the first possible exposure until now, look for use of the credential by anyone but its consumers:';
  const end = `${profile.emergency.logs}. Note what you found.`;
  return {
    id: 'search_logs',
    family: null,
    title: 'Search the logs for the incident window',
    detail: {
      fromStore: (texts) => texts.searchLogs?.(start, end),
      manual: `${start} ${end}`,
    },
    required: true,
  };
}

const INCIDENT_REPORT: StepDefinition = {
  id: 'incident_report',
  family: null,
  title: 'File the incident report and schedule the postmortem',
  detail:
    'File the incident report (timeline, blast radius, what was disabled and revoked, what the logs showed) and schedule the postmortem within 48 hours of the revocation.',
  required: true,
};

/**
 * Revoking at the target is locking the compromised credential out there: it keeps the id of the
 * step that revokes at the issuer, which the status message's warning and the evidence follow.
 */
function lockAtTarget(target: TargetDescription): StepDefinition {
  const how =
    target.engine === 'redis'
      ? `removes the compromised password from ACL user ${target.user} (ACL SETUSER ${target.user} <old) and closes its connections (CLIENT KILL USER ${target.user})`
      : target.roles.strategy === 'alternating-users'
        ? 'gives the compromised role NOLOGIN and ends its sessions (pg_terminate_backend)'
        : `ends the sessions of role ${target.roles.role} (pg_terminate_backend): setting the new password already refused the compromised one`;
  return {
    id: 'revoke_at_issuer',
    family: 'lock_at_target',
    title: 'Lock the compromised credential out at the target',
    detail: `As soon as the new credential logs in, Rotor ${how}, with the managing credential read from the store at this moment. The step records when.`,
    required: true,
  };
}

/**
 * The emergency checklist of a secret whose credential Rotor sets at its target: the new value is
 * staged, set and proved there first, made current, then the compromised one is locked out at
 * once; the people's steps follow. Both orders lock at the same point (the compromised credential
 * keeps working only for the seconds the new one takes to be set and proved).
 */
function emergencyTargetSteps(profile: TypeProfile, target: TargetDescription): readonly StepDefinition[] {
  return [
    createVersionStep(profile, true),
    setAtTargetStep(target),
    verifyAtTargetStep(target),
    promoteStep(true),
    lockAtTarget(target),
    HOTFIX_DEPLOY,
    verifyStep(profile),
    invalidateSessions(profile),
    disableCompromised('replace_then_disable'),
    searchLogs(profile),
    INCIDENT_REPORT,
  ];
}

export function emergencySteps(
  type: SecretType,
  method: CreationMethod,
  order: RevocationOrder,
  target: TargetDescription | null = null,
): readonly StepDefinition[] {
  const profile = TYPE_PROFILES[type];
  if (target && method === 'generate') return emergencyTargetSteps(profile, target);
  const replace = [
    createVersionStep(profile, true),
    ...profile.prepare.filter((step) => step.emergency && isOnRoute(step, method)),
    promoteStep(true),
    HOTFIX_DEPLOY,
    verifyStep(profile),
    invalidateSessions(profile),
  ];
  const disable = disableCompromised(order);
  const revoke = revokeAtIssuer(profile);
  const close = [searchLogs(profile), INCIDENT_REPORT];
  return order === 'disable_now' ? [disable, revoke, ...replace, ...close] : [...replace, revoke, disable, ...close];
}
