import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import { SLACK_USER_GROUP_ID } from '../inventory/secret.js';

/** A role the policy defines under `roles:`: lower-case letters, digits and `_`. */
export const ROLE_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** The keys of `roles:` every policy has; any other key defines a role. */
export const BUILT_IN_ROLE_KEYS = ['admins', 'security_leads', 'devops_leads', 'responders', 'team_leads', 'cto'] as const;
const BUILT_IN_APPROVERS = { security_lead: 'security_leads', devops_lead: 'devops_leads' } as const;
const BUILT_IN_LEVELS = ['owner', 'backup_owner', 'team_lead', 'security', 'cto'] as const;
/** Names a defined role may not take: they already mean something on a path or in an approvals rule. */
const RESERVED_NAMES: readonly string[] = [...Object.keys(BUILT_IN_APPROVERS), ...BUILT_IN_LEVELS];

/** What the policy schema hands over once each key is parsed: only the parts the role checks read. */
interface ParsedRoles {
  roles: Record<string, unknown> & { security_leads: string[]; devops_leads: string[] };
  approvals: Record<string, unknown> & { by_tag: Record<string, string[]>; by_type: Partial<Record<string, string[]>> };
  reminders: { escalation: string[] };
  incident: { paging?: string[] | undefined };
}

/** `text` followed by "(did you mean …?)" when `typed` is a near miss of one of `known`. */
export function withSuggestion(text: string, known: readonly string[], typed: string): string {
  if (known.length === 0) return text;
  const best = closest(typed, [...known]);
  return distance(typed, best) <= Math.max(2, Math.floor(typed.length / 3)) ? `${text} (did you mean ${best}?)` : text;
}

/**
 * The roles the policy defines and every place that names a role: a defined role with nobody in
 * it, a role named but not defined (with the nearest name), and an approvals rule no configured
 * people can satisfy under the two-person rule (one person fills one role) are refused here, at
 * start-up, each on its key's line.
 */
export function checkRoles(policy: ParsedRoles, ctx: z.RefinementCtx): void {
  const defined = definedRoles(policy.roles);
  for (const [name, members] of Object.entries(defined)) {
    const builtInMiss = withSuggestion('', BUILT_IN_ROLE_KEYS, name);
    if (RESERVED_NAMES.includes(name))
      issue(ctx, ['roles', name], `\`${name}\` already names a built-in role or level; give the role another name`, true);
    else if (builtInMiss !== '')
      // Said as an unknown key was before roles could be defined: a near miss is almost always a typo.
      issue(ctx, ['roles'], `unknown key ${name}${builtInMiss}`);
    else if (members.length === 0)
      issue(ctx, ['roles', name], `has nobody in it: list its Slack users or user groups (e.g. [U0123ABCD]) or remove the role`);
  }
  const approverNames = [...Object.keys(BUILT_IN_APPROVERS), ...Object.keys(defined)];
  const levelNames = [...BUILT_IN_LEVELS, ...Object.keys(defined)];
  const rules = approvalRules(policy.approvals);
  for (const rule of rules) checkNames(ctx, rule.path, rule.roles, approverNames);
  checkNames(ctx, ['reminders', 'escalation'], policy.reminders.escalation, levelNames);
  if (policy.incident.paging) checkNames(ctx, ['incident', 'paging'], policy.incident.paging, levelNames);

  const holders = (role: string): readonly string[] | null => {
    if (role in BUILT_IN_APPROVERS) return policy.roles[BUILT_IN_APPROVERS[role as keyof typeof BUILT_IN_APPROVERS]];
    return defined[role] ?? null;
  };
  const environments = rules.filter((rule) => rule.kind === 'environment');
  const classes = rules.filter((rule) => rule.kind === 'class');
  // A class rule applies in every environment: alone where the environment asks nothing, beside each environment's rule.
  const combinations = [
    ...environments.map((rule) => ({ at: rule, roles: rule.roles })),
    ...classes.flatMap((rule) => [
      { at: rule, roles: rule.roles },
      ...environments.map((environment) => ({ at: rule, roles: [...new Set([...environment.roles, ...rule.roles])] })),
    ]),
  ];
  const reported = new Set<string>();
  for (const { at, roles } of combinations) {
    const key = at.path.join('.');
    if (reported.has(key)) continue;
    const problem = unsatisfiable(roles, holders);
    if (problem) {
      reported.add(key);
      issue(ctx, at.path, problem);
    }
  }
}

function definedRoles(roles: Record<string, unknown>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(roles).filter(([key]) => !(BUILT_IN_ROLE_KEYS as readonly string[]).includes(key)) as [string, string[]][],
  );
}

interface ApprovalRule {
  kind: 'environment' | 'class';
  path: (string | number)[];
  roles: readonly string[];
}

function approvalRules(approvals: ParsedRoles['approvals']): ApprovalRule[] {
  const rules: ApprovalRule[] = [];
  for (const [key, roles] of Object.entries(approvals)) {
    if (key === 'by_tag' || key === 'by_type' || !Array.isArray(roles)) continue;
    rules.push({ kind: 'environment', path: ['approvals', key], roles: roles as string[] });
  }
  for (const [tag, roles] of Object.entries(approvals.by_tag)) rules.push({ kind: 'class', path: ['approvals', 'by_tag', tag], roles });
  for (const [type, roles] of Object.entries(approvals.by_type))
    if (roles) rules.push({ kind: 'class', path: ['approvals', 'by_type', type], roles });
  return rules;
}

function checkNames(ctx: z.RefinementCtx, path: (string | number)[], names: readonly string[], known: readonly string[]): void {
  names.forEach((name, index) => {
    if (known.includes(name)) return;
    issue(
      ctx,
      [...path, index],
      withSuggestion(`\`${name}\` is not a role: roles: defines none by that name, and it is not one of ${known.join(', ')}`, known, name),
    );
  });
}

/**
 * Why nobody configured can give every approval `roles` asks for, or null. One person fills one
 * role, so the roles need as many different people: a matching of roles to their holders. A role
 * holding a user group is left out (Slack says who is in it only once Rotor runs), and so is a
 * built-in role nobody holds yet, as before roles could be defined (the rotation's preflight says so).
 */
function unsatisfiable(roles: readonly string[], holders: (role: string) => readonly string[] | null): string | null {
  const people = new Map<string, readonly string[]>();
  for (const role of roles) {
    const members = holders(role);
    if (members === null || members.length === 0 || members.some((member) => SLACK_USER_GROUP_ID.test(member))) continue;
    people.set(role, members);
  }
  const filledBy = new Map<string, string>();
  const assign = (role: string, tried: Set<string>): boolean => {
    for (const person of people.get(role) ?? []) {
      if (tried.has(person)) continue;
      tried.add(person);
      const other = filledBy.get(person);
      if (other === undefined || assign(other, tried)) {
        filledBy.set(person, role);
        return true;
      }
    }
    return false;
  };
  const unfilled = [...people.keys()].filter((role) => !assign(role, new Set()));
  if (unfilled.length === 0) return null;
  const named = [...people.entries()].map(([role, members]) => `${role}: ${members.join(', ')}`).join('; ');
  return `no configured people can satisfy this rule: its roles need ${people.size} different people (one person fills one role, the two-person rule), and roles: gives only ${people.size - unfilled.length} (${named}); add someone to ${unfilled.join(', ')}`;
}

function issue(ctx: z.RefinementCtx, path: (string | number)[], message: string, atKey = false): void {
  ctx.addIssue({ code: 'custom', path, message, ...(atKey ? { params: { at: 'key' } } : {}) });
}
