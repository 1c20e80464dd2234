import { membersOfRole, type GroupMembers } from '../access/role-members.js';
import { FIRST_PAGED_LEVELS, type EscalationLevel, type Policy } from '../config/policy.js';
import type { Secret } from '../inventory/secret.js';

/** One level of the escalation path for an incident: everyone at it is paged together. */
export interface PageLevel {
  level: EscalationLevel;
  people: string[];
}

/**
 * The policy's escalation path (`reminders.escalation`) for one secret, with who stands at each
 * level. Unlike a reminder, which reaches one person per step, a page reaches every security lead.
 * Levels nobody fills are left out.
 */
export function incidentLadder(secret: Secret, policy: Policy, groups: GroupMembers | null = null): PageLevel[] {
  return levelsOf(policy.reminders.escalation, secret, policy, groups);
}

/**
 * Who is paged at once, in order: the roles of `incident.paging`; without it the owner, backup
 * owner and security leads as they stand on the escalation path (`ladder`).
 */
export function firstPages(
  ladder: readonly PageLevel[],
  except: string,
  secret: Secret,
  policy: Policy,
  groups: GroupMembers | null = null,
): PageLevel[] {
  const first = policy.incident.paging
    ? levelsOf(policy.incident.paging, secret, policy, groups)
    : ladder.filter((rung) => (FIRST_PAGED_LEVELS as readonly string[]).includes(rung.level));
  return withoutPeople(first, new Set([except]));
}

function levelsOf(levels: readonly EscalationLevel[], secret: Secret, policy: Policy, groups: GroupMembers | null): PageLevel[] {
  return levels.map((level) => ({ level, people: peopleAt(level, secret, policy, groups) })).filter((rung) => rung.people.length > 0);
}

/** The next level on the path with someone not yet paged, or null when the path is exhausted. */
export function nextLevel(ladder: readonly PageLevel[], alreadyPaged: ReadonlySet<string>): PageLevel | null {
  return withoutPeople(ladder, alreadyPaged)[0] ?? null;
}

function withoutPeople(ladder: readonly PageLevel[], skip: ReadonlySet<string>): PageLevel[] {
  const seen = new Set(skip);
  const levels: PageLevel[] = [];
  for (const rung of ladder) {
    const people = rung.people.filter((person) => !seen.has(person));
    for (const person of people) seen.add(person);
    if (people.length > 0) levels.push({ level: rung.level, people });
  }
  return levels;
}

function peopleAt(level: EscalationLevel, secret: Secret, policy: Policy, groups: GroupMembers | null): string[] {
  switch (level) {
    case 'owner':
      return secret.owner ? [secret.owner] : [];
    case 'backup_owner':
      return secret.backupOwner ? [secret.backupOwner] : [];
    case 'team_lead': {
      const lead = secret.team ? policy.roles.teamLeads[secret.team] : undefined;
      return lead ? [lead] : [];
    }
    case 'security':
      return membersOfRole(policy, 'security_leads', groups);
    case 'cto':
      return policy.roles.cto ? [policy.roles.cto] : [];
    default:
      return membersOfRole(policy, level, groups);
  }
}
