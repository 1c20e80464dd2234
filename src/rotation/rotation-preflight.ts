import type { GroupMembers } from '../access/role-members.js';
import type { Policy } from '../config/policy.js';
import type { PersonInfo } from '../core/delivery.js';
import { describeError } from '../core/errors.js';
import type { Secret } from '../inventory/secret.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import type { ProviderTarget, SecretDescription, SecretProvider, VersionFingerprint } from '../providers/secret-provider.js';
import type { StoreKind } from '../providers/store-kind.js';
import { creationRouteOf } from './checklists/creation-route.js';
import type { ApproverRole, PreflightCheck } from './rotation.js';
import { holdersOfRole, roleLabel } from './rotation-rules.js';
import { decidePlacement } from './checklists/value-field.js';
import type { TargetAccess } from './steps/target-access.js';
import { targetPreflight } from './target-preflight.js';
import { singleUserCheck } from './target-strategy-check.js';
import type { TargetDescription } from '../targets/target-description.js';

/** How Rotor learns whether an approver is still in Slack; absent when Slack cannot be asked. */
export interface PeopleLookup {
  lookupPerson(userId: string): Promise<PersonInfo>;
}

export interface PreflightResult {
  checks: PreflightCheck[];
  /** What the provider reported, when it answered. */
  description: SecretDescription | null;
  /** The version current now, read back and fingerprinted: the rotation's starting point. */
  current: VersionFingerprint | null;
  /** The field a generated value goes in, when the preflight decided one. */
  valueField: string | null;
  /** Where Rotor sets the credential, when the secret names a target (src/rotation/target-preflight.ts). */
  target: TargetDescription | null;
}

export function hasBlocking(checks: readonly PreflightCheck[]): boolean {
  return checks.some((check) => check.status === 'blocking');
}

/**
 * Everything that can be checked before the first step that cannot be undone, so a rotation
 * never fails half-way on something knowable: the reference resolves and Rotor can read it, a
 * generated value can keep the current value's shape, the store shows nothing an earlier attempt
 * left and keeps the previous version through the retention window (the store's own checks), and
 * the approvers exist and are still in Slack. Each finding says what to fix.
 */
export async function runPreflight(
  deps: {
    registry: ProviderRegistry;
    people: PeopleLookup | null;
    policy: Policy;
    groups?: GroupMembers | undefined;
    targets?: TargetAccess;
  },
  subject: { secret: Secret; actor: string; requiredApprovals: readonly ApproverRole[] },
): Promise<PreflightResult> {
  const checks: PreflightCheck[] = [];
  const { secret } = subject;
  let description: SecretDescription | null = null;
  let current: VersionFingerprint | null = null;
  let valueField: string | null = null;
  let target: TargetDescription | null = null;
  const store = deps.registry.stores.of(secret.provider);
  if (store.capabilities.byHand) {
    checks.push({ check: 'provider', status: 'ok', message: 'Rotated by hand at the issuer: every step is ticked by a person.' });
  } else {
    let resolved: { store: StoreKind; provider: SecretProvider; target: ProviderTarget } | null = null;
    try {
      resolved = deps.registry.resolve(secret);
      const { provider, target } = resolved;
      await provider.validateReference(target);
      description = await provider.describe(target);
      checks.push({ check: 'reference', status: 'ok', message: `${secret.providerRef} resolves in ${store.label}.` });
      current = await provider.readCurrent(target);
      checks.push({ check: 'read', status: 'ok', message: `Rotor can read the current version (${current.versionId}).` });
    } catch (error) {
      checks.push({ check: description ? 'read' : 'reference', status: 'blocking', message: describeError(error) });
    }
    if (description && current && resolved) {
      const shape = await shapeCheck(secret, description, deps.policy, resolved);
      if (shape) checks.push(shape.check);
      valueField = shape?.valueField ?? null;
    }
    if (description) checks.push(...storeChecks(secret, store, description, deps.policy));
    if (description && current && deps.targets && !hasBlocking(checks)) {
      const findings = await targetPreflight(deps.targets, secret, valueField ?? 'password');
      checks.push(...findings.checks);
      const strategy = findings.target && singleUserCheck(findings.target, secret, deps.policy);
      if (strategy) checks.push(strategy);
      target = findings.target;
    }
  }
  checks.push(...(await approverChecks(deps, subject)));
  return { checks, description, current, valueField, target };
}

/**
 * Where a value Rotor generates goes, so the new version keeps the current one's shape: read and
 * judged at the provider, only field names come back. Only a rotation that generates its value
 * asks; a person writing the value, or a rotation function, keeps the shape themselves.
 */
async function shapeCheck(
  secret: Secret,
  description: SecretDescription,
  policy: Policy,
  resolved: { store: StoreKind; provider: SecretProvider; target: ProviderTarget },
): Promise<{ check: PreflightCheck; valueField: string | null } | null> {
  let method: string;
  try {
    method = creationRouteOf(secret, { rotationConfigured: description.rotationConfigured }, resolved.store).method;
  } catch {
    // An invalid value-source tag: the checklist's own finding says what is wrong with it.
    return null;
  }
  if (method !== 'generate') return null;
  try {
    const decision = decidePlacement(secret, policy, await resolved.provider.describeShape(resolved.target), resolved.store);
    return {
      check: { check: 'value_shape', status: decision.placement ? 'ok' : 'blocking', message: decision.message },
      valueField: decision.placement?.kind === 'field' ? decision.placement.field : null,
    };
  } catch (error) {
    return { check: { check: 'value_shape', status: 'blocking', message: describeError(error) }, valueField: null };
  }
}

/** What the store says of itself (leftovers, versions it would not keep), after whether it drifted from the inventory. */
function storeChecks(secret: Secret, store: StoreKind, description: SecretDescription, policy: Policy): PreflightCheck[] {
  const checks: PreflightCheck[] = [];
  if (description.current && secret.currentVersionId && description.current.versionId !== secret.currentVersionId) {
    checks.push({
      check: 'drift',
      status: 'warning',
      message: `The store's current version is ${description.current.versionId}, not ${secret.currentVersionId} as Rotor last recorded: it was changed outside Rotor. The rotation starts from ${description.current.versionId}.`,
    });
  }
  checks.push(
    ...store.preflight(description, { secretName: secret.name, ref: secret.providerRef ?? '', retentionHours: policy.retentionHours }),
  );
  return checks;
}

async function approverChecks(
  deps: { people: PeopleLookup | null; policy: Policy; groups?: GroupMembers | undefined },
  subject: { actor: string; requiredApprovals: readonly ApproverRole[] },
): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [];
  for (const role of subject.requiredApprovals) {
    const others = holdersOfRole(deps.policy, role, deps.groups ?? null).filter((person) => person !== subject.actor);
    const key = role === 'security_lead' ? 'security_leads' : role === 'devops_lead' ? 'devops_leads' : role;
    if (others.length === 0) {
      checks.push({
        check: `approver_${role}`,
        status: 'blocking',
        message: `Nobody but you can approve as ${roleLabel(role)}, and nobody approves their own rotation: ask an admin to add someone to roles.${key} in the policy.`,
      });
      continue;
    }
    if (!deps.people) {
      checks.push({
        check: `approver_${role}`,
        status: 'ok',
        message: `${others.length} ${roleLabel(role)}${others.length === 1 ? '' : 's'} can approve.`,
      });
      continue;
    }
    const present: string[] = [];
    let unknown = 0;
    for (const person of others) {
      try {
        if (!(await deps.people.lookupPerson(person)).gone) present.push(person);
      } catch {
        unknown += 1;
      }
    }
    if (present.length > 0)
      checks.push({
        check: `approver_${role}`,
        status: 'ok',
        message: `${present.length} ${roleLabel(role)}${present.length === 1 ? '' : 's'} can approve.`,
      });
    else if (unknown > 0)
      checks.push({
        check: `approver_${role}`,
        status: 'warning',
        message: `Slack did not say whether the ${roleLabel(role)}s are still there; they will be asked anyway.`,
      });
    else
      checks.push({
        check: `approver_${role}`,
        status: 'blocking',
        message: `Every ${roleLabel(role)} in the policy has left Slack: ask an admin to update roles.${key}.`,
      });
  }
  return checks;
}
