import { isIP } from 'node:net';
import { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import {
  DEFAULT_TLS_MODE,
  describeEndpoint,
  TLS_MODES,
  type PostgresRoleTarget,
  type RedisAclUserTarget,
  type TargetDescription,
  type TlsMode,
} from './target-description.js';

const DEFAULT_PORTS = { postgres: 5432, redis: 6379 } as const;
const DEFAULT_DATABASE = 'postgres';

/** PostgreSQL truncates names at NAMEDATALEN - 1 = 63 bytes; a longer name would silently be another role. */
const MAX_ROLE_NAME_BYTES = 63;

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const labels = host.replace(/\.$/, '').split('.');
  return host.length <= 253 && labels.every((label) => HOST_LABEL.test(label));
}

const host = z.string().trim().refine(isHost, { message: 'must be a host name or an IP address, without a scheme, port or path' });

const port = z
  .union([z.number(), z.string().trim().regex(/^\d+$/, { message: 'must be a port number' }).transform(Number)])
  .pipe(
    z
      .number()
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be 1 to 65535' })
      .max(65535, { message: 'must be 1 to 65535' }),
  );

const tls = z.enum(TLS_MODES as [TlsMode, ...TlsMode[]], { message: `must be one of ${TLS_MODES.join(', ')}` });

const roleName = z
  .string()
  .min(1, { message: 'must not be empty' })
  .refine((name) => !name.includes('\u0000'), { message: 'must not contain a NUL character' })
  .refine((name) => Buffer.byteLength(name, 'utf8') <= MAX_ROLE_NAME_BYTES, {
    message: `must be at most ${MAX_ROLE_NAME_BYTES} bytes (PostgreSQL would cut it)`,
  });

const redisUser = z
  .string()
  .regex(/^[^\s\u0000-\u001f\u007f]{1,128}$/, { message: 'must be 1 to 128 characters without spaces or control characters' });

const databaseName = roleName;
const reference = z.string().trim().min(1, { message: 'must not be empty' });

/**
 * The inventory's `target` field (set by import, `/secrets edit` and the CLI). PostgreSQL names
 * exactly one of `role` (single-user strategy) or `roles` (two alternating roles); TLS defaults
 * to `require`; `managing_ref` is the store reference of the managing credential.
 */
export const inventoryTargetSchema = z.discriminatedUnion(
  'engine',
  [
    z
      .strictObject({
        engine: z.literal('postgres'),
        host,
        port: port.default(DEFAULT_PORTS.postgres),
        dbname: databaseName.default(DEFAULT_DATABASE),
        tls: tls.default(DEFAULT_TLS_MODE),
        role: roleName.optional(),
        roles: z.tuple([roleName, roleName]).optional(),
        managing_ref: reference.optional(),
      })
      .superRefine((value, context) => {
        if ((value.role === undefined) === (value.roles === undefined)) {
          context.addIssue({
            code: 'custom',
            path: ['role'],
            message: 'name either `role` (one role, single-user strategy) or `roles` (two alternating roles), not both or neither',
          });
        }
        if (value.roles && value.roles[0] === value.roles[1]) {
          context.addIssue({ code: 'custom', path: ['roles'], message: 'the two alternating roles must be different roles' });
        }
      }),
    z.strictObject({
      engine: z.literal('redis'),
      host,
      port: port.default(DEFAULT_PORTS.redis),
      tls: tls.default(DEFAULT_TLS_MODE),
      user: redisUser,
      managing_ref: reference.optional(),
    }),
  ],
  { message: 'engine must be postgres or redis' },
);

export type InventoryTarget = z.input<typeof inventoryTargetSchema>;
/** The inventory's `target` field as stored: every default filled in, so the row says what Rotor will use. */
export type TargetSetting = z.output<typeof inventoryTargetSchema>;

/**
 * Reads the `target` field as an import, `/secrets edit` or `rotor edit --target` gives it: an
 * object, or its JSON text. Returns the stored setting; every problem is reported with its key.
 */
export function parseTargetSetting(input: unknown): TargetSetting {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch {
      throw new ValidationError('The target is not JSON.', [
        {
          where: 'target',
          message:
            'The target is not JSON: write it as a JSON object, e.g. {"engine":"postgres","host":"db.internal","dbname":"app","roles":["app_a","app_b"],"managing_ref":"prod/app/db_admin"}',
        },
      ]);
    }
  }
  const result = inventoryTargetSchema.safeParse(value);
  if (!result.success) throw new ValidationError('The target is not a valid PostgreSQL or Redis target.', issuesOf(result.error, 'target'));
  return result.data;
}

/** Reads an inventory `target` object; every problem is reported with its key. */
export function parseInventoryTarget(input: unknown): TargetDescription {
  const result = inventoryTargetSchema.safeParse(input);
  if (!result.success) throw new ValidationError('The target is not a valid PostgreSQL or Redis target.', issuesOf(result.error, 'target'));
  const value = result.data;
  if (value.engine === 'redis') {
    return {
      engine: 'redis',
      host: value.host,
      port: value.port,
      tls: value.tls,
      user: value.user,
      managingSecretRef: value.managing_ref ?? null,
    } satisfies RedisAclUserTarget;
  }
  return {
    engine: 'postgres',
    host: value.host,
    port: value.port,
    tls: value.tls,
    database: value.dbname,
    roles: value.roles ? { strategy: 'alternating-users', roles: value.roles } : { strategy: 'single-user', role: value.role as string },
    managingSecretRef: value.managing_ref ?? null,
  } satisfies PostgresRoleTarget;
}

const POSTGRES_ENGINES = ['postgres', 'postgresql', 'aurora-postgresql'] as const;

/**
 * A secret value that follows AWS's convention for database credentials: JSON with `engine`,
 * `host`, `port`, `username`, `password`, `dbname` and `masterarn` (the managing secret). Other
 * keys are kept by the store and ignored here; `tls` may be added (AWS's shape has none).
 */
const secretValueSchema = z.object({
  engine: z.enum([...POSTGRES_ENGINES, 'redis'], { message: `must be one of ${[...POSTGRES_ENGINES, 'redis'].join(', ')}` }),
  host,
  port: port.optional(),
  username: z.string({ message: 'must be the login name' }),
  password: z.string({ message: 'must be the password, a string' }).min(1, { message: 'must not be empty' }),
  dbname: databaseName.optional(),
  masterarn: reference.optional(),
  tls: tls.optional(),
});

/**
 * The target a secret's JSON value describes: a PostgreSQL role (single-user; alternating roles
 * are named in the inventory's `target`) or a Redis ACL user. The value itself never reaches an
 * error: a value that is not JSON or not this shape is reported by its keys only.
 */
export function parseSecretValueTarget(value: string): TargetDescription {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // JSON.parse's message quotes the text around the error, which is the secret: not kept.
    throw new ValidationError("The secret's value is not JSON, so it cannot describe a PostgreSQL or Redis target.", [
      { where: 'value', message: 'expected a JSON object with engine, host, port, username, password (and dbname for PostgreSQL)' },
    ]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError("The secret's value is JSON but not an object, so it cannot describe a PostgreSQL or Redis target.", [
      { where: 'value', message: 'expected a JSON object with engine, host, port, username, password (and dbname for PostgreSQL)' },
    ]);
  }
  const result = secretValueSchema.safeParse(parsed);
  if (!result.success)
    throw new ValidationError(
      "The secret's value is not the JSON shape a PostgreSQL or Redis target needs.",
      issuesOf(result.error, 'value'),
    );
  const fields = result.data;
  const tlsMode = fields.tls ?? DEFAULT_TLS_MODE;
  const managingSecretRef = fields.masterarn ?? null;
  if (fields.engine === 'redis') {
    const user = redisUser.safeParse(fields.username);
    if (!user.success)
      throw new ValidationError("The secret's value is not the JSON shape a Redis target needs.", issuesOf(user.error, 'username'));
    return {
      engine: 'redis',
      host: fields.host,
      port: fields.port ?? DEFAULT_PORTS.redis,
      tls: tlsMode,
      user: user.data,
      managingSecretRef,
    };
  }
  const role = roleName.safeParse(fields.username);
  if (!role.success)
    throw new ValidationError("The secret's value is not the JSON shape a PostgreSQL target needs.", issuesOf(role.error, 'username'));
  return {
    engine: 'postgres',
    host: fields.host,
    port: fields.port ?? DEFAULT_PORTS.postgres,
    tls: tlsMode,
    database: fields.dbname ?? DEFAULT_DATABASE,
    roles: { strategy: 'single-user', role: role.data },
    managingSecretRef,
  };
}

/** Zod's issues as Rotor's, by key path; zod's messages name expectations, never the input. */
function issuesOf(error: z.ZodError, root: string): ValidationIssue[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : root;
    const message =
      issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
    return { where, message };
  });
}

/** One line for messages and the CLI: engine, address, logins and strategy, the managing reference; never a value. */
export function describeTargetSetting(setting: TargetSetting): string {
  const target = parseInventoryTarget(setting);
  const logins =
    target.engine === 'redis'
      ? `ACL user ${target.user}`
      : target.roles.strategy === 'alternating-users'
        ? `alternating roles ${target.roles.roles.join(' and ')}`
        : `role ${target.roles.role} (single user)`;
  const managing = target.managingSecretRef ? `, managed with ${target.managingSecretRef}` : ', no managing credential named';
  return `${describeEndpoint(target)} (TLS ${target.tls}), ${logins}${managing}`;
}
