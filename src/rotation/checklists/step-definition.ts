import type { StoreCreationMethod, StoreKind, StoreStepTexts } from '../../providers/store-kind.js';
import type { StepFamily } from './checklist-step.js';

/**
 * How a rotation gets its new version, whatever the store:
 * - `manual`: a person does everything at the issuer; no step has an action;
 * - `generate`: Rotor creates a random value at the store;
 * - `issuer`: a person writes the issuer's value to the store, Rotor detects it;
 * - `store_rotation`: the store runs the secret's own rotation function, and Rotor waits for it.
 */
export const CREATION_METHODS = ['manual', 'generate', 'issuer', 'store_rotation'] as const;
export type CreationMethod = (typeof CREATION_METHODS)[number];

/** A method on a store: what decides every step's action and wording. */
export interface CreationRoute {
  method: CreationMethod;
  store: StoreKind;
}

/**
 * Text that depends on how the rotation runs: one string, or variants. The store's own wording
 * (`fromStore`) is asked first; then the method's (`manual`, `generate`, `issuer`,
 * `store_rotation`), then `store` (any method but manual), then `default`.
 */
export type RouteText = string | RouteVariants;
export interface RouteVariants extends Readonly<Partial<Record<CreationMethod | 'store' | 'default', string>>> {
  readonly fromStore?: (texts: StoreStepTexts, method: StoreCreationMethod) => string | undefined;
}

export function pickText(text: RouteText, route: CreationRoute): string {
  if (typeof text === 'string') return text;
  const { method } = route;
  const own = method === 'manual' ? undefined : text.fromStore?.(route.store.texts, method);
  if (own !== undefined) return own;
  for (const key of method === 'manual' ? (['manual', 'default'] as const) : ([method, 'store', 'default'] as const)) {
    const found = text[key];
    if (found !== undefined) return found;
  }
  throw new Error(`A checklist text has no variant for the ${method} method on ${route.store.kind}.`);
}

/**
 * Where a step is irreversible: on these methods, and with `written_current`, on the generate
 * and issuer methods of a store whose written version is current at once (Vault KV v2).
 */
export type IrreversibleOn = CreationMethod | 'written_current';

/** A built-in step before it is resolved for one secret. */
export interface StepDefinition {
  id: string;
  /** Decides the provider action (none for manual secrets) and the approval gate. */
  family: StepFamily | null;
  title: RouteText;
  detail: RouteText;
  required: boolean;
  /** Methods whose default checklist includes the step; every method when absent. An override may still name it. */
  routes?: readonly CreationMethod[];
  /**
   * The step changes something outside the store, or writes to the store what is current at
   * once: it sets the credential at its issuer or target, switches production, or makes a write
   * consumers read immediately. `true` on every route, or where it does. Such a step carries the
   * approval gate: nothing of it may be done (ticked, skipped or run) before the rotation's
   * approvals are complete. An emergency rotation has no gate.
   */
  irreversible?: true | readonly IrreversibleOn[];
  /**
   * Once this step is done the previous credential no longer works where it set the new one (a
   * single-user database password after ALTER USER): the previous version does not stay valid,
   * and a rollback must first set it there again, which a person confirms.
   */
  undo?: TargetUndo;
}

/** What a rollback must do at the target before the store moves back. */
export interface TargetUndo {
  /** What the person confirms, past tense, at most 75 characters (a checkbox's text). */
  label: string;
  /** How, with the commands. */
  detail: string;
  /** The methods on which the step replaces the credential; every method when absent. */
  routes?: readonly CreationMethod[];
}

/** Whether the step changes something outside the store on this route (see {@link StepDefinition.irreversible}). */
export function isIrreversibleOn(step: Pick<StepDefinition, 'irreversible'>, route: CreationRoute): boolean {
  if (step.irreversible === true) return true;
  const on = step.irreversible ?? [];
  const writtenCurrent = route.store.capabilities.promotesOnCreate && (route.method === 'generate' || route.method === 'issuer');
  return on.includes(route.method) || (writtenCurrent && on.includes('written_current'));
}

/** Whether the step belongs to the default checklist of this method. */
export function isOnRoute(step: Pick<StepDefinition, 'routes'>, method: CreationMethod): boolean {
  return step.routes === undefined || step.routes.includes(method);
}
