import { describe, expect, it } from 'vitest';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { AckFirstQueue } from '../../../src/slack/inbound/ack-first-queue.js';

/** Starts a turn and records, by name, when it came. */
function start(queue: AckFirstQueue, name: string, order: string[]): Promise<void> {
  return queue.turn().then(() => {
    order.push(name);
  });
}

describe('AckFirstQueue', () => {
  it('gives one piece of work its turn per loop iteration, in the order they asked', async () => {
    const queue = new AckFirstQueue({ nowMs: () => 0 });
    const order: string[] = [];
    const all = Promise.all(['a', 'b', 'c'].map((name) => start(queue, name, order)));
    expect(order).toEqual([]);
    await nextLoopTurn();
    expect(order).toEqual(['a']);
    expect(queue.size).toBe(2);
    await all;
    expect(order).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(0);
  });

  it('lets work that has waited maxWaitMs run at once, without yielding again', async () => {
    let now = 0;
    const queue = new AckFirstQueue({ maxWaitMs: 1_000, nowMs: () => now });
    const order: string[] = [];
    const old = ['a', 'b', 'c'].map((name) => start(queue, name, order));
    now = 500;
    const fresh = start(queue, 'd', order);
    now = 1_200;
    await Promise.all(old);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(1);
    await fresh;
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives work that waited too long at most overduePerTurn turns per iteration', async () => {
    let now = 0;
    const queue = new AckFirstQueue({ maxWaitMs: 1_000, overduePerTurn: 2, nowMs: () => now });
    const order: string[] = [];
    const all = ['a', 'b', 'c', 'd', 'e'].map((name) => start(queue, name, order));
    now = 1_000;
    await Promise.all(all.slice(0, 3));
    expect(order).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(2);
    await Promise.all(all);
  });

  it('never keeps more than maxWaiting pieces of work waiting', async () => {
    const queue = new AckFirstQueue({ maxWaiting: 2, nowMs: () => 0 });
    const order: string[] = [];
    const all = ['a', 'b', 'c', 'd', 'e'].map((name) => start(queue, name, order));
    await Promise.all(all.slice(0, 3));
    expect(order).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(2);
    await Promise.all(all);
  });
});
