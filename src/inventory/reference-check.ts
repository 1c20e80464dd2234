import type { Policy } from '../config/policy.js';
import { describeError, RotorError, ValidationError } from '../core/errors.js';
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

/**
 * Asks the store about a reference before the inventory points at it: it must resolve, and
 * Rotor's credentials must describe it and read its current value (fingerprinted in memory, the
 * value dropped), and it must lie in the accounts, regions or mounts the policy's
 * `reference_scope` allows. The store's own answer is what a refusal says.
 */
export class ReferenceChecker {
  constructor(private readonly deps: { registry: ProviderRegistry; policy: Policy }) {}

  async check(to: StoreBinding): Promise<CheckedReference> {
    if (this.deps.registry.stores.of(to.provider).capabilities.byHand)
      return { provider: to.provider, providerRef: to.providerRef, versionId: null, fingerprint: null, location: null };
    const where = to.providerRef ?? '(none)';
    let checked: CheckedReference;
    try {
      const { provider, target } = this.deps.registry.resolve(to);
      await provider.validateReference(target);
      const description = await provider.describe(target);
      const current = await provider.readCurrent(target);
      checked = {
        provider: to.provider,
        providerRef: to.providerRef,
        versionId: current.versionId,
        fingerprint: current.fingerprint,
        location: description.location ?? null,
      };
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

  /** Where the reference lies that the scope does not allow, or null: the store knows its scopes. */
  private outsideScope(to: StoreBinding, checked: CheckedReference): string | null {
    return this.deps.registry.stores
      .of(to.provider)
      .references.outsideScope(to.name, to.providerRef ?? '', checked.location, this.deps.policy.referenceScope);
  }
}
