import type { Secret } from '../../../inventory/secret.js';
import type { StoreKind } from '../../../providers/store-kind.js';

/**
 * How a consumer fetches the current version: the store's own line (the value never appears;
 * the line fetches it), and the secret's own instructions (all there is for a manual secret).
 * Plain text: the caller puts it in a code block.
 */
export function retrievalCommand(
  secret: Pick<Secret, 'name' | 'providerRef' | 'retrievalInstructions'>,
  store: StoreKind,
): { command: string | null; instructions: string | null } {
  return {
    command: secret.providerRef ? store.commands.retrieve(secret.name, secret.providerRef) : null,
    instructions: secret.retrievalInstructions,
  };
}
