/** Waits for a number of milliseconds; injected so tests record Retry-After waits without sitting through them. */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` over `items` with at most `concurrency` in flight. When one send is rate limited,
 * `pause` holds every worker's next send until the Retry-After has passed, as Slack asks: the
 * limit is per method and workspace, not per worker.
 */
export class DeliveryQueue {
  private gate: Promise<void> = Promise.resolve();

  constructor(
    private readonly concurrency: number,
    private readonly sleep: Sleep,
  ) {}

  async run<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
  }

  /** Resolves when no pause is in force. */
  ready(): Promise<void> {
    return this.gate;
  }

  pause(ms: number): Promise<void> {
    const until = this.sleep(ms);
    this.gate = Promise.all([this.gate, until]).then(() => undefined);
    return this.gate;
  }
}
