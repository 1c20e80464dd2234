import type { EscalationLevel, Policy } from '../config/policy.js';
import type { Secret } from '../inventory/secret.js';

export interface Rung {
  level: EscalationLevel;
  user: string;
}

/**
 * The people a secret's reminders go to, in the policy's escalation order. A level nobody
 * fills (no backup owner, no lead for the team), a person no longer in Slack, and a person
 * already on an earlier rung are skipped, so each step really reaches someone new.
 */
export function escalationLadder(secret: Secret, policy: Policy, isGone: (user: string) => boolean): Rung[] {
  const rungs: Rung[] = [];
  const seen = new Set<string>();
  for (const level of policy.reminders.escalation) {
    const user = personAt(level, secret, policy);
    if (!user || seen.has(user) || isGone(user)) continue;
    seen.add(user);
    rungs.push({ level, user });
  }
  return rungs;
}

function personAt(level: EscalationLevel, secret: Secret, policy: Policy): string | null {
  switch (level) {
    case 'owner':
      return secret.owner;
    case 'backup_owner':
      return secret.backupOwner;
    case 'team_lead':
      return secret.team ? (policy.roles.teamLeads[secret.team] ?? null) : null;
    case 'security':
      // One person per step keeps the ledger one row per reminder; the first listed lead is on call for it.
      return policy.roles.securityLeads[0] ?? null;
    case 'cto':
      return policy.roles.cto;
  }
}
