import { ValidationError } from '../../core/errors.js';
import type { Secret } from '../../inventory/secret.js';
import type { StoreKind } from '../../providers/store-kind.js';

/**
 * `{name}` placeholders in step details, resolved when a rotation snapshots its checklist.
 * `<angle brackets>` are left for the person doing the step (a host, a user name). These are
 * every secret's; a store adds its own (`StoreReferences.placeholders`: `{aws_secret_id}`,
 * `{vault_path}`), which only its texts use.
 */
export const PLACEHOLDERS = ['secret', 'environment', 'provider_ref', 'consumers', 'retention_hours', 'live_environment'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * The placeholders a policy's own step details may use: a checklist key covers secrets of
 * every store, so only what every secret has.
 */
export const NEUTRAL_PLACEHOLDERS: readonly Placeholder[] = ['secret', 'environment', 'provider_ref', 'consumers', 'retention_hours'];

export type PlaceholderValues = Readonly<Record<string, string>>;

export type PlaceholderSubject = Pick<Secret, 'name' | 'environment' | 'provider' | 'providerRef' | 'consumers'>;

const TOKEN = /\{([a-z_]+)\}/g;
const MAX_CONSUMERS_TEXT = 300;

/**
 * Values for a secret; the store parses the reference here, so a malformed one is refused
 * before a rotation starts. `valueField`: the field a generated value goes in when the preflight
 * decided one (a store's `{…_field}` placeholder says it), else the reference's.
 */
export function placeholderValuesFor(
  secret: PlaceholderSubject,
  store: StoreKind,
  retentionHours: number,
  valueField?: string | null,
): PlaceholderValues {
  const consumers = secret.consumers.length > 0 ? secret.consumers.join(', ') : 'none';
  const common = {
    secret: secret.name,
    environment: secret.environment,
    provider_ref: secret.providerRef ?? 'none',
    consumers: consumers.length > MAX_CONSUMERS_TEXT ? `${consumers.slice(0, MAX_CONSUMERS_TEXT - 1)}…` : consumers,
    retention_hours: String(retentionHours),
    live_environment: liveEnvironmentOf(secret.environment),
  };
  if (store.capabilities.byHand) return common;
  const ref = secret.providerRef?.trim();
  if (!ref) {
    const message = `${secret.name} is kept in ${store.label} but has no provider reference; set its provider_ref before rotating it.`;
    throw new ValidationError(message, [{ where: 'provider_ref', message: 'required for a secret kept in a store' }]);
  }
  return { ...common, ...store.references.placeholderValues(secret.name, ref, valueField ?? null) };
}

/** How the checklist names the environment a promote switches: "production" for a production one, else its own name (a staging secret is never promoted "to production"). */
export function liveEnvironmentOf(environment: string): string {
  return /^(?:prod|production|prd|live)(?:[-_.].*)?$/i.test(environment) ? 'production' : environment;
}

/** Replaces every placeholder; one without a value is a template bug, never shown half-resolved. */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(TOKEN, (token, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`The checklist text placeholder ${token} has no value for this secret.`);
    return value;
  });
}

/** For text a person wrote: names the first placeholder outside `allowed`, or null. `storePlaceholders`: those of every store, which exist only for some. */
export function findPlaceholderProblem(text: string, allowed: readonly Placeholder[], storePlaceholders: readonly string[]): string | null {
  for (const match of text.matchAll(TOKEN)) {
    const name = match[1] as string;
    if (!(allowed as readonly string[]).includes(name)) {
      const known = (PLACEHOLDERS as readonly string[]).includes(name) || storePlaceholders.includes(name);
      const reason = known ? `{${name}} exists only for some providers` : `{${name}} is not a placeholder`;
      return `${reason}; use ${allowed.map((item) => `{${item}}`).join(', ')}`;
    }
  }
  return null;
}
