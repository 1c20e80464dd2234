import type { Secret } from '../inventory/secret.js';
import type { StepAction, StepFamily } from './checklist-step.js';
import { valueSourceOf, type ValueSource, type ValueSourceSubject } from './value-source.js';

/**
 * How a rotation gets its new version, which decides every provider step's action:
 * - `manual`: a person does everything; no step has an action;
 * - `aws_generate` / `vault_generate`: Rotor creates a random value at the store;
 * - `aws_issuer` / `vault_issuer`: a person writes the issuer's value, Rotor detects it;
 * - `aws_rotation`: the secret has a rotation Lambda, so `RotateSecret` does the work.
 */
export const CREATION_ROUTES = ['manual', 'aws_generate', 'aws_issuer', 'aws_rotation', 'vault_generate', 'vault_issuer'] as const;
export type CreationRoute = (typeof CREATION_ROUTES)[number];

/** What the provider reports about the secret (`SecretProvider.describe`). */
export interface ProviderFacts {
  /** AWS only: a rotation function is configured. */
  rotationConfigured: boolean;
  /** The field a generated value goes in, as the preflight decided (src/rotation/value-field.ts); absent for a plain value or when nothing is generated. */
  valueField?: string | null;
}

export type CreationSubject = ValueSourceSubject & Pick<Secret, 'provider'>;

const STORE_ROUTES = {
  aws: { generate: 'aws_generate', issuer: 'aws_issuer' },
  vault: { generate: 'vault_generate', issuer: 'vault_issuer' },
} as const satisfies Record<'aws' | 'vault', Record<ValueSource, CreationRoute>>;

/**
 * A rotation Lambda wins over the value source: writing a value by hand would abandon the
 * rotation AWS drives. Vault never reports one.
 */
export function creationRouteOf(secret: CreationSubject, facts: ProviderFacts): CreationRoute {
  if (secret.provider === 'manual') return 'manual';
  if (secret.provider === 'aws' && facts.rotationConfigured) return 'aws_rotation';
  return STORE_ROUTES[secret.provider][valueSourceOf(secret)];
}

const CREATION_ACTIONS: Readonly<Record<CreationRoute, StepAction | null>> = {
  manual: null,
  aws_generate: 'create_version',
  vault_generate: 'create_version',
  aws_issuer: 'detect_version',
  vault_issuer: 'detect_version',
  aws_rotation: 'await_provider_rotation',
};

const FAMILY_ACTIONS: Readonly<Record<Exclude<StepFamily, 'creation'>, StepAction>> = {
  promote: 'promote',
  verify: 'verify',
  schedule_removal: 'schedule_removal',
  disable: 'disable_compromised',
};

/** The action a step of this family performs on this route; manual secrets have none. */
export function actionFor(family: StepFamily | null, route: CreationRoute): StepAction | null {
  if (family === null || route === 'manual') return null;
  return family === 'creation' ? CREATION_ACTIONS[route] : FAMILY_ACTIONS[family];
}
