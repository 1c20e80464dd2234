import type { Policy } from '../config/policy.js';
import { describeError, RotorError, ValidationError } from '../core/errors.js';
import { parseVaultSecretRef } from '../providers/vault/vault-secret-ref.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import type { StoreBinding } from '../providers/store-binding.js';
import type { ProviderKind } from './secret.js';

/** A reference the store's port vouched for: it resolves, Rotor may describe and read it, and it lies within the policy's scope. */
export interface CheckedReference {
  provider: ProviderKind;
  providerRef: string | null;
  /** The store's current version when checked, and its fingerprint: the secret's current version from the change on. */
  versionId: string | null;
  fingerprint: string | null;
  /** The store's own full name for it (an AWS ARN), when it gives one. */
  location: string | null;
}

const AWS_ARN = /^arn:[^:]+:secretsmanager:([^:]+):(\d{12}):secret:/;

/**
 * Asks the store about a reference before the inventory points at it: it must resolve, and
 * Rotor's credentials must describe it and read its current value (fingerprinted in memory, the
 * value dropped), and it must lie in the accounts, regions or mounts the policy's
 * `reference_scope` allows. The store's own answer is what a refusal says.
 */
export class ReferenceChecker {
  constructor(private readonly deps: { registry: ProviderRegistry; policy: Policy }) {}

  async check(to: StoreBinding): Promise<CheckedReference> {
    if (to.provider === 'manual') return { provider: 'manual', providerRef: to.providerRef, versionId: null, fingerprint: null, location: null };
    const where = to.providerRef ?? '(none)';
    let checked: CheckedReference;
    try {
      const { provider, target } = this.deps.registry.resolve(to);
      await provider.validateReference(target);
      const description = await provider.describe(target);
      const current = await provider.readCurrent(target);
      checked = { provider: to.provider, providerRef: to.providerRef, versionId: current.versionId, fingerprint: current.fingerprint, location: description.location ?? null };
    } catch (error) {
      if (!(error instanceof RotorError)) throw error;
      const message = `The store's answer for \`${where}\`: ${describeError(error)} Nothing was saved.`;
      throw new ValidationError(message, [{ where: 'provider_ref', message }], { cause: error });
    }
    const outside = this.outsideScope(to, checked);
    if (outside) {
      const message = `\`${where}\` is ${outside}, outside what the policy's reference_scope allows. Nothing was saved.`;
      throw new ValidationError(message, [{ where: 'provider_ref', message }]);
    }
    return checked;
  }

  /** Where the reference lies that the scope does not allow, or null. */
  private outsideScope(to: StoreBinding, checked: CheckedReference): string | null {
    const scope = this.deps.policy.referenceScope;
    if (to.provider === 'vault') {
      if (scope.vaultMounts.length === 0) return null;
      const mount = parseVaultSecretRef(to.name, to.providerRef ?? '').mount;
      return scope.vaultMounts.includes(mount) ? null : `in the Vault mount ${mount}`;
    }
    if (scope.awsAccounts.length === 0 && scope.awsRegions.length === 0) return null;
    const arn = checked.location ? AWS_ARN.exec(checked.location) : null;
    if (!arn) return 'a secret whose account and region AWS did not give';
    const [, region, account] = arn as unknown as [string, string, string];
    if (scope.awsAccounts.length > 0 && !scope.awsAccounts.includes(account)) return `in the AWS account ${account}`;
    if (scope.awsRegions.length > 0 && !scope.awsRegions.includes(region)) return `in the AWS region ${region}`;
    return null;
  }
}
