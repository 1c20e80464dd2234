import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Every path a token, signing secret or secret value could travel under. Rotor never holds a
 * secret's value, but a provider response, a request header or a careless `log.info(obj)` could
 * carry one, so these keys are censored wherever they appear (up to two levels down). `secret`
 * is not among them: in Rotor it names a secret (`prod/postgres/password`), which logs need.
 */
const SENSITIVE_KEYS = [
  'token',
  'botToken',
  'appToken',
  'bot_access_token',
  'signingSecret',
  'signing_secret',
  'authorization',
  'Authorization',
  'cookie',
  'password',
  'secretValue',
  'SecretString',
  'SecretBinary',
  'value',
  'client_secret',
  'x-slack-signature',
  'X-Slack-Signature',
  'x-vault-token',
  'X-Vault-Token',
  'ROTOR_AUDIT_KEY',
  'ROTOR_FINGERPRINT_KEY',
  'ROTOR_METRICS_TOKEN',
  'ROTOR_CALENDAR_TOKEN',
];

/**
 * Free text people type: retrieval instructions sit next to a secret's value in people's minds
 * (the form's hint says "never paste the value itself", and someone will), and a description or
 * a Not-mine note can carry anything, mentions and links included. Rotor refuses text shaped like
 * a credential, but shapes are not everything. The audit log in the database keeps the text;
 * the log stream, which goes to a SIEM with wider readership, does not.
 */
const VALUE_ADJACENT_FIELDS = ['retrievalInstructions', 'retrieval_instructions', 'description', 'note'];

export const REDACTED_PATHS: readonly string[] = [
  ...SENSITIVE_KEYS,
  ...SENSITIVE_KEYS.map((key) => `*.${key}`),
  ...SENSITIVE_KEYS.map((key) => `*.*.${key}`),
  ...VALUE_ADJACENT_FIELDS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `audit.details.fields.${key}`, `audit.details.changes.${key}`]),
];

export const REDACTION_CENSOR = '[redacted]';

/** JSON logs on stdout (or the given stream), with the sensitive paths above censored. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rotor' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: REDACTION_CENSOR },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
