import type { Policy } from '../config/policy.js';

/** Where security is told: a channel, or a security lead's DM. */
export type SecurityAudience = { channel: string } | { user: string };

/**
 * Who hears of people leaving and break-glass uses: the policy's security channel, else the
 * announcement channel, else each security lead by DM; nobody when none is set (the audit log
 * still has it).
 */
export function securityAudience(policy: Policy): SecurityAudience[] {
  const channel = policy.channels.security ?? policy.channels.announce;
  if (channel) return [{ channel }];
  return policy.roles.securityLeads.map((user) => ({ user }));
}

/** A follow-up occurrence per audience member, so each is told once. */
export function audienceKey(audience: SecurityAudience): string {
  return 'channel' in audience ? audience.channel : audience.user;
}
