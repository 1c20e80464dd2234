import { membersOfRole, type GroupMembers } from '../access/role-members.js';
import type { EscalationLevel, Policy } from '../config/policy.js';
import type { Secret } from '../inventory/secret.js';

/** The fields of a secret its ladder is made of. */
type LadderSecret = Pick<Secret, 'owner' | 'backupOwner' | 'team'>;

export interface Rung {
  level: EscalationLevel;
  user: string;
}

/** Why the ladder passes over a level of the policy's escalation order. */
export type SkipReason = 'unfilled' | 'not_in_slack' | 'same_person' | 'said_not_mine';

/** One level of the policy's escalation order for a secret: who fills it, and whether it is passed over. */
export interface LadderLevel {
  level: EscalationLevel;
  user: string | null;
  skipped: SkipReason | null;
}

/**
 * Every level of the policy's escalation order for a secret, with who fills it. A level nobody
 * fills (no backup owner, no lead for the team), a person already on an earlier rung, one who
 * said the secret is not theirs this cycle, and a person no longer in Slack are marked skipped,
 * so each step really reaches someone new and an escalation can say why a level was passed over.
 */
export function ladderLevels(
  secret: LadderSecret,
  policy: Policy,
  isGone: (user: string) => boolean,
  saidNotMine: ReadonlySet<string> = new Set(),
  groups: GroupMembers | null = null,
): LadderLevel[] {
  const seen = new Set<string>();
  return policy.reminders.escalation.map((level) => {
    const user = personAt(level, secret, policy, groups);
    if (!user) return { level, user: null, skipped: 'unfilled' };
    if (seen.has(user)) return { level, user, skipped: 'same_person' };
    if (saidNotMine.has(user)) return { level, user, skipped: 'said_not_mine' };
    if (isGone(user)) return { level, user, skipped: 'not_in_slack' };
    seen.add(user);
    return { level, user, skipped: null };
  });
}

/** The people a secret's reminders go to, in the policy's escalation order: the levels not skipped. */
export function rungsOf(levels: readonly LadderLevel[]): Rung[] {
  // A loop, not flatMap: the planner builds a ladder per owed secret, and flatMap's array per level was a fifth of its time.
  const rungs: Rung[] = [];
  for (const level of levels) if (level.skipped === null && level.user !== null) rungs.push({ level: level.level, user: level.user });
  return rungs;
}

function personAt(level: EscalationLevel, secret: LadderSecret, policy: Policy, groups: GroupMembers | null): string | null {
  switch (level) {
    case 'owner':
      return secret.owner;
    case 'backup_owner':
      return secret.backupOwner;
    case 'team_lead':
      return secret.team ? (policy.roles.teamLeads[secret.team] ?? null) : null;
    case 'security':
      // One person per step keeps the ledger one row per reminder; the first listed lead is on call for it.
      return membersOfRole(policy, 'security_leads', groups)[0] ?? null;
    case 'cto':
      return policy.roles.cto;
    default:
      // A role the policy defines (on-call primary, privacy counsel…): its first member, as for security.
      return membersOfRole(policy, level, groups)[0] ?? null;
  }
}
