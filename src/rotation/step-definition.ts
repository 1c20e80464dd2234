import type { StepFamily } from './checklist-step.js';
import type { CreationRoute } from './creation-route.js';

/**
 * Text that depends on how the rotation runs: one string, or variants keyed by route, by
 * value source (`generate`, `issuer`), by store (`aws`, `vault`, or `store` for either) and
 * `default`. The most specific key present wins.
 */
export type RouteText = string | Readonly<Partial<Record<RouteTextKey, string>>>;
export type RouteTextKey = CreationRoute | 'generate' | 'issuer' | 'aws' | 'vault' | 'store' | 'default';

const LOOKUP: Readonly<Record<CreationRoute, readonly RouteTextKey[]>> = {
  manual: ['manual', 'default'],
  aws_generate: ['aws_generate', 'generate', 'aws', 'store', 'default'],
  aws_issuer: ['aws_issuer', 'issuer', 'aws', 'store', 'default'],
  aws_rotation: ['aws_rotation', 'aws', 'store', 'default'],
  vault_generate: ['vault_generate', 'generate', 'vault', 'store', 'default'],
  vault_issuer: ['vault_issuer', 'issuer', 'vault', 'store', 'default'],
};

export function pickText(text: RouteText, route: CreationRoute): string {
  if (typeof text === 'string') return text;
  for (const key of LOOKUP[route]) {
    const found = text[key];
    if (found !== undefined) return found;
  }
  throw new Error(`A checklist text has no variant for the ${route} route.`);
}

/** A built-in step before it is resolved for one secret. */
export interface StepDefinition {
  id: string;
  /** Decides the provider action (none for manual secrets) and the approval gate. */
  family: StepFamily | null;
  title: RouteText;
  detail: RouteText;
  required: boolean;
  /** Routes whose default checklist includes the step; every route when absent. An override may still name it. */
  routes?: readonly CreationRoute[];
  /**
   * The step changes something outside the store, or writes to the store what is current at
   * once: it sets the credential at its issuer or target, switches production, or makes a write
   * consumers read immediately. `true` on every route, or the routes on which it does. Such a
   * step carries the approval gate: nothing of it may be done (ticked, skipped or run) before
   * the rotation's approvals are complete. An emergency rotation has no gate.
   */
  irreversible?: true | readonly CreationRoute[];
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
  /** The routes on which the step replaces the credential; every route when absent. */
  routes?: readonly CreationRoute[];
}

/** Whether the step changes something outside the store on this route (see {@link StepDefinition.irreversible}). */
export function isIrreversibleOn(step: Pick<StepDefinition, 'irreversible'>, route: CreationRoute): boolean {
  return step.irreversible === true || (step.irreversible?.includes(route) ?? false);
}
