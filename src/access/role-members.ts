import type { Policy } from '../config/policy.js';
import { SLACK_USER_GROUP_ID } from '../inventory/secret.js';

/** Who is in which Slack user group, as Slack last said (UserGroupRepo). */
export interface GroupMembers {
  groupsOf(userId: string): readonly string[];
  membersOf(groupId: string): readonly string[];
}

/**
 * The Slack users in a role: the built-in approver roles (`security_lead`, `devops_lead`) or a
 * role the policy defines, its user groups resolved to their members as Slack last said (none
 * when Slack was never asked). Each person once, in the policy's order.
 */
export function membersOfRole(policy: Policy, role: string, groups: GroupMembers | null): string[] {
  const listed =
    role === 'security_lead'
      ? policy.roles.securityLeads
      : role === 'devops_lead'
        ? policy.roles.devopsLeads
        : (policy.roles.defined[role] ?? []);
  const people = listed.flatMap((id) => (SLACK_USER_GROUP_ID.test(id) ? (groups?.membersOf(id) ?? []) : [id]));
  return [...new Set(people)];
}

/** The approver roles `userId` holds: the built-in ones and every defined role they are in, directly or by a user group. */
export function approverRolesHeld(policy: Policy, userId: string, groups: GroupMembers | null): string[] {
  const roles: string[] = [];
  if (policy.roles.securityLeads.includes(userId)) roles.push('security_lead');
  if (policy.roles.devopsLeads.includes(userId)) roles.push('devops_lead');
  const mine = new Set([userId, ...(groups?.groupsOf(userId) ?? [])]);
  for (const [role, members] of Object.entries(policy.roles.defined)) if (members.some((id) => mine.has(id))) roles.push(role);
  return roles;
}

/** Each user group a role the policy defines names, with the role's key. */
export function userGroupsOfRoles(policy: Policy): { group: string; role: string }[] {
  return Object.entries(policy.roles.defined).flatMap(([role, members]) =>
    members.filter((id) => SLACK_USER_GROUP_ID.test(id)).map((group) => ({ group, role })),
  );
}
