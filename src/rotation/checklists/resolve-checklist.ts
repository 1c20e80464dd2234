import { ValidationError } from '../../core/errors.js';
import type { Secret } from '../../inventory/secret.js';
import type { StoreKind } from '../../providers/store-kind.js';
import type { ChecklistSnapshot, ChecklistStep, StepFamily } from './checklist-step.js';
import { planChecklist, type ChecklistEntry, type PlannedStep } from './checklist-entry.js';
import { fillPlaceholders, placeholderValuesFor, type PlaceholderValues } from './checklist-placeholders.js';
import { actionFor, creationRouteOf, type ProviderFacts } from './creation-route.js';
import { emergencySteps, type RevocationOrder } from './emergency-template.js';
import { defaultRotationSteps, rotationSteps, targetRotationSteps } from './rotation-templates.js';
import { isIrreversibleOn, pickText, type CreationRoute, type StepDefinition } from './step-definition.js';

export interface ChecklistInput {
  secret: Pick<
    Secret,
    'name' | 'environment' | 'credentialType' | 'type' | 'provider' | 'providerRef' | 'consumers' | 'tags' | 'checklistOverride'
  > &
    Partial<Pick<Secret, 'valueSource'>>;
  /** The secret's store kind: what it can do and how it words its steps. */
  store: StoreKind;
  /** From `SecretProvider.describe`. */
  provider: ProviderFacts;
  /** The policy's `checklists:` (keyed by secret name or type) and `retention_hours`. */
  policy: { checklists: Readonly<Record<string, readonly ChecklistEntry[]>>; retentionHours: number };
  emergency: boolean;
  /** Emergency only; `replace_then_disable` unless the responder chose to disable now. */
  revocationOrder?: RevocationOrder;
}

/** Where a checklist came from, for the rotation's evidence. */
export type ChecklistSource = { kind: 'emergency' } | { kind: 'template' } | { kind: 'policy'; key: string } | { kind: 'secret_override' };

/**
 * The checklist a rotation snapshots when it starts. An emergency uses the emergency
 * checklist, which no override changes. Otherwise the first of: the policy's entry for the
 * secret's name, the secret's own `checklist_override`, the policy's entry for its type, the
 * type's template. Placeholders are resolved and the result frozen.
 */
export function resolveChecklist(input: ChecklistInput): ChecklistSnapshot {
  const route = creationRouteOf(input.secret, input.provider, input.store);
  const values = placeholderValuesFor(input.secret, input.store, input.policy.retentionHours, input.provider.valueField);
  const { type } = input.secret;
  if (input.emergency) {
    return freeze(
      emergencySteps(type, route.method, input.revocationOrder ?? 'replace_then_disable', input.provider.target ?? null).map((step) =>
        fromDefinition(step, route, true, values),
      ),
    );
  }
  const source = checklistSourceOf(input);
  if (source.kind === 'template' && input.provider.target && route.method === 'generate')
    return freeze(targetRotationSteps(type, input.provider.target).map((step) => fromDefinition(step, route, false, values)));
  if (source.kind === 'template')
    return freeze(defaultRotationSteps(type, route.method).map((step) => fromDefinition(step, route, false, values)));

  const entries =
    source.kind === 'policy'
      ? (input.policy.checklists[source.key] as readonly ChecklistEntry[])
      : (input.secret.checklistOverride as string[]);
  const catalog = new Map(rotationSteps(type).map((step) => [step.id, step]));
  const { steps, problems } = planChecklist(
    entries,
    new Map([...catalog].map(([id, step]) => [id, step.family])),
    input.store.references.placeholders,
  );
  if (problems.length > 0) {
    const where = source.kind === 'policy' ? `checklists.${source.key}` : 'checklist_override';
    const origin = source.kind === 'policy' ? `The policy's checklist \`${source.key}\`` : `The checklist override of ${input.secret.name}`;
    throw new ValidationError(
      `${origin} cannot be used for ${input.secret.name}; fix it before rotating.`,
      problems.map((problem) => ({ where: [where, ...problem.path].join('.'), message: problem.message })),
    );
  }
  return freeze(steps.map((step) => fromPlanned(step, catalog, route, values)));
}

export function checklistSourceOf(input: Pick<ChecklistInput, 'secret' | 'policy' | 'emergency'>): ChecklistSource {
  if (input.emergency) return { kind: 'emergency' };
  const { checklists } = input.policy;
  if (Object.hasOwn(checklists, input.secret.name)) return { kind: 'policy', key: input.secret.name };
  if (input.secret.checklistOverride && input.secret.checklistOverride.length > 0) return { kind: 'secret_override' };
  if (Object.hasOwn(checklists, input.secret.type)) return { kind: 'policy', key: input.secret.type };
  return { kind: 'template' };
}

function fromDefinition(step: StepDefinition, route: CreationRoute, emergency: boolean, values: PlaceholderValues): ChecklistStep {
  return {
    id: step.id,
    title: fillPlaceholders(pickText(step.title, route), values),
    detail: fillPlaceholders(pickText(step.detail, route), values),
    action: actionFor(step.family, route.method),
    required: step.required,
    gate: !emergency && isIrreversibleOn(step, route) ? 'approval' : null,
  };
}

function fromPlanned(
  step: PlannedStep,
  catalog: ReadonlyMap<string, StepDefinition>,
  route: CreationRoute,
  values: PlaceholderValues,
): ChecklistStep {
  if (step.kind === 'builtin') {
    const base = fromDefinition(catalog.get(step.id) as StepDefinition, route, false, values);
    return {
      ...base,
      title: step.title ?? base.title,
      detail: step.detail !== undefined ? fillPlaceholders(step.detail, values) : base.detail,
      required: step.required ?? base.required,
    };
  }
  const family: StepFamily | null = step.family;
  // A step of one's own that does a provider action is as irreversible as the built-in step doing it.
  const builtin = family === null ? undefined : [...catalog.values()].find((candidate) => candidate.family === family);
  return {
    id: step.id,
    title: step.title,
    detail: step.detail === null ? null : fillPlaceholders(step.detail, values),
    action: actionFor(family, route.method),
    required: step.required,
    gate: step.gate ?? (builtin && isIrreversibleOn(builtin, route) ? 'approval' : null),
  };
}

function freeze(steps: ChecklistStep[]): ChecklistSnapshot {
  return Object.freeze(steps.map((step) => Object.freeze(step)));
}
