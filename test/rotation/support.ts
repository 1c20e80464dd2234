import type { Secret } from '../../src/inventory/secret.js';
import { BUILT_IN_STORES } from '../../src/providers/store-catalog.js';
import type { ChecklistInput } from '../../src/rotation/checklists/resolve-checklist.js';
import type { ChecklistSnapshot } from '../../src/rotation/checklists/checklist-step.js';
import type { CreationRoute } from '../../src/rotation/checklists/step-definition.js';

/** The routes the tests try, by the names they print: a method on a built-in store (`aws_rotation`: AWS's own rotation function). */
export const ROUTES = ['manual', 'aws_generate', 'aws_issuer', 'aws_rotation', 'vault_generate', 'vault_issuer'] as const;
export type RouteName = (typeof ROUTES)[number];

/** The route a name stands for. */
export function routeNamed(name: RouteName): CreationRoute {
  if (name === 'manual') return { method: 'manual', store: BUILT_IN_STORES.of('manual') };
  const [store, method] = name.split('_') as [string, string];
  return { method: method === 'rotation' ? 'store_rotation' : (method as CreationRoute['method']), store: BUILT_IN_STORES.of(store) };
}

/** A route's name as the tests print it. */
export function routeNameOf(route: CreationRoute): string {
  return route.method === 'manual' ? 'manual' : `${route.store.kind}_${route.method === 'store_rotation' ? 'rotation' : route.method}`;
}

export type ChecklistSecret = ChecklistInput['secret'];

export function secretFor(overrides: Partial<Secret> = {}): ChecklistSecret {
  const name = overrides.name ?? 'prod/app/password';
  const [environment = 'prod', , credentialType = 'password'] = name.split('/');
  return {
    name,
    environment,
    credentialType,
    type: 'database',
    provider: 'aws',
    providerRef: 'eu-west-1:prod/app/db',
    consumers: ['backend', 'celery'],
    tags: {},
    checklistOverride: null,
    ...overrides,
  };
}

export function inputFor(secret: ChecklistSecret, options: Partial<Omit<ChecklistInput, 'secret'>> = {}): ChecklistInput {
  return {
    secret,
    store: BUILT_IN_STORES.of(secret.provider),
    provider: { rotationConfigured: false },
    policy: { checklists: {}, retentionHours: 48 },
    emergency: false,
    ...options,
  };
}

/** The inputs that lead to each creation route (a generated value is tagged, so every type has one). */
export function routeInput(route: RouteName, secret: ChecklistSecret): ChecklistInput {
  const tagged = (source: string) => ({ ...secret, tags: { ...secret.tags, 'rotor:value_source': source } });
  switch (route) {
    case 'manual':
      return inputFor({ ...secret, provider: 'manual', providerRef: null });
    case 'aws_generate':
      return inputFor({ ...tagged('generate'), provider: 'aws', providerRef: 'prod/app/db' });
    case 'aws_issuer':
      return inputFor({ ...tagged('issuer'), provider: 'aws', providerRef: 'prod/app/db' });
    case 'aws_rotation':
      return inputFor({ ...secret, provider: 'aws', providerRef: 'prod/app/db' }, { provider: { rotationConfigured: true } });
    case 'vault_generate':
      return inputFor({ ...tagged('generate'), provider: 'vault', providerRef: 'secret/prod/app/db' });
    case 'vault_issuer':
      return inputFor({ ...tagged('issuer'), provider: 'vault', providerRef: 'secret/prod/app/db' });
  }
}

/** `id`, then `=action` for a provider step, `!` for the approval gate, `?` for an optional step. */
export function outline(steps: ChecklistSnapshot): string {
  return steps
    .map((step) => `${step.id}${step.action ? `=${step.action}` : ''}${step.gate ? '!' : ''}${step.required ? '' : '?'}`)
    .join(' ');
}
