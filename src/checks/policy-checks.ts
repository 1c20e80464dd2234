import type { Policy } from '../config/policy.js';
import type { SecretType } from '../inventory/secret.js';
import type { CheckSpec } from './check-spec.js';

/** The automated checks a secret's rotation runs: its type's (`checks.by_type`), then its own (`checks.by_secret`). */
export function checksFor(policy: Pick<Policy, 'checks'>, secretName: string, type: SecretType): readonly CheckSpec[] {
  return [...(policy.checks.byType[type] ?? []), ...(policy.checks.bySecret[secretName] ?? [])];
}
