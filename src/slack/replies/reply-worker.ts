/**
 * A reply worker: a thread of its own, with its own heap and event loop, that makes read-only
 * replies (query, Block Kit, the POST to response_url) so the acknowledging thread does not.
 * It opens the database read-only; every write stays with the main thread's single connection.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { InventoryRepo } from '../../inventory/inventory-repo.js';
import { openDatabase } from '../../storage/database.js';
import { answerRead } from './answer-read.js';
import type { ReplyJob, ReplyWorkerData, WorkerMessage } from './reply-protocol.js';

/** A small page cache: a reply walks an index for one page of rows. */
const CACHE_MIB = 2;
/**
 * The worker's nice value. When the cores are busy, an ack must not wait for a reply: a reply may
 * come minutes later, an ack not later than 3 s. On Linux a priority set with pid 0 is this
 * thread's alone; elsewhere it would be the whole process's, so it is left alone there.
 */
const WORKER_NICE = 10;

if (parentPort) {
  const port = parentPort;
  const data = workerData as ReplyWorkerData;
  if (process.platform === 'linux') setPriority(WORKER_NICE);
  const db = openDatabase(data.dbPath, { readonly: true, migrate: false, cacheMiB: CACHE_MIB });
  const inventory = new InventoryRepo(db);
  const send = (message: WorkerMessage) => port.postMessage(message);
  port.on('message', (job: ReplyJob) => {
    void answerRead(inventory, job, data.dueSoonDays).then((outcome) => send({ type: 'done', id: job.id, ...outcome }));
  });
  send({ type: 'ready' });
}
