import type { ProviderKind } from '../inventory/secret.js';
import type { VersionSummary } from '../providers/secret-provider.js';

/**
 * Whether the compromised version is still in service at its store, from a description read just
 * now: AWS, while it carries any staging label (`AWSCURRENT`, `AWSPREVIOUS`, …: consumers can
 * still fetch it by stage); Vault, while it is neither deleted nor destroyed. A version the store
 * no longer lists is gone. Returns what is still live, in words, or null when it is disabled.
 */
export function compromisedVersionLive(provider: Exclude<ProviderKind, 'manual'>, versionId: string, version: VersionSummary | null): string | null {
  if (!version) return null;
  if (provider === 'aws') {
    return version.labels.length > 0 ? `version ${versionId} still carries ${version.labels.join(', ')} in AWS Secrets Manager` : null;
  }
  if (version.labels.includes('deleted') || version.labels.includes('destroyed')) return null;
  return `version ${versionId} is still readable in Vault${version.labels.includes('current') ? ' (it is the current version)' : ''}`;
}
