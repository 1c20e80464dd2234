import { ValidationError } from '../../core/errors.js';

/** Where a Google Secret Manager secret lives: a global secret, or a regional one with its location. */
export interface GsmSecretRef {
  project: string;
  /** Set for a regional secret (`projects/p/locations/l/secrets/s`), served by its regional endpoint. */
  location: string | null;
  secret: string;
}

// Project ids: 6-30 lowercase letters, digits and hyphens, starting with a letter (or a project number).
const PROJECT = '[a-z][a-z0-9-]{4,28}[a-z0-9]|\\d{1,20}';
const LOCATION = '[a-z]+(?:-[a-z]+)*\\d+';
// Secret ids: 1-255 letters, digits, hyphens and underscores.
const SECRET = '[A-Za-z0-9_-]{1,255}';
const PATTERN = new RegExp(`^projects/(${PROJECT})(?:/locations/(${LOCATION}))?/secrets/(${SECRET})$`);
const ALIAS = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

const FORMS =
  'projects/<project>/secrets/<secret> such as projects/acme-prod/secrets/db-password, or for a regional secret projects/<project>/locations/<location>/secrets/<secret>';

/**
 * Parses a secret's resource name, global or regional. A version's name (`…/versions/3`) is
 * refused with a hint: Rotor tracks the secret, and versions come and go.
 */
export function parseGsmSecretRef(secretName: string, ref: string): GsmSecretRef {
  const text = ref.trim();
  const version = /^(.*\/secrets\/[^/]+)\/versions\/[^/]+$/.exec(text);
  if (version) invalid(secretName, `\`${ref}\` names a version; write the secret, ${version[1]}`);
  const match = PATTERN.exec(text);
  if (!match) invalid(secretName, `\`${ref}\` is not a Secret Manager secret name`);
  return { project: match[1] as string, location: match[2] ?? null, secret: match[3] as string };
}

export function formatGsmSecretRef(ref: GsmSecretRef): string {
  return ref.location
    ? `projects/${ref.project}/locations/${ref.location}/secrets/${ref.secret}`
    : `projects/${ref.project}/secrets/${ref.secret}`;
}

/**
 * A version alias consumers read (`current`): a letter, then up to 62 letters, digits, `_` or
 * `-`; never `latest` or `new`, which Secret Manager reserves.
 */
export function validateVersionAlias(secretName: string, alias: string): void {
  if (!ALIAS.test(alias) || /^(latest|new)$/i.test(alias)) {
    const problem = `\`${alias}\` is not a usable version alias (a letter, then up to 62 letters, digits, _ or -; not latest or new)`;
    throw new ValidationError(`The version alias of ${secretName} is malformed: ${problem}.`, [
      { where: 'version_alias', message: problem },
    ]);
  }
}

function invalid(secretName: string, problem: string): never {
  const message = `The Google Secret Manager reference of ${secretName} is malformed: ${problem}. Use ${FORMS}.`;
  throw new ValidationError(message, [{ where: 'provider_ref', message: `${problem}; use ${FORMS}` }]);
}
