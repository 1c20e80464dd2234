import cron from 'node-cron';
import { z } from 'zod';
import { DEFAULT_RUN_DEADLINE_SECONDS } from '../core/deadline.js';
import { RotorError } from '../core/errors.js';
import { MIN_KEY_LENGTH, splitKeys } from '../core/hmac-keyring.js';

const SETUP_HINT = 'see "Create the Slack app" in README.md';
const REPLY_WORKERS_HINT = 'must be a whole number from 0 (replies made on the main thread) to 16, e.g. 1';
const DEADLINE_HINT = 'must be a whole number of seconds from 1 to 86400, e.g. 600';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/** What node-cron says is wrong with a schedule (it reads five or six fields, in UTC here), or null. */
function cronProblem(expression: string): string | null {
  if (cron.validate(expression)) return null;
  try {
    void cron.createTask(expression, () => undefined, { timezone: 'UTC' }).destroy();
    return 'is not a valid cron expression';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A key variable: one key, or several separated by commas (the first signs, the rest verify what they signed). */
const keyList = optionalText.pipe(
  z
    .string()
    .refine((text) => splitKeys(text).every((key) => key.length >= MIN_KEY_LENGTH), {
      message: `must hold keys of at least ${MIN_KEY_LENGTH} characters each (e.g. \`openssl rand -hex 32\`), several separated by commas with the signing key first`,
    })
    .refine((text) => new Set(splitKeys(text)).size === splitKeys(text).length, { message: 'lists the same key twice' })
    .optional(),
);

/** A cron schedule variable with its default; a wrong one is refused naming the variable and what is wrong. */
const cronSchedule = (fallback: string) =>
  optionalText
    .transform((value) => value ?? fallback)
    .superRefine((value, context) => {
      const problem = cronProblem(value);
      if (problem)
        context.addIssue({
          code: 'custom',
          message: `is not a cron schedule ("${value}": ${problem}); write five fields in UTC, e.g. "${fallback}"`,
        });
    });

const coreSchema = z
  .object({
    ROTOR_DB: optionalText.transform((value) => value ?? './data/rotor.db'),
    ROTOR_CONFIG: optionalText,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    VAULT_ADDR: optionalText.pipe(z.url({ message: 'must be a URL such as https://vault.example.com:8200' }).optional()),
    VAULT_TOKEN: optionalText,
    VAULT_NAMESPACE: optionalText,
    GOOGLE_OAUTH_ACCESS_TOKEN: optionalText,
    GCE_METADATA_HOST: optionalText.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9.-]+(?::\d{1,5})?$/, 'must be a host, or host:port, such as metadata.google.internal or 127.0.0.1:8080')
        .optional(),
    ),
    GOOGLE_SECRET_MANAGER_ENDPOINT: optionalText.pipe(
      z.url({ message: 'must be a URL such as https://secretmanager.googleapis.com (tests: the local fake)' }).optional(),
    ),
    ROTOR_AUDIT_KEY: keyList,
    ROTOR_FINGERPRINT_KEY: keyList,
    ROTOR_RUN_DEADLINE_SECONDS: optionalText
      .pipe(
        z.coerce.number<string>({ message: DEADLINE_HINT }).int(DEADLINE_HINT).min(1, DEADLINE_HINT).max(86_400, DEADLINE_HINT).optional(),
      )
      .transform((value) => value ?? DEFAULT_RUN_DEADLINE_SECONDS),
  })
  // Half a Vault configuration would leave Vault secrets silently unsynced and unrotatable: refuse it.
  .superRefine((env, context) => {
    if (env.VAULT_ADDR && !env.VAULT_TOKEN) {
      context.addIssue({
        code: 'custom',
        path: ['VAULT_TOKEN'],
        message: 'is not set but VAULT_ADDR is: set both to use Vault, or unset VAULT_ADDR to run without it',
      });
    }
    if (env.VAULT_TOKEN && !env.VAULT_ADDR) {
      context.addIssue({
        code: 'custom',
        path: ['VAULT_ADDR'],
        message:
          'is not set but VAULT_TOKEN is: set both to use Vault (e.g. VAULT_ADDR=https://vault.example.com:8200), or unset VAULT_TOKEN',
      });
    }
  });

/** Every variable the bot reads (the CLI reads the core ones); the README's Configuration table documents each. */
export const botSchema = coreSchema.safeExtend({
  SLACK_BOT_TOKEN: z
    .string({ message: `is required (the Bot User OAuth Token, ${SETUP_HINT})` })
    .regex(/^xoxb-/, `must be a bot token starting with xoxb- (${SETUP_HINT})`),
  SLACK_SIGNING_SECRET: z
    .string({ message: `is required (Basic Information → Signing Secret, ${SETUP_HINT})` })
    .min(1, `must not be empty (${SETUP_HINT})`),
  SLACK_APP_TOKEN: optionalText.pipe(
    z
      .string()
      .regex(/^xapp-/, `must be an app-level token starting with xapp- (${SETUP_HINT})`)
      .optional(),
  ),
  SLACK_API_URL: optionalText.pipe(z.url({ message: 'must be a URL such as https://slack.com/api/' }).optional()),
  PORT: z.coerce.number({ message: 'must be a port number' }).int().min(1).max(65535).default(3000),
  ROTOR_REMINDER_CRON: cronSchedule('*/15 * * * *'),
  ROTOR_SYNC_CRON: cronSchedule('0 6 * * *'),
  ROTOR_FOLLOW_UP_CRON: cronSchedule('* * * * *'),
  ROTOR_CALENDAR_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  ROTOR_PUBLIC_URL: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, message: 'must be the http(s) address people reach Rotor at, such as https://rotor.example.com' })
      .optional(),
  ),
  ROTOR_METRICS_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  ROTOR_REPLY_WORKERS: optionalText.pipe(
    z.coerce
      .number<string>({ message: REPLY_WORKERS_HINT })
      .int(REPLY_WORKERS_HINT)
      .min(0, REPLY_WORKERS_HINT)
      .max(16, REPLY_WORKERS_HINT)
      .optional(),
  ),
  HOST: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9.:-]+$/, 'must be an address or host name to listen on, such as 127.0.0.1 or ::')
      .optional(),
  ),
});

export type CoreEnv = z.infer<typeof coreSchema>;
export type BotEnv = z.infer<typeof botSchema>;

function parseEnv<T extends typeof coreSchema>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return Object.freeze(refuseSharedKeys(result.data)) as z.infer<T>;
  const missing = result.error.issues.filter((issue) => issue.code === 'invalid_type').map((issue) => String(issue.path[0]));
  if (missing.length > 1) {
    throw new RotorError('config', `Missing environment variables ${missing.join(', ')}: set them before starting Rotor (${SETUP_HINT}).`);
  }
  const issue = result.error.issues[0];
  const name = issue ? String(issue.path[0]) : 'environment';
  throw new RotorError('config', `Environment variable ${name} ${issue?.message ?? 'is invalid'}.`);
}

/** A key that signs the audit log must not also key fingerprints: each key does one job. */
function refuseSharedKeys<T extends CoreEnv>(env: T): T {
  const audit = new Set(splitKeys(env.ROTOR_AUDIT_KEY));
  if (splitKeys(env.ROTOR_FINGERPRINT_KEY).some((key) => audit.has(key))) {
    throw new RotorError(
      'config',
      'Environment variable ROTOR_FINGERPRINT_KEY shares a key with ROTOR_AUDIT_KEY; give each its own key (openssl rand -hex 32).',
    );
  }
  return env;
}

/** Settings the CLI needs: the database and the policy. */
export function loadCoreEnv(env: NodeJS.ProcessEnv = process.env): CoreEnv {
  return parseEnv(coreSchema, env);
}

/** Settings the bot needs; a missing or wrong variable stops start-up with one line naming it. */
export function loadBotEnv(env: NodeJS.ProcessEnv = process.env): BotEnv {
  return parseEnv(botSchema, env);
}
