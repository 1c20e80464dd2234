import type { Policy, SignOffFallback } from '../config/policy.js';
import type { NextStep } from '../core/next-step.js';
import { SLACK_USER_GROUP_ID, type Secret } from '../inventory/secret.js';
import { listedInRole, namesPerson } from './role-members.js';

/**
 * The one place that decides who may do what to which secret. Every Slack listener (and any
 * other surface) asks `decide`; none decides on its own. Rules, from the playbooks:
 * - admins, security leads and DevOps leads run the inventory (add, edit, reassign, rotate);
 * - a secret's owner, backup owner and its team's lead look after that secret;
 * - the owner may hand the secret over; the backup owner may not take it over;
 * - approvals (two-person rule) come from security and DevOps leads and the roles the policy
 *   defines (an approvals rule says which a rotation needs), never from the person
 *   who is running the rotation;
 * - revocation is for incident responders and security leads, and only in an incident channel;
 *   everyone who looks after the secret (and the inventory's runners) may work the incident:
 *   its emergency rotation, acknowledgements, status updates; its lead and security close it,
 *   and security alone signs off the break-glass rotation afterwards;
 * - the people a secret's reminders go to (and admins) may snooze them or say the secret is not theirs;
 * - a break-glass credential's use is recorded by whoever may read it (its access list), looks
 *   after it, runs the inventory or responds to incidents;
 * - where a secret is stored (its provider and reference) decides which store secret Rotor
 *   writes to, so admins change it; under the policy's `reference_changes:
 *   owner_with_security_approval` those who may edit the secret ask, and a security lead approves;
 * - reading a secret (its name, reference, consumers, retrieval instructions; issue 24): under the
 *   policy's `visibility: restricted` those who look after it, those its `access` list names
 *   (directly or through a user group) and its team's members; admins, security and DevOps leads
 *   read everything. Under `visibility: workspace` every member reads everything.
 */
export const ACTIONS = [
  'read',
  'add',
  'edit',
  'change_owner',
  'change_reference',
  'change_target',
  'approve_reference_change',
  'rotate',
  'approve',
  'snooze',
  'not_mine',
  'revoke',
  'respond',
  'close_incident',
  'sign_off',
  'record_use',
] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Who can hold a permission: a policy role or a relation to the secret. `signoff_fallback` (the
 * role `incident.signoff_fallback` names) holds `sign_off` only when the request says no
 * security lead may (AccessRequest.signOffFallback).
 */
export type Holder =
  | 'admin'
  | 'security_lead'
  | 'devops_lead'
  | 'responder'
  | 'owner'
  | 'backup_owner'
  | 'team_lead'
  | 'reader'
  | 'team_member'
  | 'signoff_fallback'
  | 'defined_role';

export const RULES: Readonly<Record<Action, readonly Holder[]>> = {
  read: ['admin', 'security_lead', 'devops_lead', 'owner', 'backup_owner', 'team_lead', 'reader', 'team_member'],
  add: ['admin', 'security_lead', 'devops_lead'],
  edit: ['admin', 'security_lead', 'devops_lead', 'owner', 'backup_owner', 'team_lead'],
  change_owner: ['admin', 'security_lead', 'devops_lead', 'owner', 'team_lead'],
  change_reference: ['admin'],
  // The target names the host Rotor logs in at and the managing secret it reads for that: pointed
  // elsewhere, it would hand another secret's login to any server, so only admins set it.
  change_target: ['admin'],
  approve_reference_change: ['security_lead'],
  rotate: ['admin', 'security_lead', 'devops_lead', 'owner', 'backup_owner', 'team_lead'],
  approve: ['security_lead', 'devops_lead', 'defined_role'],
  snooze: ['admin', 'security_lead', 'owner', 'backup_owner', 'team_lead'],
  not_mine: ['admin', 'security_lead', 'owner', 'backup_owner', 'team_lead'],
  revoke: ['security_lead', 'responder'],
  respond: ['admin', 'security_lead', 'devops_lead', 'responder', 'owner', 'backup_owner', 'team_lead'],
  close_incident: ['security_lead', 'responder'],
  sign_off: ['security_lead'],
  record_use: ['admin', 'security_lead', 'devops_lead', 'responder', 'owner', 'backup_owner', 'team_lead', 'reader'],
};

const ACTION_PHRASES: Record<Action, string> = {
  read: 'see',
  add: 'add secrets',
  edit: 'edit',
  change_owner: 'change the owner of',
  change_reference: 'change the provider or reference of',
  change_target: 'change where Rotor sets the credential (the target) of',
  approve_reference_change: 'approve a new provider or reference for',
  rotate: 'rotate',
  approve: 'approve the rotation of',
  snooze: 'snooze reminders for',
  not_mine: 'report the owner of',
  revoke: 'revoke',
  respond: 'work the incident of',
  close_incident: 'close the incident of',
  sign_off: 'sign off the emergency rotation of',
  record_use: 'record a use of',
};

const HOLDER_LABELS: Record<Holder, string> = {
  admin: 'admins',
  security_lead: 'security leads',
  devops_lead: 'DevOps leads',
  responder: 'incident responders',
  owner: 'its owner',
  backup_owner: 'its backup owner',
  team_lead: 'its team lead',
  reader: 'the people its access list names',
  team_member: "its team's members",
  signoff_fallback: 'the sign-off fallback',
  defined_role: 'the members of the roles the policy defines (e.g. privacy counsel)',
};

const FALLBACK_LABELS: Readonly<Record<SignOffFallback, string>> = {
  cto: 'the CTO',
  admins: 'the admins',
  devops_leads: 'the DevOps leads',
  none: 'nobody',
};

/** The people `incident.signoff_fallback` names, and how to call them ("the CTO"). */
export function signOffFallbackOf(policy: Policy): { label: string; userIds: readonly string[] } {
  const fallback = policy.incident.signoffFallback;
  const userIds =
    fallback === 'cto'
      ? policy.roles.cto
        ? [policy.roles.cto]
        : []
      : fallback === 'admins' || fallback === 'devops_leads'
        ? listedInRole(policy, fallback)
        : [];
  return { label: FALLBACK_LABELS[fallback], userIds };
}

/** The secret fields the rules look at; `access` (who may read it) only where a rule asks. */
export type SecretAccessFacts = Pick<Secret, 'name' | 'owner' | 'backupOwner' | 'team'> & { access?: readonly string[] };

export interface AccessRequest {
  actor: string;
  /** The Slack user groups (`S…`) the actor is in, as far as Rotor knows: a group named where a person may be counts as them. */
  actorGroups?: readonly string[];
  action: Action;
  /** Absent only for `add`. */
  secret?: SecretAccessFacts;
  /** Channel the request came from; `revoke` needs an incident channel. */
  channelId?: string;
  /** For `approve`: who is running the rotation (may not approve it). */
  rotationStartedBy?: string;
  /** For `sign_off`: no security lead is left who may sign off, so the policy's fallback role may. */
  signOffFallback?: boolean;
}

export interface HolderGroup {
  label: string;
  userIds: readonly string[];
}

export type AccessDecision =
  /** `operator`: the CLI or Rotor itself, which the table does not restrict (see Authorizer). */
  | { allowed: true; as: Holder | 'operator' | 'workspace' }
  /** `next`: what the person can do instead, said by each surface after the reason (core/next-step.ts). */
  | { allowed: false; reason: string; whoMay: readonly HolderGroup[]; next?: NextStep };

function holdersOf(policy: Policy, secret: SecretAccessFacts | undefined, holder: Holder): readonly string[] {
  switch (holder) {
    // Role lists hold user ids and user group ids (role-members.ts); the request's actorGroups say which groups count for the actor.
    case 'admin':
      return listedInRole(policy, 'admins');
    case 'security_lead':
      return listedInRole(policy, 'security_leads');
    case 'devops_lead':
      return listedInRole(policy, 'devops_leads');
    case 'responder':
      return listedInRole(policy, 'responders');
    case 'owner':
      return secret?.owner ? [secret.owner] : [];
    case 'backup_owner':
      return secret?.backupOwner ? [secret.backupOwner] : [];
    case 'team_lead': {
      const lead = secret?.team ? policy.roles.teamLeads[secret.team] : undefined;
      return lead ? [lead] : [];
    }
    case 'reader':
      return secret?.access ?? [];
    case 'team_member':
      return secret?.team ? (policy.teams[secret.team] ?? []) : [];
    case 'signoff_fallback':
      return signOffFallbackOf(policy).userIds;
    case 'defined_role':
      // Which role a person approves as is the rotation's rule (rotation-rules.ts); here, that they hold one at all.
      return [...new Set(Object.keys(policy.roles.defined).flatMap((role) => listedInRole(policy, role)))];
  }
}

export function decide(policy: Policy, request: AccessRequest): AccessDecision {
  const holders = RULES[request.action];
  const whoMay = holders.map((holder) => ({ label: HOLDER_LABELS[holder], userIds: holdersOf(policy, request.secret, holder) }));
  const target = request.secret ? ` \`${request.secret.name}\`` : '';
  const phrase = `${ACTION_PHRASES[request.action]}${target}`;

  if (request.action === 'revoke' && !(request.channelId && policy.channels.incident.includes(request.channelId))) {
    const channels = policy.channels.incident.map((id) => `<#${id}>`).join(', ');
    return {
      allowed: false,
      ...(channels
        ? {
            reason: `Revocation is only allowed in an incident channel (${channels}).`,
            next: { kind: 'run_command', command: 'revoke', args: [], lead: 'run', purpose: 'there' },
          }
        : {
            reason:
              'Revocation is only allowed in an incident channel, and none is configured: ask an admin to set `channels.incident` in the policy file.',
          }),
      whoMay,
    };
  }
  if (request.action === 'approve' && request.rotationStartedBy === request.actor) {
    return { allowed: false, reason: `You are running this rotation, so you cannot also approve it (two-person rule).`, whoMay };
  }
  if (request.action === 'sign_off' && request.signOffFallback) {
    const fallback = signOffFallbackOf(policy);
    whoMay.push({ label: `${fallback.label} (incident.signoff_fallback)`, userIds: fallback.userIds });
    if (namesActor(fallback.userIds, request.actor, request.actorGroups ?? [])) return { allowed: true, as: 'signoff_fallback' };
  }
  if (request.action === 'read' && policy.visibility === 'workspace') return { allowed: true, as: 'workspace' };
  const groups = request.actorGroups ?? [];
  const match = holders.find((holder) => namesActor(holdersOf(policy, request.secret, holder), request.actor, groups));
  if (match) return { allowed: true, as: match };
  return { allowed: false, reason: `You may not ${phrase}.`, whoMay };
}

/** Whether `ids` names the actor, directly or by one of the user groups they are in (role-members.ts's rule, with the groups already known). */
function namesActor(ids: readonly string[], actor: string, actorGroups: readonly string[]): boolean {
  return namesPerson(ids, actor, { groupsOf: () => actorGroups });
}

/** "Who may instead" as one mrkdwn line; user ids become mentions (ids are never user text). */
export function describeWhoMay(groups: readonly HolderGroup[]): string {
  const parts = groups.map((group) =>
    group.userIds.length > 0 ? `${group.label} (${group.userIds.map(mentionOf).join(', ')})` : `${group.label} (none set)`,
  );
  return `Who may: ${parts.join('; ')}.`;
}

/** A member id as a mention, a user group id (`S…`, in access lists and teams) as a group mention. */
function mentionOf(id: string): string {
  return SLACK_USER_GROUP_ID.test(id) ? `<!subteam^${id}>` : `<@${id}>`;
}
