import type { HmacKeyring } from '../core/hmac-keyring.js';
import { keyedScheme } from './audit-event.js';

/**
 * A statement of the audit log's head, published outside the database (the log stream, the
 * announcement channel) so that a later `rotor audit verify --expect-head SEQ:HASH` can prove
 * the chain still holds it: removing or rewriting events after the fact no longer goes unseen.
 */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** When the checkpoint was made (ISO, UTC). */
  at: string;
  /** `hmac-sha256:<key id>` when signed with ROTOR_AUDIT_KEY; `unsigned` without a key. */
  scheme: string;
  /** HMAC-SHA256 of checkpointText, hex; null when unsigned. */
  mac: string | null;
}

export const UNSIGNED = 'unsigned';

/**
 * The exact text a checkpoint's MAC covers, so anyone holding the key can check one by hand:
 * `printf '%s' 'rotor audit checkpoint 42 <hash> <at>' | openssl dgst -sha256 -hmac "$KEY"`.
 */
export function checkpointText(checkpoint: Pick<AuditCheckpoint, 'seq' | 'hash' | 'at'>): string {
  return `rotor audit checkpoint ${checkpoint.seq} ${checkpoint.hash} ${checkpoint.at}`;
}

/** The checkpoint of `head` at `at`, signed with the audit key when there is one. */
export function buildCheckpoint(head: { seq: number; hash: string }, at: string, keys: HmacKeyring | null): AuditCheckpoint {
  const statement = { seq: head.seq, hash: head.hash, at };
  if (!keys) return { ...statement, scheme: UNSIGNED, mac: null };
  return { ...statement, scheme: keyedScheme(keys.current.id), mac: keys.current.mac(checkpointText(statement)) };
}
