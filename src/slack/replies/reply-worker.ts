/**
 * A reply worker: a thread of its own, with its own heap and event loop, that makes read-only
 * replies (query, Block Kit, the POST to response_url) so the acknowledging thread does not.
 * It opens the database read-only; every write stays with the main thread's single connection.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InventoryRepo } from '../../inventory/inventory-repo.js';
import { openDatabase } from '../../storage/database.js';
import { answerRead } from './answer-read.js';
import type { ReplyJob, ReplyWorkerData, WorkerMessage } from './reply-protocol.js';

/** A small page cache: a reply walks an index for one page of rows. */
const CACHE_MIB = 2;

if (parentPort) {
  const port = parentPort;
  const data = workerData as ReplyWorkerData;
  const db = openDatabase(data.dbPath, { readonly: true, migrate: false, cacheMiB: CACHE_MIB });
  const inventory = new InventoryRepo(db);
  const send = (message: WorkerMessage) => port.postMessage(message);
  port.on('message', (job: ReplyJob) => {
    void answerRead(inventory, job, data.dueSoonDays).then((outcome) => send({ type: 'done', id: job.id, ...outcome }));
  });
  send({ type: 'ready' });
}
