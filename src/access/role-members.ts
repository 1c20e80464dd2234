import type { Policy } from '../config/policy.js';
import { SLACK_USER_GROUP_ID } from '../inventory/secret.js';

/** Who is in which Slack user group, as Slack last said (UserGroupRepo). */
export interface GroupMembers {
  groupsOf(userId: string): readonly string[];
  membersOf(groupId: string): readonly string[];
}

/** The `roles:` keys every policy has that list people; like a role the policy defines, each takes Slack users and user groups. */
export const BUILT_IN_ROLE_LISTS = ['admins', 'security_leads', 'devops_leads', 'responders'] as const;
export type BuiltInRoleList = (typeof BUILT_IN_ROLE_LISTS)[number];

/**
 * The ids `role` lists, as the policy gives them (user and user group ids): a built-in list
 * (`admins`, `security_leads`, `devops_leads`, `responders`), a built-in approver role
 * (`security_lead`, `devops_lead`) or a role the policy defines; none for any other name.
 */
export function listedInRole(policy: Policy, role: string): readonly string[] {
  switch (role) {
    case 'admins':
      return policy.roles.admins;
    case 'security_lead':
    case 'security_leads':
      return policy.roles.securityLeads;
    case 'devops_lead':
    case 'devops_leads':
      return policy.roles.devopsLeads;
    case 'responders':
      return policy.roles.responders;
    default:
      return policy.roles.defined[role] ?? [];
  }
}

/** The people `ids` stand for: user groups resolved to their members as Slack last said (none when Slack was never asked). Each person once, in order. */
export function peopleIn(ids: readonly string[], groups: Pick<GroupMembers, 'membersOf'> | null): string[] {
  const people = ids.flatMap((id) => (SLACK_USER_GROUP_ID.test(id) ? (groups?.membersOf(id) ?? []) : [id]));
  return [...new Set(people)];
}

/** Whether `ids` names `userId`, directly or by a user group they are in (as Slack last said). */
export function namesPerson(ids: readonly string[], userId: string, groups: Pick<GroupMembers, 'groupsOf'> | null): boolean {
  if (ids.includes(userId)) return true;
  if (!groups || !ids.some((id) => SLACK_USER_GROUP_ID.test(id))) return false;
  return groups.groupsOf(userId).some((group) => ids.includes(group));
}

/** The Slack users in a role (see listedInRole), its user groups resolved to their members. Each person once, in the policy's order. */
export function membersOfRole(policy: Policy, role: string, groups: Pick<GroupMembers, 'membersOf'> | null): string[] {
  return peopleIn(listedInRole(policy, role), groups);
}

/** Whether `userId` is in `role` (see listedInRole), directly or by a user group. */
export function isInRole(policy: Policy, role: string, userId: string, groups: Pick<GroupMembers, 'groupsOf'> | null): boolean {
  return namesPerson(listedInRole(policy, role), userId, groups);
}

/** The approver roles `userId` holds: the built-in ones and every defined role they are in, directly or by a user group. */
export function approverRolesHeld(policy: Policy, userId: string, groups: Pick<GroupMembers, 'groupsOf'> | null): string[] {
  const roles = ['security_lead', 'devops_lead', ...Object.keys(policy.roles.defined)];
  return roles.filter((role) => isInRole(policy, role, userId, groups));
}

/** Each user group a role list names (the built-in lists and the roles the policy defines), with the list's key under `roles:`. */
export function userGroupsOfRoles(policy: Policy): { group: string; role: string }[] {
  const lists: [string, readonly string[]][] = [
    ...BUILT_IN_ROLE_LISTS.map((key): [string, readonly string[]] => [key, listedInRole(policy, key)]),
    ...Object.entries(policy.roles.defined),
  ];
  return lists.flatMap(([role, members]) => members.filter((id) => SLACK_USER_GROUP_ID.test(id)).map((group) => ({ group, role })));
}
