import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isNode, isScalar } from 'yaml';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { RotorError, ValidationError, type ValidationIssue } from '../core/errors.js';
import { findNameProblem } from '../inventory/secret-name.js';
import { SECRET_TYPES, SLACK_USER_GROUP_ID, SLACK_USER_ID, VALUE_FIELD, type SecretType } from '../inventory/secret.js';
import { checklistEntrySchema, planChecklist, type ChecklistEntry } from '../rotation/checklists/checklist-entry.js';
import { BUILTIN_STEP_FAMILIES, rotationSteps } from '../rotation/checklists/rotation-templates.js';
import { checkEntrySchema, type CheckSpec } from '../checks/check-spec.js';
import { DEFAULT_PENDING_WINDOW_DAYS } from '../providers/aws-kms/kms-windows.js';
import { DEFAULT_PROVENANCE_TAG_KEYS } from '../providers/provenance-tags.js';
import { BUILT_IN_STORES } from '../providers/store-catalog.js';
import { checkRoles, ROLE_NAME, withSuggestion as suggest } from './policy-roles.js';

/** Placeholders only some stores' secrets have: a policy's own step detail, which covers secrets of every store, may not use them. */
const STORE_PLACEHOLDERS = BUILT_IN_STORES.kinds.flatMap((store) => store.references.placeholders);

const slackUserId = z.string().regex(SLACK_USER_ID, 'must be a Slack user id such as U0123ABCD');
const slackUserOrGroupId = z
  .string()
  .refine(
    (id) => SLACK_USER_ID.test(id) || SLACK_USER_GROUP_ID.test(id),
    'must be a Slack user id such as U0123ABCD or a user group id such as S0123ABCD',
  );
const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD');
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ARCHIVE_PREFIX = /^\/?[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*\/?$|^$/;
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const awsRegion = z.string().regex(AWS_REGION, 'must be an AWS region such as eu-west-1');
// A tag key every store takes as it is: AWS tags, Vault custom_metadata keys.
const TAG_KEY = /^[A-Za-z][A-Za-z0-9_.:/=+@-]{0,62}$/;
// AWS refuses tag keys that start with `aws:` (its own), so such a key could never be written.
/** KMS itself refuses other windows; Rotor refuses them at start-up, before any key is touched. */
const KMS_WINDOW =
  'must be a whole number of days from 7 to 30: KMS deletes an old key that many days after Rotor schedules its deletion, and accepts no other window';

const provenanceTagKey = z
  .string()
  .regex(TAG_KEY, 'must be a tag key of letters, digits and `_ . : / = + - @` (at most 63)')
  .refine(
    (key) => !key.toLowerCase().startsWith('aws:'),
    'must not start with `aws:`: AWS keeps that prefix for its own tags and refuses it',
  );
const segment = z.string().regex(/^[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$/, 'must be lower-case letters, digits, `_`, `-` or `.`');

/** The approver roles every policy has (`roles.security_leads`, `roles.devops_leads`); `roles:` may define more (src/config/policy-roles.ts). */
export const APPROVER_ROLES = ['security_lead', 'devops_lead'] as const;
/** Days of the week a production window may run on, as the policy names them (Monday first, as luxon counts). */
export const WEEK_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WeekDay = (typeof WEEK_DAYS)[number];
const WINDOW_HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
/**
 * Who changes where a secret is stored: admins only, or also those who may edit it, once a
 * security lead approves the change.
 */
export const REFERENCE_CHANGE_RULES = ['admins', 'owner_with_security_approval'] as const;
export type ReferenceChangeRule = (typeof REFERENCE_CHANGE_RULES)[number];
/** The escalation levels every policy has; any role `roles:` defines may stand on the path too. */
export const ESCALATION_LEVELS = ['owner', 'backup_owner', 'team_lead', 'security', 'cto'] as const;
/** Paged at once by `/revoke` unless `incident.paging` says otherwise. */
export const FIRST_PAGED_LEVELS = ['owner', 'backup_owner', 'security'] as const;
/**
 * Who signs off a break-glass rotation when no security lead is left who neither broke the glass
 * nor worked it (a team with one security lead, who revoked): `roles.cto` (the default), the
 * admins, the DevOps leads, or nobody.
 */
/**
 * Who may read the inventory in Slack: `restricted` (the default), a member sees the secrets they
 * own, back up, may read (the secret's `access` list) or that belong to their team, and security
 * leads, DevOps leads and admins see all; `workspace`, every member sees every secret (Rotor's
 * behaviour before issue 24).
 */
export const VISIBILITIES = ['restricted', 'workspace'] as const;
export type Visibility = (typeof VISIBILITIES)[number];
export const SIGNOFF_FALLBACKS = ['cto', 'admins', 'devops_leads', 'none'] as const;
export type SignOffFallback = (typeof SIGNOFF_FALLBACKS)[number];
/** A built-in level (ESCALATION_LEVELS) or the name of a role the policy defines. */
export type EscalationLevel = string;

const roleName = z.string().regex(ROLE_NAME, 'must be a role name: lower-case letters, digits and `_`, such as privacy_counsel');
/** A role an approvals rule names: a built-in approver role or one `roles:` defines (checked by checkRoles). */
const approverRole = z.union([z.enum(APPROVER_ROLES), roleName]);
/** A level on a path: a built-in level or a role `roles:` defines (checked by checkRoles). */
const pathRole = z.union([z.enum(ESCALATION_LEVELS), roleName]);
const roleList = z.array(approverRole).refine((roles) => new Set(roles).size === roles.length, 'roles must not repeat');
const contactSchema = z
  .object({
    phone: z
      .string()
      .regex(/^\+?[0-9][0-9 ().-]{4,30}$/, 'must be a phone number such as +44 20 7946 0000')
      .optional(),
    note: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((contact) => contact.phone !== undefined || contact.note !== undefined, 'give a phone, a note, or both');

/**
 * Default rotation intervals by type, from the playbooks: 90 days for database, API keys,
 * JWT and Redis (secrets-index-ownership.md), 180 for webhook HMAC, 120 for observability
 * keys, 30 for SMTP (secrets-registry-policy.md).
 */
export const DEFAULT_INTERVALS: Record<SecretType, number> = {
  database: 90,
  api_key: 90,
  jwt: 90,
  redis: 90,
  webhook: 180,
  smtp: 30,
  // The yearly cadence of KMS's own automatic rotation.
  kms_key: 365,
  storage: 90,
  observability: 120,
  generic: 90,
};

/** Days an owner has to answer the quarterly access review before their unanswered secrets go to security. */
export const DEFAULT_ACCESS_REVIEW_DAYS = 14;

const intervalsSchema = z
  .object(Object.fromEntries(SECRET_TYPES.map((type) => [type, z.number().int().min(1).max(3650).optional()])))
  .strict();

/** The policy file's keys; docs/policy.md documents each (test/docs/documentation.test.ts walks this schema). */
export const policySchema = z
  .object({
    environments: z.array(segment).min(1).default(['prod', 'staging', 'dev']),
    channels: z
      .object({
        announce: slackChannelId.optional(),
        incident: z.array(slackChannelId).default([]),
        consumers: z.record(z.string().min(1).max(80), slackChannelId).default({}),
        security: slackChannelId.optional(),
      })
      .strict()
      .default({ incident: [], consumers: {} }),
    roles: z
      .object({
        admins: z.array(slackUserOrGroupId).default([]),
        security_leads: z.array(slackUserOrGroupId).default([]),
        devops_leads: z.array(slackUserOrGroupId).default([]),
        responders: z.array(slackUserOrGroupId).default([]),
        team_leads: z.record(z.string().min(1), slackUserId).default({}),
        cto: slackUserId.optional(),
      })
      .catchall(z.union([slackUserOrGroupId.transform((id) => [id]), z.array(slackUserOrGroupId)]))
      // The cast: a default must match the catch-all's index signature, which team_leads (a map) does not.
      .default({ admins: [], security_leads: [], devops_leads: [], responders: [], team_leads: {} } as never),
    contacts: z.record(slackUserId, contactSchema).default({}),
    teams: z.record(z.string().min(1), z.array(slackUserOrGroupId)).default({}),
    visibility: z.enum(VISIBILITIES).default('restricted'),
    intervals: intervalsSchema.default({}),
    approvals: z
      .object({
        by_tag: z.record(z.string().regex(TAG_KEY, 'must be a tag key such as dsar_signing'), roleList).default({}),
        by_type: z.partialRecord(z.enum(SECRET_TYPES), roleList).default({}),
      })
      .catchall(roleList)
      .superRefine((approvals, ctx) => {
        for (const key of Object.keys(approvals)) {
          if (key === 'by_tag' || key === 'by_type' || segment.safeParse(key).success) continue;
          ctx.addIssue({
            code: 'custom',
            path: [key],
            params: { at: 'key' },
            message: 'must be an environment (lower-case letters, digits, `_`, `-` or `.`), by_tag or by_type',
          });
        }
      })
      .default({ prod: ['security_lead', 'devops_lead'], by_tag: {}, by_type: {} } as never),
    reminders: z
      .object({
        offsets_days: z
          .array(z.number().int().min(1).max(365))
          .min(1)
          .default([30, 7])
          .refine((offsets) => new Set(offsets).size === offsets.length, 'offsets must not repeat (overlapping reminders)'),
        local_hour: z.number().int().min(0).max(23).default(9),
        escalate_every_days: z.number().int().min(1).max(90).default(3),
        escalation: z
          .array(pathRole)
          .min(1)
          .default([...ESCALATION_LEVELS])
          .refine((levels) => new Set(levels).size === levels.length, 'escalation levels must not repeat'),
      })
      .strict()
      .default({ offsets_days: [30, 7], local_hour: 9, escalate_every_days: 3, escalation: [...ESCALATION_LEVELS] }),
    retention_hours: z
      .number()
      .int()
      .min(0)
      .max(24 * 365)
      .default(48),
    incident: z
      .object({
        ack_minutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(15),
        postmortem_hours: z
          .number()
          .int()
          .min(1)
          .max(24 * 30)
          .default(48),
        status_update_minutes: z
          .object({
            SEV1: z
              .number()
              .int()
              .min(5)
              .max(7 * 24 * 60)
              .default(30),
            SEV2: z
              .number()
              .int()
              .min(5)
              .max(7 * 24 * 60)
              .default(60),
            SEV3: z
              .number()
              .int()
              .min(5)
              .max(7 * 24 * 60)
              .default(240),
            SEV4: z
              .number()
              .int()
              .min(5)
              .max(7 * 24 * 60)
              .default(1440),
          })
          .strict()
          .default({ SEV1: 30, SEV2: 60, SEV3: 240, SEV4: 1440 }),
        signoff_fallback: z.enum(SIGNOFF_FALLBACKS).default('cto'),
        paging: z
          .array(pathRole)
          .min(1)
          .refine((levels) => new Set(levels).size === levels.length, 'paged roles must not repeat')
          .optional(),
      })
      .strict()
      .default({
        ack_minutes: 15,
        postmortem_hours: 48,
        status_update_minutes: { SEV1: 30, SEV2: 60, SEV3: 240, SEV4: 1440 },
        signoff_fallback: 'cto',
      }),
    checklists: z.record(z.string(), z.array(checklistEntrySchema)).superRefine(checkChecklists).default({}),
    checks: z
      .object({
        by_secret: z.record(z.string().min(1), z.array(checkEntrySchema).max(20)).default({}),
        by_type: z.partialRecord(z.enum(SECRET_TYPES), z.array(checkEntrySchema).max(20)).default({}),
      })
      .strict()
      .default({ by_secret: {}, by_type: {} }),
    value_fields: z
      .record(
        z.string(),
        z.string().regex(VALUE_FIELD, 'must be a field name such as password (letters, digits, `_ . @ + -`, at most 100)'),
      )
      .default({}),
    rotation_triggers: z
      .object({
        personnel_change_days: z.number().int().min(1).max(365).default(7),
        break_glass_hours: z
          .number()
          .int()
          .min(1)
          .max(24 * 30)
          .default(24),
      })
      .strict()
      .default({ personnel_change_days: 7, break_glass_hours: 24 }),
    windows: z
      .object({
        lead_time_hours: z
          .number()
          .int()
          .min(1)
          .max(24 * 14)
          .default(24),
        production: z
          .object({
            environments: z.array(segment).min(1).default(['prod']),
            days: z
              .array(z.enum(WEEK_DAYS))
              .min(1)
              .default([...WEEK_DAYS]),
            hours: z
              .string()
              .regex(WINDOW_HOURS, 'must be a span of the day such as 09:00-17:00 (24-hour clock)')
              .refine((hours) => minutesOf(hours.slice(0, 5)) < minutesOf(hours.slice(6)), 'must end after it starts, such as 09:00-17:00')
              .default('00:00-24:00'),
            time_zone: z
              .string()
              .refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Europe/Berlin or UTC')
              .default('UTC'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ lead_time_hours: 24 }),
    plans: z
      .object({
        order: z.array(segment).min(2).optional(),
        automatic: z.array(segment).default([]),
      })
      .strict()
      .default({ automatic: [] }),
    automatic: z
      .object({
        types: z.array(z.enum(SECRET_TYPES)).default([]),
        lead_days: z.number().int().min(0).max(90).default(0),
        retry_minutes: z
          .array(
            z
              .number()
              .int()
              .min(1)
              .max(24 * 60),
          )
          .min(1)
          .default([5, 30, 120]),
        attempts: z.number().int().min(1).max(20).default(3),
        values: z.number().int().min(1).max(10).default(2),
      })
      .strict()
      .default({ types: [], lead_days: 0, retry_minutes: [5, 30, 120], attempts: 3, values: 2 }),
    targets: z
      .object({
        single_user: z
          .object({ types: z.array(z.enum(SECRET_TYPES)).default([...SECRET_TYPES]) })
          .strict()
          .default({ types: [...SECRET_TYPES] }),
      })
      .strict()
      .default({ single_user: { types: [...SECRET_TYPES] } }),
    reference_changes: z.enum(REFERENCE_CHANGE_RULES).default('admins'),
    reference_scope: z
      .object({
        aws_accounts: z.array(z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id')).default([]),
        aws_regions: z.array(z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')).default([]),
        vault_mounts: z
          .array(z.string().regex(/^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/, 'must be a KV v2 mount path such as secret or team/kv'))
          .default([]),
      })
      .strict()
      .default({ aws_accounts: [], aws_regions: [], vault_mounts: [] }),
    evidence_archive: z
      .object({
        bucket: z
          .string({ error: 'required: the S3 bucket records are archived to, created with Object Lock (e.g. acme-rotor-evidence)' })
          .regex(S3_BUCKET, 'must be an S3 bucket name such as acme-rotor-evidence (3 to 63 lower-case letters, digits, `.` and `-`)'),
        prefix: z
          .string()
          .regex(
            ARCHIVE_PREFIX,
            'must be a folder inside the bucket such as rotor or audit/rotor (letters, digits, `_ . -`, separated by `/`)',
          )
          .refine(
            (prefix) => !prefix.split('/').some((part) => part === '.' || part === '..'),
            'must not have a `.` or `..` folder: give the folder as it is, such as audit/rotor',
          )
          .default('rotor'),
        region: awsRegion.optional(),
        retention_days: z.number().int().min(1).max(36_500).optional(),
        retention_years: z.number().int().min(1).max(100).optional(),
        force_path_style: z.boolean().default(false),
      })
      .strict()
      .refine((archive) => (archive.retention_days === undefined) !== (archive.retention_years === undefined), {
        message:
          'give the retention as exactly one of retention_days or retention_years (e.g. retention_years: 7): Object Lock in COMPLIANCE mode keeps each record unchanged that long',
      })
      .optional(),
    kms: z
      .object({
        pending_window_days: z.number().int(KMS_WINDOW).min(7, KMS_WINDOW).max(30, KMS_WINDOW).default(DEFAULT_PENDING_WINDOW_DAYS),
      })
      .strict()
      .default({ pending_window_days: DEFAULT_PENDING_WINDOW_DAYS }),
    reviews: z
      .object({ access_review_days: z.number().int().min(1).max(90).default(DEFAULT_ACCESS_REVIEW_DAYS) })
      .strict()
      .default({ access_review_days: DEFAULT_ACCESS_REVIEW_DAYS }),
    provenance: z
      .object({
        enabled: z.boolean().default(true),
        version_tag: provenanceTagKey.default(DEFAULT_PROVENANCE_TAG_KEYS.version),
        rotated_by_tag: provenanceTagKey.default(DEFAULT_PROVENANCE_TAG_KEYS.rotatedBy),
      })
      .strict()
      .refine((provenance) => provenance.version_tag !== provenance.rotated_by_tag, {
        message: 'version_tag and rotated_by_tag must be different keys',
      })
      .default({ enabled: true, version_tag: DEFAULT_PROVENANCE_TAG_KEYS.version, rotated_by_tag: DEFAULT_PROVENANCE_TAG_KEYS.rotatedBy }),
    google_secret_manager: z
      .object({
        version_alias: z
          .string()
          .regex(
            /^[A-Za-z][A-Za-z0-9_-]{0,62}$/,
            'must be a Secret Manager version alias such as current (a letter, then up to 62 letters, digits, _ or -)',
          )
          .refine(
            (alias) => !/^(latest|new)$/i.test(alias),
            'must not be latest or new, which Secret Manager reserves: leave it out to read latest',
          )
          .nullable()
          .default(null),
      })
      .strict()
      .default({ version_alias: null }),
    replication: z
      .object({
        required_regions: z
          .record(
            z.string(),
            z
              .array(awsRegion)
              .min(1, 'must name at least one region (leave the environment out to require none)')
              .refine((regions) => new Set(regions).size === regions.length, 'must not name a region twice'),
          )
          .default({}),
        consumer_regions: z.record(z.string().min(1).max(80), awsRegion).default({}),
      })
      .strict()
      .default({ required_regions: {}, consumer_regions: {} }),
  })
  .strict()
  .superRefine((policy, ctx) => {
    checkRoles(policy, ctx);
    for (const environment of Object.keys(policy.replication.required_regions)) {
      if (!policy.environments.includes(environment))
        ctx.addIssue({
          code: 'custom',
          path: ['replication', 'required_regions', environment],
          params: { at: 'key' },
          message: `is not one of the environments (${policy.environments.join(', ')})`,
        });
    }
    for (const [index, environment] of (policy.windows.production?.environments ?? []).entries()) {
      if (!policy.environments.includes(environment))
        ctx.addIssue({
          code: 'custom',
          path: ['windows', 'production', 'environments', index],
          message: `is not one of the environments (${policy.environments.join(', ')})`,
        });
    }
    for (const [list, environments] of [
      ['order', policy.plans.order ?? []],
      ['automatic', policy.plans.automatic],
    ] as const) {
      for (const [index, environment] of environments.entries()) {
        if (!policy.environments.includes(environment))
          ctx.addIssue({
            code: 'custom',
            path: ['plans', list, index],
            message: `is not one of the environments (${policy.environments.join(', ')})`,
          });
      }
    }
    if (policy.plans.order && new Set(policy.plans.order).size !== policy.plans.order.length)
      ctx.addIssue({ code: 'custom', path: ['plans', 'order'], message: 'must not name an environment twice' });
    for (const key of Object.keys(policy.checklists)) {
      if ((SECRET_TYPES as readonly string[]).includes(key)) continue;
      const problem = findNameProblem(key, policy.environments);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: ['checklists', key],
          params: { at: 'key' },
          message: `is neither a secret type (${SECRET_TYPES.join(', ')}) nor a secret name: ${problem}`,
        });
    }
    for (const key of Object.keys(policy.value_fields)) {
      if (key === 'default' || (SECRET_TYPES as readonly string[]).includes(key)) continue;
      const problem = findNameProblem(key, policy.environments);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: ['value_fields', key],
          params: { at: 'key' },
          message: `is neither \`default\`, a secret type (${SECRET_TYPES.join(', ')}) nor a secret name: ${problem}`,
        });
    }
  });

/**
 * Each override must work for every secret it covers: a type's key is checked against that
 * type's built-in steps, a name's key against every type's (its type is known only when the
 * secret rotates; an id means the same kind of step in every type).
 */
function checkChecklists(checklists: Record<string, ChecklistEntry[]>, ctx: z.RefinementCtx): void {
  for (const [key, entries] of Object.entries(checklists)) {
    const builtins = (SECRET_TYPES as readonly string[]).includes(key)
      ? new Map(rotationSteps(key as SecretType).map((step) => [step.id, step.family]))
      : BUILTIN_STEP_FAMILIES;
    for (const problem of planChecklist(entries, builtins, STORE_PLACEHOLDERS).problems) {
      ctx.addIssue({
        code: 'custom',
        path: [key, ...problem.path],
        message: problem.message,
        ...(problem.path.length === 0 ? { params: { at: 'key' } } : {}),
      });
    }
  }
}

export type PolicyFile = z.infer<typeof policySchema>;

export interface Policy {
  environments: readonly string[];
  channels: {
    announce: string | null;
    incident: readonly string[];
    /** A secret's consumers (service names) mapped to the channel its completion announcements go to. */
    consumers: Readonly<Record<string, string>>;
    /** Where security is told of people leaving and break-glass uses; null: the announcement channel. */
    security: string | null;
  };
  /** Each list holds Slack user ids and user group ids (`S…`): src/access/role-members.ts says who is in a role. */
  roles: {
    admins: readonly string[];
    securityLeads: readonly string[];
    devopsLeads: readonly string[];
    responders: readonly string[];
    teamLeads: Readonly<Record<string, string>>;
    cto: string | null;
    /** The roles the policy defines beyond the built-in ones (e.g. privacy_counsel), each with its Slack users and user groups. */
    defined: Readonly<Record<string, readonly string[]>>;
  };
  /** How to reach a person when Slack is not enough (a phone, an out-of-band note), shown in `/revoke` pages. */
  contacts: Readonly<Record<string, Contact>>;
  /** A team's members (Slack member and user group ids), beside its lead: they see the team's secrets. */
  teams: Readonly<Record<string, readonly string[]>>;
  /** Who may read the inventory in Slack (see VISIBILITIES). */
  visibility: Visibility;
  intervals: Readonly<Record<SecretType, number>>;
  /** Approver roles by environment: before a rotation there promotes, each must approve. */
  approvals: Readonly<Record<string, readonly string[]>>;
  /** Approver roles a secret's class adds to its environment's: by tag key, by secret type. */
  approvalClasses: { byTag: Readonly<Record<string, readonly string[]>>; byType: Readonly<Partial<Record<SecretType, readonly string[]>>> };
  reminders: {
    /** Sorted descending: the earliest warning first. */
    offsetsDays: readonly number[];
    localHour: number;
    escalateEveryDays: number;
    escalation: readonly EscalationLevel[];
  };
  retentionHours: number;
  incident: {
    /** Minutes before an unacknowledged page climbs one level of the escalation path. */
    ackMinutes: number;
    /** Hours after a revocation before the postmortem reminders start (then daily until closed). */
    postmortemHours: number;
    /** How often the incident's lead is asked for a status update, by severity, counted from the last one. */
    statusUpdateMinutes: Readonly<Record<'SEV1' | 'SEV2' | 'SEV3' | 'SEV4', number>>;
    /** Who signs off a break-glass rotation when no security lead may (see SIGNOFF_FALLBACKS). */
    signoffFallback: SignOffFallback;
    /** Who `/revoke` pages at once, in order; null: the owner, backup owner and security as they stand on the escalation path. */
    paging: readonly EscalationLevel[] | null;
  };
  /** Checklist overrides keyed by secret name or secret type (src/rotation/checklists/checklist-entry.ts). */
  checklists: Readonly<Record<string, readonly ChecklistEntry[]>>;
  /** Automated checks run when a rotation verifies (src/checks): a type's, then the secret's own. */
  checks: {
    bySecret: Readonly<Record<string, readonly CheckSpec[]>>;
    byType: Readonly<Partial<Record<SecretType, readonly CheckSpec[]>>>;
  };
  /**
   * The field a generated value replaces in a JSON or Vault secret, keyed by secret name, secret
   * type or `default` (src/rotation/checklists/value-field.ts); a secret's own `value_field` wins.
   */
  valueFields: Readonly<Record<string, string>>;
  /** How soon a rotation a trigger asks for is due (src/rotation-needs). */
  rotationTriggers: {
    /** Days to rotate what a person who left or changed role owned, backed up or could read. */
    personnelChangeDays: number;
    /** Hours to rotate a break-glass credential after it was used. */
    breakGlassHours: number;
  };
  /** Planned rotation windows (src/rotation-windows). */
  windows: {
    /** Hours before a window's start that its reminder goes out. */
    leadTimeHours: number;
    /** When windows in production environments may run; null: any time. */
    production: ProductionHours | null;
  };
  /** Environments in order (src/rotation-plans): the order a key's variants rotate in, and those rotated without a person. */
  plans: { order: readonly string[]; automatic: readonly string[] };
  /**
   * Automatic rotation (src/automatic-rotation): the types Rotor rotates by itself when due (a
   * secret's `rotor:rotation` tag overrides), how early it starts, the backoff between retries of
   * a failed step, the failures of one step before Rotor moves on, and the values it tries.
   */
  /**
   * Credential targets (src/targets): the secret types whose PostgreSQL target may name one role
   * (single user, an auth blip at each rotation); any other type's must name two alternating roles.
   */
  targets: { singleUserTypes: readonly SecretType[] };
  automatic: { types: readonly SecretType[]; leadDays: number; retryMinutes: readonly number[]; attempts: number; values: number };
  /** Who may change a secret's provider or reference (see REFERENCE_CHANGE_RULES). */
  referenceChanges: ReferenceChangeRule;
  /**
   * Where a changed reference may point, checked at the store: AWS accounts and regions, Vault
   * mounts; an empty list limits nothing.
   */
  referenceScope: { awsAccounts: readonly string[]; awsRegions: readonly string[]; vaultMounts: readonly string[] };
  /**
   * Where evidence records are archived under S3 Object Lock (src/evidence-archive/); null: nothing
   * is archived, and /healthz says so.
   */
  evidenceArchive: EvidenceArchivePolicy | null;
  /** KMS keys: the days between scheduling the old key's deletion (at the end of the retention window) and the deletion. */
  kms: { pendingWindowDays: number };
  /** The reviews that happen on their own (src/reviews/): days an owner has to answer the access review before it is escalated. */
  reviews: { accessReviewDays: number };
  /** The tags a completed rotation leaves on its store secret (src/provenance/). */
  provenance: { enabled: boolean; versionTag: string; rotatedByTag: string };
  /** The version alias consumers of Google secrets read, which promote moves; null: they read `latest`. */
  googleSecretManager: { versionAlias: string | null };
  /**
   * Replicated store secrets (AWS): the regions each environment's secrets must be replicated to
   * (their primary region counts), which `/secrets review` checks; and the region each consumer
   * (a service name, as in a secret's `consumers`) runs in, so a completion announcement tells it
   * to read the replica there.
   */
  replication: { requiredRegions: Readonly<Record<string, readonly string[]>>; consumerRegions: Readonly<Record<string, string>> };
}

export interface Contact {
  phone: string | null;
  note: string | null;
}

/** The days and hours, in a time zone, that windows in these environments must lie within. */
export interface ProductionHours {
  environments: readonly string[];
  days: readonly WeekDay[];
  /** Minutes after midnight, local time: the allowed span [from, to). */
  fromMinute: number;
  toMinute: number;
  /** As written in the policy, for messages: `09:00-17:00`. */
  hours: string;
  timeZone: string;
}

export interface EvidenceArchivePolicy {
  bucket: string;
  /** Folder inside the bucket, without surrounding slashes; `''` for its root. */
  prefix: string;
  region: string | null;
  /** Exactly one of the two is set. */
  retention: { days?: number; years?: number };
  forcePathStyle: boolean;
}

function toPolicy(file: PolicyFile): Policy {
  const { admins, security_leads, devops_leads, responders, team_leads, cto, ...defined } = file.roles;
  const { by_tag, by_type, ...byEnvironment } = file.approvals;
  return deepFreeze({
    environments: file.environments,
    channels: {
      announce: file.channels.announce ?? null,
      incident: file.channels.incident,
      consumers: file.channels.consumers,
      security: file.channels.security ?? null,
    },
    roles: {
      admins,
      securityLeads: security_leads,
      devopsLeads: devops_leads,
      responders,
      teamLeads: team_leads,
      cto: file.roles.cto ?? null,
      defined: defined as Record<string, string[]>,
    },
    contacts: Object.fromEntries(
      Object.entries(file.contacts).map(([user, contact]) => [user, { phone: contact.phone ?? null, note: contact.note ?? null }]),
    ),
    teams: file.teams,
    visibility: file.visibility,
    intervals: { ...DEFAULT_INTERVALS, ...(file.intervals as Partial<Record<SecretType, number>>) },
    approvals: byEnvironment as Record<string, string[]>,
    approvalClasses: { byTag: by_tag, byType: by_type },
    reminders: {
      offsetsDays: [...file.reminders.offsets_days].sort((a, b) => b - a),
      localHour: file.reminders.local_hour,
      escalateEveryDays: file.reminders.escalate_every_days,
      escalation: file.reminders.escalation,
    },
    retentionHours: file.retention_hours,
    incident: {
      ackMinutes: file.incident.ack_minutes,
      postmortemHours: file.incident.postmortem_hours,
      statusUpdateMinutes: file.incident.status_update_minutes,
      signoffFallback: file.incident.signoff_fallback,
      paging: file.incident.paging ?? null,
    },
    checklists: file.checklists,
    checks: { bySecret: file.checks.by_secret, byType: file.checks.by_type },
    valueFields: file.value_fields,
    rotationTriggers: {
      personnelChangeDays: file.rotation_triggers.personnel_change_days,
      breakGlassHours: file.rotation_triggers.break_glass_hours,
    },
    windows: {
      leadTimeHours: file.windows.lead_time_hours,
      production: file.windows.production
        ? {
            environments: file.windows.production.environments,
            days: file.windows.production.days,
            fromMinute: minutesOf(file.windows.production.hours.slice(0, 5)),
            toMinute: minutesOf(file.windows.production.hours.slice(6)),
            hours: file.windows.production.hours,
            timeZone: file.windows.production.time_zone,
          }
        : null,
    },
    // By default the least critical first: `environments` is written most critical first (prod, staging, dev).
    plans: { order: file.plans.order ?? [...file.environments].reverse(), automatic: file.plans.automatic },
    targets: { singleUserTypes: file.targets.single_user.types },
    automatic: {
      types: file.automatic.types,
      leadDays: file.automatic.lead_days,
      retryMinutes: file.automatic.retry_minutes,
      attempts: file.automatic.attempts,
      values: file.automatic.values,
    },
    referenceChanges: file.reference_changes,
    referenceScope: {
      awsAccounts: file.reference_scope.aws_accounts,
      awsRegions: file.reference_scope.aws_regions,
      vaultMounts: file.reference_scope.vault_mounts,
    },
    evidenceArchive: file.evidence_archive
      ? {
          bucket: file.evidence_archive.bucket,
          prefix: file.evidence_archive.prefix.replace(/^\/+|\/+$/g, ''),
          region: file.evidence_archive.region ?? null,
          retention:
            file.evidence_archive.retention_years !== undefined
              ? { years: file.evidence_archive.retention_years }
              : { days: file.evidence_archive.retention_days as number },
          forcePathStyle: file.evidence_archive.force_path_style,
        }
      : null,
    kms: { pendingWindowDays: file.kms.pending_window_days },
    reviews: { accessReviewDays: file.reviews.access_review_days },
    provenance: { enabled: file.provenance.enabled, versionTag: file.provenance.version_tag, rotatedByTag: file.provenance.rotated_by_tag },
    googleSecretManager: { versionAlias: file.google_secret_manager.version_alias },
    replication: { requiredRegions: file.replication.required_regions, consumerRegions: file.replication.consumer_regions },
  });
}

export const defaultPolicy: Policy = toPolicy(policySchema.parse({}));

/** Parses policy YAML text; every problem is reported with its key path and line. */
export function parsePolicy(text: string, source = 'policy file'): Policy {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => {
      const line = error.linePos?.[0]?.line;
      return { where: line ? `line ${line}` : source, message: error.message.split('\n')[0] ?? error.message, line };
    });
    throw new ValidationError(`${source} is not valid YAML.`, issues);
  }
  const raw: unknown = document.toJS() ?? {};
  const result = policySchema.safeParse(raw);
  if (!result.success) {
    const issues: ValidationIssue[] = result.error.issues.map((issue) => {
      const keyPath = issue.path.map(String);
      const path = issue.path as (string | number)[];
      // An issue about a mapping's key (`params.at`) points at the key's line, not its value's.
      const node = issue.code === 'custom' && issue.params?.['at'] === 'key' ? keyNode(document, path) : document.getIn(path, true);
      const range = isNode(node) ? node.range : nearestRange(document, path);
      const line = range ? lineCounter.linePos(range[0]).line : undefined;
      const key = keyPath.length > 0 ? keyPath.join('.') : '(top level)';
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((unknown) => withSuggestion(unknown, knownKeysAt(path))).join(', ')}`
          : issue.code === 'invalid_union'
            ? // A role is a built-in one or a name: the name's own complaint says what is wrong.
              (issue.errors.at(-1)?.[0]?.message ?? issue.message)
            : issue.code === 'invalid_value'
              ? withSuggestion(issue.message, issue.values.map(String), document.getIn(path))
              : issue.message;
      return { where: line ? `${key} (line ${line})` : key, message, line };
    });
    throw new ValidationError(`${source} has invalid settings.`, issues);
  }
  return toPolicy(result.data);
}

function withSuggestion(text: string, known: readonly string[], typed: unknown = text): string {
  return typeof typed === 'string' ? suggest(text, known, typed) : text;
}

/** The keys the policy schema accepts in the mapping at `path`. */
function knownKeysAt(path: readonly (string | number)[]): string[] {
  let schema: z.core.$ZodType | undefined = policySchema;
  for (const segment of [...path, null]) {
    // Defaults, optionals and refinements wrap the schema that says what is accepted.
    let def: z.core.$ZodTypeDef | undefined = schema?._zod.def;
    while (def && (def.type === 'default' || def.type === 'optional' || def.type === 'pipe')) {
      schema = def.type === 'pipe' ? (def as z.core.$ZodPipeDef).in : (def as z.core.$ZodDefaultDef | z.core.$ZodOptionalDef).innerType;
      def = schema._zod.def;
    }
    if (!def) return [];
    if (segment === null) return def.type === 'object' ? Object.keys((def as z.core.$ZodObjectDef).shape) : [];
    if (def.type === 'object') schema = (def as z.core.$ZodObjectDef).shape[String(segment)];
    else if (def.type === 'record') schema = (def as z.core.$ZodRecordDef).valueType;
    else if (def.type === 'array') schema = (def as z.core.$ZodArrayDef).element;
    else return [];
  }
  return [];
}

function keyNode(document: ReturnType<typeof parseDocument>, path: (string | number)[]): unknown {
  const parent = path.length === 1 ? document.contents : document.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  return parent.items.find((pair) => isScalar(pair.key) && pair.key.value === path[path.length - 1])?.key;
}

function nearestRange(document: ReturnType<typeof parseDocument>, path: (string | number)[]): [number, number, number] | undefined {
  for (let length = path.length - 1; length >= 0; length -= 1) {
    const node = length === 0 ? document.contents : document.getIn(path.slice(0, length), true);
    if (isNode(node) && node.range) return node.range;
  }
  return undefined;
}

export function loadPolicy(path: string | undefined): Policy {
  if (!path) return defaultPolicy;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RotorError('config', `ROTOR_CONFIG points to ${path}, which cannot be read.`, { cause });
  }
  return parsePolicy(text, `ROTOR_CONFIG (${path})`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
