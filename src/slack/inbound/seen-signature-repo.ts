import { inWriteTransaction, type Db } from '../../storage/database.js';
import { statement } from '../../storage/statements.js';

/**
 * The signatures of signed Slack requests seen within Slack's window, shared by every process
 * on the database and kept across restarts; each is forgotten once its request could not pass
 * the timestamp check any more.
 */
export class SeenSignatureRepo {
  constructor(private readonly db: Db) {}

  /**
   * Remembers a signature's digest until `expiresAt` (unix seconds) and prunes the expired ones;
   * false when the digest was already there: the request is a replay.
   */
  remember(digest: Buffer, expiresAt: number, nowSeconds: number): boolean {
    return inWriteTransaction(this.db, () => {
      statement(this.db, 'DELETE FROM slack_request_signatures WHERE expires_at < ?').run(nowSeconds);
      return statement(this.db, 'INSERT INTO slack_request_signatures (digest, expires_at) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING').run(digest, expiresAt).changes === 1;
    });
  }
}
