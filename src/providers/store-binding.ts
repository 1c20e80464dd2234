import type { ProviderKind } from '../inventory/secret.js';

/**
 * Which store secret a flow acts on: the inventory name (for messages and the inventory's own
 * records) and the provider and reference captured when the flow started. A rotation or an
 * incident keeps its binding for its whole life, so an edit of the inventory entry meanwhile
 * can never point one of its provider calls at another store secret. A Secret is one too.
 */
export interface StoreBinding {
  name: string;
  provider: ProviderKind;
  providerRef: string | null;
}

/** Whether two bindings name the same reference, spelled the same way. */
export function sameBinding(a: Pick<StoreBinding, 'provider' | 'providerRef'>, b: Pick<StoreBinding, 'provider' | 'providerRef'>): boolean {
  return a.provider === b.provider && (a.providerRef ?? null) === (b.providerRef ?? null);
}

/** How a message names a binding: `aws prod/app/db`. */
export function describeBinding(binding: Pick<StoreBinding, 'provider' | 'providerRef'>): string {
  return binding.providerRef ? `${binding.provider} \`${binding.providerRef}\`` : binding.provider;
}
