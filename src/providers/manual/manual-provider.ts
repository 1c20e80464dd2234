import { RotorError } from '../../core/errors.js';
import type {
  CreatedVersion,
  DisabledVersion,
  DiscoveredSecret,
  SecretDescription,
  SecretProvider,
  ValueShape,
  VersionFingerprint,
  ProviderTarget,
} from '../secret-provider.js';

/**
 * Secrets rotated by hand at a third party. Rotor performs nothing here: people tick the steps
 * and the rotation flow records what they ticked. Operations a store would perform answer
 * with a message saying the step is done by hand.
 */
export class ManualProvider implements SecretProvider {
  readonly kind = 'manual' as const;

  async validateReference(): Promise<void> {}

  async describe(): Promise<SecretDescription> {
    return {
      current: null,
      others: [],
      lastRotatedAt: null,
      lastChangedAt: null,
      tags: {},
      rotationConfigured: false,
      limits: { maxVersions: null, deleteVersionAfterSeconds: null },
    };
  }

  describeShape(target: ProviderTarget): Promise<ValueShape> {
    return byHand(target, 'Create the new value');
  }

  createVersion(target: ProviderTarget): Promise<CreatedVersion> {
    return byHand(target, 'Create the new value');
  }

  promote(target: ProviderTarget): Promise<void> {
    return byHand(target, 'Switch to the new value');
  }

  readCurrent(target: ProviderTarget): Promise<VersionFingerprint> {
    return byHand(target, 'Check the new value');
  }

  readVersion(target: ProviderTarget): Promise<VersionFingerprint> {
    return byHand(target, 'Check the new value');
  }

  restoreVersion(target: ProviderTarget): Promise<VersionFingerprint> {
    return byHand(target, 'Switch back to the previous value');
  }

  deprecateVersion(target: ProviderTarget): Promise<void> {
    return byHand(target, 'Remove the old value');
  }

  disableVersion(target: ProviderTarget): Promise<DisabledVersion> {
    return byHand(target, 'Revoke the compromised value');
  }

  async listForDiscovery(): Promise<DiscoveredSecret[]> {
    return [];
  }
}

function byHand(target: ProviderTarget, step: string): Promise<never> {
  return Promise.reject(
    new RotorError(
      'validation',
      `${target.secretName} is rotated by hand: ${step.toLowerCase()} at the issuer yourself, then tick the step in the checklist.`,
    ),
  );
}
