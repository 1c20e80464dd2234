import type { EscalationLevel, Policy } from '../config/policy.js';
import type { Secret } from '../inventory/secret.js';

/** One level of the escalation path for an incident: everyone at it is paged together. */
export interface PageLevel {
  level: EscalationLevel;
  people: string[];
}

/** Paged when the secret is revoked: the people who look after it, and security. */
const FIRST_PAGED: readonly EscalationLevel[] = ['owner', 'backup_owner', 'security'];

/**
 * The policy's escalation path (`reminders.escalation`) for one secret, with who stands at each
 * level. Unlike a reminder, which reaches one person per step, a page reaches every security lead.
 * Levels nobody fills are left out.
 */
export function incidentLadder(secret: Secret, policy: Policy): PageLevel[] {
  return policy.reminders.escalation
    .map((level) => ({ level, people: peopleAt(level, secret, policy) }))
    .filter((rung) => rung.people.length > 0);
}

/** Who is paged at once: owner, backup owner and security leads, whatever their place on the path. */
export function firstPages(ladder: readonly PageLevel[], except: string): PageLevel[] {
  return withoutPeople(
    ladder.filter((rung) => FIRST_PAGED.includes(rung.level)),
    new Set([except]),
  );
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

function peopleAt(level: EscalationLevel, secret: Secret, policy: Policy): string[] {
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
      return [...policy.roles.securityLeads];
    case 'cto':
      return policy.roles.cto ? [policy.roles.cto] : [];
  }
}
