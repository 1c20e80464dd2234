import { fixReferenceStep } from '../../core/next-step.js';
import { isWritingAction, OutcomeUnknownError, RotorError } from '../../core/errors.js';
import { AttemptTimeoutError } from '../call-with-retry.js';
import type { ProviderTarget } from '../secret-provider.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ERR_CANCELED',
]);
export const CAS_MISMATCH = 'check-and-set parameter did not match the current version';

interface VaultErrorShape {
  code?: string;
  message?: string;
  response?: { statusCode?: number; body?: { errors?: unknown } };
}

function shapeOf(error: unknown): VaultErrorShape {
  return typeof error === 'object' && error !== null ? (error as VaultErrorShape) : {};
}

export function vaultStatusOf(error: unknown): number | undefined {
  return shapeOf(error).response?.statusCode;
}

function vaultErrorsOf(error: unknown): string[] {
  const errors = shapeOf(error).response?.body?.errors;
  return Array.isArray(errors) ? errors.map(String) : [];
}

/** 429, 5xx (sealed, standby), 412 (replica not caught up), timeouts and dropped connections. */
export function isTransientVaultError(error: unknown): boolean {
  if (error instanceof AttemptTimeoutError) return true;
  const status = vaultStatusOf(error);
  if (status !== undefined) return status === 429 || status === 412 || status >= 500;
  return NETWORK_CODES.has(shapeOf(error).code ?? '');
}

/** Translates a node-vault failure into a message that names the secret and what to do. */
export function translateVaultError(error: unknown, target: ProviderTarget, action: string): RotorError {
  if (error instanceof RotorError) return error;
  const secret = target.secretName;
  const ref = target.providerRef;
  const failed = `Could not ${action} ${secret} in Vault`;
  const status = vaultStatusOf(error);
  const errors = vaultErrorsOf(error);
  const detail = errors.join('; ');
  if (error instanceof AttemptTimeoutError || shapeOf(error).code === 'ECONNABORTED') {
    if (isWritingAction(action))
      return new OutcomeUnknownError(
        'provider_unavailable',
        `${failed}: Vault did not answer in time, so whether it was done is unknown.`,
        { cause: error },
      );
    return new RotorError(
      'provider_unavailable',
      `${failed}: Vault did not answer in time. Nothing was recorded; try again in a few minutes (the step can be resumed).`,
      { cause: error },
    );
  }
  if (status === undefined) {
    const code = shapeOf(error).code ?? 'no response';
    return new RotorError(
      'provider_unavailable',
      `${failed}: Vault cannot be reached (${code}). Nothing was recorded; check VAULT_ADDR and network access, then try again.`,
      { cause: error },
    );
  }
  if (status === 403) {
    return new RotorError(
      'forbidden',
      `${failed}: permission denied for ${ref}. Check VAULT_TOKEN (and VAULT_NAMESPACE) and that its policy grants the capabilities listed in the README on this path.`,
      { cause: error },
    );
  }
  if (status === 404) {
    return new RotorError('not_found', `${secret} points to ${ref}, which does not exist in Vault.`, {
      cause: error,
      next: fixReferenceStep(secret, { purpose: 'or write the secret in Vault first' }),
    });
  }
  if (status === 400 && errors.some((message) => message.includes(CAS_MISMATCH))) {
    return new RotorError(
      'conflict',
      `${failed}: someone wrote a new version of ${ref} meanwhile (check-and-set did not match). Nothing was recorded; run \`rotor sync\` to pick up that version, then try again.`,
      { cause: error },
    );
  }
  if (isTransientVaultError(error)) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: Vault is unavailable (${status}${detail ? `: ${detail}` : ''}). Nothing was recorded; try again later.`,
      { cause: error },
    );
  }
  return new RotorError(
    'provider',
    `${failed}: Vault answered ${status}${detail ? ` (${detail})` : ''}. Nothing was recorded; check the reference ${ref} and Vault's logs, then try again.`,
    { cause: error },
  );
}
