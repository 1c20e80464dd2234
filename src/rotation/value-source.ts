import { ValidationError } from '../core/errors.js';
import type { Secret, SecretType } from '../inventory/secret.js';

/**
 * Where a rotation's new value comes from. `generate`: a random string Rotor may create at
 * the store (webhook HMAC, Redis passwords, your own services' API keys, a database password a
 * person then sets with ALTER USER). `issuer`: a value someone else issues or composes (Stripe,
 * OpenAI or SendGrid keys, JWT key pairs, IAM access keys, a connection string), which a person
 * writes to the store and Rotor detects.
 */
export const VALUE_SOURCES = ['generate', 'issuer'] as const;
export type ValueSource = (typeof VALUE_SOURCES)[number];

/** The tag (AWS tag, Vault `custom_metadata`, inventory tag) that overrides the default. */
export const VALUE_SOURCE_TAG = 'rotor:value_source';

/** Defaults from the playbooks: who produces each type's new value. */
export const DEFAULT_VALUE_SOURCES: Readonly<Record<SecretType, ValueSource>> = {
  database: 'generate',
  redis: 'generate',
  webhook: 'generate',
  api_key: 'issuer',
  jwt: 'issuer',
  smtp: 'issuer',
  storage: 'issuer',
  observability: 'issuer',
  generic: 'issuer',
};

/** IAM issues access keys; no random string Rotor makes is one. */
const ISSUER_ONLY: ReadonlySet<SecretType> = new Set(['storage']);

/**
 * A credential type naming a composite value (`connection_string`, `url`, `dsn`, `json`):
 * a bare random string written over it would break every consumer, so a person composes it.
 */
const COMPOSITE = /(?:^|_)(?:connection|conn_?str|dsn|url|uri|json|config)(?:_|$)/;

export type ValueSourceSubject = Pick<Secret, 'name' | 'type' | 'credentialType' | 'tags'>;

export function valueSourceOf(secret: ValueSourceSubject): ValueSource {
  const tagged = secret.tags[VALUE_SOURCE_TAG];
  if (tagged !== undefined) {
    const value = tagged.trim().toLowerCase();
    if (!(VALUE_SOURCES as readonly string[]).includes(value)) {
      throw invalidTag(secret.name, `is \`${tagged}\`; use \`generate\` (Rotor creates a random value) or \`issuer\` (a person writes the issuer's value)`);
    }
    if (value === 'generate' && ISSUER_ONLY.has(secret.type)) {
      throw invalidTag(secret.name, `asks Rotor to generate a ${secret.type} credential, which only its issuer (IAM) can create; remove the tag or set it to \`issuer\``);
    }
    return value as ValueSource;
  }
  const byType = DEFAULT_VALUE_SOURCES[secret.type];
  return byType === 'generate' && COMPOSITE.test(secret.credentialType) ? 'issuer' : byType;
}

function invalidTag(name: string, problem: string): ValidationError {
  return new ValidationError(`The \`${VALUE_SOURCE_TAG}\` tag of ${name} ${problem}.`, [{ where: `tags.${VALUE_SOURCE_TAG}`, message: problem }]);
}
