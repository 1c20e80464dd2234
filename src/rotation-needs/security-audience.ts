import { membersOfRole, type GroupMembers } from '../access/role-members.js';
import type { Policy } from '../config/policy.js';

/** Where security is told: a channel, or a security lead's DM. */
export type SecurityAudience = { channel: string } | { user: string };

/**
 * Who hears of people leaving and break-glass uses: the policy's security channel, else the
 * announcement channel, else each security lead (a user group's members) by DM; nobody when none is set (the audit log
 * still has it).
 */
export function securityAudience(policy: Policy, groups: Pick<GroupMembers, 'membersOf'> | null = null): SecurityAudience[] {
  const channel = policy.channels.security ?? policy.channels.announce;
  if (channel) return [{ channel }];
  return membersOfRole(policy, 'security_leads', groups).map((user) => ({ user }));
}

/** A follow-up occurrence per audience member, so each is told once. */
export function audienceKey(audience: SecurityAudience): string {
  return 'channel' in audience ? audience.channel : audience.user;
}
