import type { Policy } from '../config/policy.js';
import type { Actor } from './actor.js';
import { listedInRole } from './role-members.js';
import { decide, type HolderGroup, type SecretAccessFacts } from './permissions.js';

/**
 * Which secrets a person may read, in the two forms the inventory needs: `mayRead` for one secret
 * (the permission table's `read` rule, so it cannot drift from the other rules), and `ReadScope`
 * for a whole list, which the inventory turns into SQL so pages and counts stay right. Both say
 * the same: the secrets the viewer owns or backs up, those whose `access` list names them or a
 * user group they are in, and those of a team they lead or belong to (the policy's `teams`).
 */

/** Every secret, or those `ReadScope.some` describes. */
export type ReadScope =
  | { kind: 'all' }
  | {
      kind: 'some';
      userId: string;
      /** The viewer and the user groups they are in: any of them in a secret's `access` list lets them read it. */
      principals: readonly string[];
      /** Teams the viewer leads or is a member of. */
      teams: readonly string[];
    };

/**
 * Whether `viewer` may read `secret`. The CLI and Rotor's own jobs are operators and read
 * everything; no viewer at all (a request nobody signed) reads only under `visibility: workspace`.
 * `groups`: the user groups the viewer is in (see UserGroupRepo), so a group in an access list or
 * a team counts for its members.
 */
export function mayRead(policy: Policy, viewer: Actor | null, secret: SecretAccessFacts, groups: readonly string[] = []): boolean {
  if (viewer === null) return policy.visibility === 'workspace';
  if (viewer.kind !== 'slack') return true;
  return decide(policy, { actor: viewer.userId, actorGroups: groups, action: 'read', secret }).allowed;
}

/** Whether this member reads the whole inventory: the policy says everyone does, or they hold a role that runs it (directly or by one of `groups`). */
export function readsEverything(policy: Policy, userId: string, groups: readonly string[] = []): boolean {
  const nobodysSecret = { name: '', owner: null, backupOwner: null, team: null };
  return decide(policy, { actor: userId, actorGroups: groups, action: 'read', secret: nobodysSecret }).allowed;
}

/** The secrets `viewer` may read, as a filter for lists and counts. */
export function readScopeOf(policy: Policy, viewer: Actor | null, groups: readonly string[] = []): ReadScope {
  if (viewer === null) return policy.visibility === 'workspace' ? { kind: 'all' } : { kind: 'some', userId: '', principals: [], teams: [] };
  if (viewer.kind !== 'slack' || readsEverything(policy, viewer.userId, groups)) return { kind: 'all' };
  const principals = [viewer.userId, ...groups];
  const teams = new Set<string>();
  for (const [team, lead] of Object.entries(policy.roles.teamLeads)) if (lead === viewer.userId) teams.add(team);
  for (const [team, members] of Object.entries(policy.teams)) if (members.some((member) => principals.includes(member))) teams.add(team);
  return { kind: 'some', userId: viewer.userId, principals, teams: [...teams].sort() };
}

/** Who can help someone who may not see a secret: the roles that read the whole inventory (never a secret's own people, which would confirm it exists). */
export function inventoryKeepers(policy: Policy): HolderGroup[] {
  return [
    { label: 'security leads', userIds: listedInRole(policy, 'security_leads') },
    { label: 'DevOps leads', userIds: listedInRole(policy, 'devops_leads') },
    { label: 'admins', userIds: listedInRole(policy, 'admins') },
  ];
}
