import type { Secret } from '../../src/inventory/secret.js';
import type { ChecklistInput } from '../../src/rotation/resolve-checklist.js';
import type { CreationRoute } from '../../src/rotation/creation-route.js';
import type { ChecklistSnapshot } from '../../src/rotation/checklist-step.js';

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
    provider: { rotationConfigured: false },
    policy: { checklists: {}, retentionHours: 48 },
    emergency: false,
    ...options,
  };
}

/** The inputs that lead to each creation route (a generated value is tagged, so every type has one). */
export function routeInput(route: CreationRoute, secret: ChecklistSecret): ChecklistInput {
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
  return steps.map((step) => `${step.id}${step.action ? `=${step.action}` : ''}${step.gate ? '!' : ''}${step.required ? '' : '?'}`).join(' ');
}
