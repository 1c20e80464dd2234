import type { SecretType } from '../../inventory/secret.js';
import type { StoreStepTexts } from '../../providers/store-kind.js';
import { createVersionStep, promoteStep, verifyStep } from './rotation-templates.js';
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

export function emergencySteps(type: SecretType, method: CreationMethod, order: RevocationOrder): readonly StepDefinition[] {
  const profile = TYPE_PROFILES[type];
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
