import { membersOfRole, peopleIn, type GroupMembers } from '../access/role-members.js';
import { signOffFallbackOf } from '../access/permissions.js';
import type { Policy, SignOffFallback } from '../config/policy.js';
import type { RotationRecord } from '../rotation/rotation.js';
import { workersOf } from '../rotation/rotation-rules.js';

/**
 * Who signs off a break-glass rotation: a security lead who neither broke the glass nor worked
 * the rotation (two-person rule). When none is left (one security lead, who revoked), the role
 * the policy names in `incident.signoff_fallback` (the CTO by default), under the same rule; and
 * when that names nobody, nobody can, which is said when the incident opens.
 */
export interface SignOffPlan {
  /** Who may sign off now. */
  people: string[];
  /** Set when the sign-off falls to the policy's fallback role: how to call it ("the CTO"). */
  fallback: { setting: SignOffFallback; label: string } | null;
  /** Who may not, and why: whoever broke the glass or worked the rotation. */
  excluded: Map<string, string>;
}

/**
 * The plan for an incident led by `breakGlassBy`, with its emergency rotation once there is one
 * and who took that over (taking it over is working it, even without doing a step).
 */
export function signOffPlan(
  policy: Policy,
  breakGlassBy: string,
  rotation: { record: RotationRecord; tookOver: readonly string[] } | null,
  groups: Pick<GroupMembers, 'membersOf'> | null = null,
): SignOffPlan {
  const excluded = new Map<string, string>([[breakGlassBy, 'you broke the glass on this rotation']]);
  for (const [person, why] of rotation ? workersOf(rotation.record, rotation.tookOver) : [])
    if (!excluded.has(person)) excluded.set(person, `you worked on this emergency rotation (${why})`);
  const leads = membersOfRole(policy, 'security_leads', groups).filter((person) => !excluded.has(person));
  if (leads.length > 0) return { people: leads, fallback: null, excluded };
  const fallback = signOffFallbackOf(policy);
  return {
    people: peopleIn(fallback.userIds, groups).filter((person) => !excluded.has(person)),
    fallback: { setting: policy.incident.signoffFallback, label: fallback.label },
    excluded,
  };
}

/** One sentence on who signs off, for the incident's timeline and its status message; null when security leads do, as usual. */
export function signOffNotice(policy: Policy, plan: SignOffPlan, breakGlassBy: string): string | null {
  if (!plan.fallback) return null;
  const noLead = `No security lead is left to sign off this break-glass rotation who neither broke the glass (${breakGlassBy}) nor worked it`;
  if (plan.people.length > 0)
    return `${noLead}: the sign-off falls to ${plan.fallback.label} (${plan.people.join(', ')}), as the policy's incident.signoff_fallback says.`;
  const why =
    plan.fallback.setting === 'none'
      ? 'and incident.signoff_fallback is none'
      : plan.fallback.setting === 'cto' && !policy.roles.cto
        ? 'and the policy names no CTO (roles.cto) for incident.signoff_fallback'
        : `and ${plan.fallback.label} (incident.signoff_fallback) broke the glass or worked it too`;
  return `${noLead}, ${why}: nobody can sign it off. Add a security lead to the policy, or set incident.signoff_fallback (cto, admins or devops_leads).`;
}
