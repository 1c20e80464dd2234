import { ValidationError } from '../../core/errors.js';

/** Where a Vault-backed secret lives in a KV v2 mount. */
export interface VaultSecretRef {
  mount: string;
  /** Path inside the mount, without the `data/` or `metadata/` API prefix. */
  path: string;
  /** The key inside the secret's data that holds the value Rotor generates and fingerprints. */
  field: string;
}

export const DEFAULT_VAULT_FIELD = 'value';

const SEGMENT = /^[A-Za-z0-9_.@+=-]+$/;
const FORMS =
  'mount/path such as secret/prod/app/db, mount:path for a nested mount such as team/kv:prod/app/db, with an optional #field (default "value")';

/**
 * Parses `mount/path[#field]`, or `mount:path[#field]` when the mount itself contains a slash.
 * The API's `data/` and `metadata/` prefixes are refused with a hint, since copying them from
 * a policy or an API URL is the usual slip.
 */
export function parseVaultSecretRef(secretName: string, ref: string): VaultSecretRef {
  const text = ref.trim();
  const [location, field = DEFAULT_VAULT_FIELD, ...extra] = text.split('#');
  if (extra.length > 0 || field === '' || !SEGMENT.test(field)) invalid(secretName, `\`${ref}\` has a malformed #field`);
  let mount: string;
  let path: string;
  const colon = (location ?? '').indexOf(':');
  if (colon >= 0) {
    mount = (location ?? '').slice(0, colon);
    path = (location ?? '').slice(colon + 1);
  } else {
    const slash = (location ?? '').indexOf('/');
    if (slash < 0) invalid(secretName, `\`${ref}\` names no path inside the mount`);
    mount = (location ?? '').slice(0, slash);
    path = (location ?? '').slice(slash + 1);
  }
  mount = mount.replace(/\/+$/, '');
  if (!validSegments(mount)) invalid(secretName, `the mount \`${mount}\` in \`${ref}\` is malformed`);
  if (!validSegments(path))
    invalid(secretName, `the path \`${path}\` in \`${ref}\` is malformed (empty segments, \`..\` or unusual characters)`);
  if (/^(data|metadata)\//.test(path)) {
    const bare = path.replace(/^(data|metadata)\//, '');
    invalid(secretName, `\`${ref}\` includes the API prefix \`${path.split('/')[0]}/\`; write ${mount}/${bare}`);
  }
  return { mount, path, field };
}

/** The field a reference names after `#`, or null when it names none (the default applies). */
export function explicitVaultField(ref: string): string | null {
  const at = ref.indexOf('#');
  return at < 0 ? null : ref.slice(at + 1).trim() || null;
}

/** `mount/path` as people and `vault kv get -mount=… path` see it. */
export function formatVaultSecretRef(ref: VaultSecretRef): string {
  const location = ref.mount.includes('/') ? `${ref.mount}:${ref.path}` : `${ref.mount}/${ref.path}`;
  return ref.field === DEFAULT_VAULT_FIELD ? location : `${location}#${ref.field}`;
}

/** URL-encodes each segment; Vault routes on the slashes between them. */
export function encodeVaultPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function validSegments(text: string): boolean {
  if (text === '') return false;
  return text.split('/').every((segment) => segment !== '..' && segment !== '.' && SEGMENT.test(segment));
}

function invalid(secretName: string, problem: string): never {
  const message = `The Vault reference of ${secretName} is malformed: ${problem}. Use ${FORMS}.`;
  throw new ValidationError(message, [{ where: 'provider_ref', message: `${problem}; use ${FORMS}` }]);
}
