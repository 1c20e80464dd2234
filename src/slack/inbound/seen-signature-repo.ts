import type { Db } from '../../storage/database.js';
import { statement } from '../../storage/statements.js';

/**
 * Expired signatures are deleted at most this often: one kept a little longer is harmless, since
 * its request's timestamp is refused before the replay check ever reads it.
 */
const PRUNE_EVERY_SECONDS = 60;

/**
 * The signatures of signed Slack requests seen within Slack's window, shared by every process
 * on the database and kept across restarts; each is forgotten once its request could not pass
 * the timestamp check any more.
 */
export class SeenSignatureRepo {
  private nextPruneAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly db: Db) {}

  /**
   * Remembers a signature's digest until `expiresAt` (unix seconds), now and then pruning the
   * expired ones; false when the digest was already there: the request is a replay. One
   * statement, so one write per request.
   */
  remember(digest: Buffer, expiresAt: number, nowSeconds: number): boolean {
    if (nowSeconds >= this.nextPruneAt) {
      statement(this.db, 'DELETE FROM slack_request_signatures WHERE expires_at < ?').run(nowSeconds);
      this.nextPruneAt = nowSeconds + PRUNE_EVERY_SECONDS;
    }
    return (
      statement(this.db, 'INSERT INTO slack_request_signatures (digest, expires_at) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING').run(
        digest,
        expiresAt,
      ).changes === 1
    );
  }
}
