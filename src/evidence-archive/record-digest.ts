import type { AuditChainHead } from '../audit/audit-trail-repo.js';
import { canonicalJson } from '../audit/audit-event.js';
import { evidenceDigest, type EvidenceKind } from './archive-layout.js';

/**
 * The digest that ties a record to the audit chain: sha256 over the canonical JSON of what it
 * is about and the position and hash of every event it cites. `rotor evidence verify` recomputes
 * it from the chain as it is now; an event removed or rewritten since gives another digest.
 */
export function recordDigest(kind: EvidenceKind, subject: string, positions: readonly AuditChainHead[]): string {
  return evidenceDigest(canonicalJson({ kind, subject, positions: positions.map((position) => [position.seq, position.hash]) }));
}
