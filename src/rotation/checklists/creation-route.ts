import type { TargetDescription } from '../../targets/target-description.js';
import type { StoreKind } from '../../providers/store-kind.js';
import type { StepAction, StepFamily } from './checklist-step.js';
import type { CreationMethod, CreationRoute } from './step-definition.js';
import { valueSourceOf, type ValueSourceSubject } from './value-source.js';

/** What the store reports about the secret (`SecretProvider.describe`), and what the preflight decided. */
export interface ProviderFacts {
  /** The store runs a rotation function for this secret (AWS: a rotation Lambda is configured). */
  rotationConfigured: boolean;
  /** The field a generated value goes in, as the preflight decided (src/rotation/checklists/value-field.ts); absent for a plain value or when nothing is generated. */
  valueField?: string | null;
  /** Where Rotor sets the credential, when the preflight found a target: the checklist gets the target steps. */
  target?: TargetDescription | null;
}

export type CreationSubject = ValueSourceSubject;

/**
 * A by-hand store is rotated by hand; a store's own rotation function wins over the value
 * source (writing a value by hand would abandon the rotation the store drives); otherwise the
 * value source decides.
 */
export function creationRouteOf(secret: CreationSubject, facts: ProviderFacts, store: StoreKind): CreationRoute {
  if (store.capabilities.byHand) return { method: 'manual', store };
  if (store.capabilities.storeRotation && facts.rotationConfigured) return { method: 'store_rotation', store };
  return { method: valueSourceOf(secret), store };
}

const CREATION_ACTIONS: Readonly<Record<CreationMethod, StepAction | null>> = {
  manual: null,
  generate: 'create_version',
  issuer: 'detect_version',
  store_rotation: 'await_provider_rotation',
};

const FAMILY_ACTIONS: Readonly<Record<Exclude<StepFamily, 'creation'>, StepAction>> = {
  promote: 'promote',
  verify: 'verify',
  schedule_removal: 'schedule_removal',
  disable: 'disable_compromised',
  set_at_target: 'set_at_target',
  verify_at_target: 'verify_at_target',
  lock_at_target: 'lock_at_target',
};

/** The action a step of this family performs on this method; manual secrets have none. */
export function actionFor(family: StepFamily | null, method: CreationMethod): StepAction | null {
  if (family === null || method === 'manual') return null;
  return family === 'creation' ? CREATION_ACTIONS[method] : FAMILY_ACTIONS[family];
}

/** The method whose creation step performs `action`. */
export function methodOfCreation(action: StepAction | null): CreationMethod {
  const found = (Object.entries(CREATION_ACTIONS) as [CreationMethod, StepAction | null][]).find(([, creation]) => creation === action);
  return found ? found[0] : 'manual';
}
