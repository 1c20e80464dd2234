import { SECRET_TYPES, type SecretType } from './secret.js';

/** Words teams write in their own tables, mapped to Rotor's types. */
const ALIASES: Record<string, SecretType> = {
  'api key': 'api_key',
  'api keys': 'api_key',
  apikey: 'api_key',
  token: 'api_key',
  db: 'database',
  'database credentials': 'database',
  password: 'database',
  'jwt signing key': 'jwt',
  'jwt key': 'jwt',
  'signing key': 'jwt',
  hmac: 'webhook',
  'webhook secret': 'webhook',
  email: 'smtp',
  s3: 'storage',
  'storage key': 'storage',
  monitoring: 'observability',
};

export function parseSecretType(text: string): SecretType | null {
  const normalized = text
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, ' ');
  const asIdentifier = normalized.replace(/ /g, '_');
  if ((SECRET_TYPES as readonly string[]).includes(asIdentifier)) return asIdentifier as SecretType;
  return ALIASES[normalized] ?? null;
}

const SERVICE_HINTS: [RegExp, SecretType][] = [
  [/jwt|signing/, 'jwt'],
  [/redis|elasticache|valkey/, 'redis'],
  [/webhook|hmac/, 'webhook'],
  [/smtp|sendgrid|mailgun|ses|postmark/, 'smtp'],
  [/s3|storage|bucket|gcs|blob/, 'storage'],
  [/datadog|grafana|newrelic|sentry|observability|prometheus/, 'observability'],
  [/postgres|mysql|mongo|db|database|rds|sql|connection/, 'database'],
  [/api|key|stripe|paypal|openai|payments|token/, 'api_key'],
];

/**
 * A type for rows that name none (the registry's tables have no type column): guessed from
 * the service and credential segments, then the description; `generic` when nothing fits.
 */
export function inferSecretType(service: string, credentialType: string, description = ''): SecretType {
  for (const text of [`${service} ${credentialType}`, description.toLowerCase()]) {
    for (const [pattern, type] of SERVICE_HINTS) if (pattern.test(text)) return type;
  }
  return 'generic';
}
