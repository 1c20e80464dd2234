import type { Policy } from '../../config/policy.js';
import { findCredentialShape } from '../../inventory/credential-shapes.js';
import { VALUE_FIELD, type Secret } from '../../inventory/secret.js';
import type { FieldShape, ValuePlacement, ValueShape } from '../../providers/secret-provider.js';
import { article } from '../../providers/value-shape.js';
import type { StoreKind } from '../../providers/store-kind.js';
import { VALUE_SOURCE_TAG } from './value-source.js';

/**
 * Which field of a secret a generated value replaces, so the new version keeps the shape of the
 * current one. A plain value is replaced whole. In named fields (a JSON object in AWS, a Vault
 * secret's data) the field is, first to last: the secret's own `value_field`; the field the
 * reference names, where the store's references name one (Vault's `#field`); the policy's
 * `value_fields` for the secret's name, then for its type; else the policy's
 * `value_fields.default` (`password` without one) and the store's default field, which Rotor
 * wrote before (Vault: `value`), when the secret has it. When none of these fits, Rotor cannot
 * tell and says how to tell it; it never guesses from the names it sees.
 */

/** Without `value_fields.default` in the policy. */
export const DEFAULT_VALUE_FIELD = 'password';

export type ValueFieldSubject = Pick<Secret, 'name' | 'type' | 'provider' | 'providerRef'> & Partial<Pick<Secret, 'valueField'>>;

/** What to do with a generated value: where it goes, or why Rotor cannot tell (with the fix). */
export type PlacementDecision = { placement: ValuePlacement; message: string } | { placement: null; message: string };

interface ChosenField {
  field: string;
  /** Who chose it, for messages: "its own value field", "the policy's value_fields.database". */
  origin: string;
}

/** The secret's store: how it reads a field out of a reference, and which field it writes by default. */
export type FieldStore = Pick<StoreKind, 'label' | 'references'>;

/** The field someone configured for the secret, or null when only the defaults apply. */
export function configuredValueField(
  secret: ValueFieldSubject,
  policy: Pick<Policy, 'valueFields'>,
  store: FieldStore,
): ChosenField | null {
  if (secret.valueField) return { field: secret.valueField, origin: 'its own value field' };
  const fromReference = secret.providerRef ? store.references.explicitField(secret.providerRef) : null;
  if (fromReference) return { field: fromReference, origin: `its ${store.label} reference's #field` };
  for (const key of [secret.name, secret.type]) {
    const field = Object.hasOwn(policy.valueFields, key) ? policy.valueFields[key] : undefined;
    if (field) return { field, origin: `the policy's value_fields.${key}` };
  }
  return null;
}

/** Decides where a generated value goes in a value of this shape. */
export function decidePlacement(
  secret: ValueFieldSubject,
  policy: Pick<Policy, 'valueFields'>,
  shape: ValueShape,
  store: FieldStore,
): PlacementDecision {
  const name = secret.name;
  if (shape.kind === 'string')
    return { placement: { kind: 'whole' }, message: `${name} holds a plain value: the generated one replaces it whole.` };
  if (shape.kind === 'key_material')
    return {
      placement: { kind: 'whole' },
      message: `${name} is ${shape.what}: its material never leaves the store, so the new version is a new key made like it.`,
    };
  if (shape.kind === 'other') {
    return { placement: null, message: `${name} holds ${shape.what}, so a generated value would replace it whole. ${issuerFix(name)}` };
  }
  const { fields } = shape;
  const configured = configuredValueField(secret, policy, store);
  const storeDefault = store.references.defaultField;
  const candidates: ChosenField[] = configured
    ? [configured]
    : [
        { field: policy.valueFields.default ?? DEFAULT_VALUE_FIELD, origin: 'the default' },
        ...(storeDefault ? [{ field: storeDefault, origin: 'the field Rotor wrote before' }] : []),
      ];
  // No data to keep (a Vault secret with metadata only, or whose versions were all disabled): the
  // configured field, else for Vault the reference's (what its retrieval command reads).
  if (fields.length === 0) {
    const chosen =
      configured ??
      (storeDefault ? { field: storeDefault, origin: `its ${store.label} reference's field` } : (candidates[0] as ChosenField));
    return placed(name, chosen, fields);
  }
  for (const candidate of candidates) {
    const found = fields.find((field) => field.name === candidate.field);
    if (!found && !configured) continue;
    if (!found) {
      return {
        placement: null,
        message: `${name} has no \`${candidate.field}\` field, which ${candidate.origin} names; its fields: ${listed(fields)}. ${fieldFix(name)}`,
      };
    }
    if (found.holds !== 'string') {
      return {
        placement: null,
        message: `The \`${found.name}\` field of ${name} holds ${article(found.holds)}, not a string. ${fieldFix(name)}`,
      };
    }
    return placed(name, candidate, fields);
  }
  return {
    placement: null,
    message: `${name} has the fields ${listed(fields)} but no \`${candidates[0]?.field}\`, so Rotor cannot tell which one to replace. ${fieldFix(name)}`,
  };
}

function placed(name: string, chosen: ChosenField, fields: readonly FieldShape[]): PlacementDecision {
  const others = fields.filter((field) => field.name !== chosen.field);
  const kept = others.length === 0 ? '' : `; every other field (${listed(others)}) is kept as it is`;
  return {
    placement: { kind: 'field', field: chosen.field },
    message: `The generated value replaces the \`${chosen.field}\` field of ${name} (${chosen.origin})${kept}.`,
  };
}

/** Field names as messages show them (six at most, cut to 30 characters): names only, and none that looks like a credential itself. */
function listed(fields: readonly FieldShape[]): string {
  const shown = fields
    .filter((field) => VALUE_FIELD.test(field.name) && findCredentialShape(field.name) === null)
    .slice(0, 6)
    .map((field) => (field.name.length > 30 ? `${field.name.slice(0, 29)}…` : field.name));
  const hidden = fields.length - shown.length;
  return hidden > 0 ? `${shown.join(', ')}${shown.length > 0 ? ' and ' : ''}${hidden} more` : shown.join(', ');
}

/** Kept short: the modal shows a finding's first 400 characters. */
function fieldFix(name: string): string {
  return `Name it with \`/secrets edit ${name}\` or \`rotor edit ${name} --value-field <field>\` (or \`value_fields\` in the policy); if a person writes the new value, choose issuer there (\`--value-source issuer\`, or the tag \`${VALUE_SOURCE_TAG}=issuer\`).`;
}

function issuerFix(name: string): string {
  return `If a person composes or issues the new value, choose issuer with \`/secrets edit ${name}\` or \`rotor edit ${name} --value-source issuer\` (or the tag \`${VALUE_SOURCE_TAG}=issuer\`).`;
}
