/**
 * A reply worker: a thread of its own, with its own heap and event loop, that makes read-only
 * replies (query, visibility, Block Kit, the POST to response_url) so the acknowledging thread
 * does not. It opens the database read-only; what a read leads to writing (a refusal's audit
 * event, Slack's user groups) it asks of the main thread, whose single connection writes.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { UserGroupRepo } from '../../access/user-group-repo.js';
import { InventoryRepo } from '../../inventory/inventory-repo.js';
import { RotationNeedRepo } from '../../rotation-needs/rotation-need-repo.js';
import { openDatabase } from '../../storage/database.js';
import { answerRead, type ReplyContext } from './answer-read.js';
import type { MainThreadAsk, ReplyWorkerData, ToWorker, WorkerMessage } from './reply-protocol.js';

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
  const send = (message: WorkerMessage) => port.postMessage(message);
  const asked = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let nextAsk = 1;
  const ask = (question: MainThreadAsk) =>
    new Promise<void>((resolve, reject) => {
      const askId = nextAsk++;
      asked.set(askId, { resolve, reject });
      send({ type: 'ask', askId, ask: question });
    });
  const context: ReplyContext = {
    reads: { inventory: new InventoryRepo(db), needs: new RotationNeedRepo(db), userGroups: new UserGroupRepo(db) },
    policy: data.policy,
    dueSoonDays: data.dueSoonDays,
    main: {
      recordRefusals: (refusals) => ask({ kind: 'record-refusals', refusals: [...refusals] }),
      refreshUserGroups: () => ask({ kind: 'refresh-user-groups' }),
    },
  };
  port.on('message', (message: ToWorker) => {
    if (message.type === 'answer') {
      const waiting = asked.get(message.askId);
      asked.delete(message.askId);
      if (message.ok) waiting?.resolve();
      else waiting?.reject(new Error(`the main thread could not do it: ${message.error}`));
      return;
    }
    const { job } = message;
    void answerRead(context, job).then((outcome) => send({ type: 'done', id: job.id, ...outcome }));
  });
  send({ type: 'ready' });
}
