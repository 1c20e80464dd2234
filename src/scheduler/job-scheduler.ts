import cron, { type ScheduledTask } from 'node-cron';
import { RotorError } from '../core/errors.js';

/** One named job of the bot: what runs, when, and whether it also runs at start-up. */
export interface JobDefinition {
  name: string;
  /** Cron expression (node-cron syntax, five or six fields), evaluated in UTC. */
  schedule: string;
  runAtStart: boolean;
  run(): Promise<void>;
}

export interface JobLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

/**
 * A declarative job table on node-cron. A tick that comes while the job's previous run is still
 * going is skipped (and logged), never queued: a slow sweep must not pile up behind itself. A
 * job's own errors are its business (the reminder job reports them); the scheduler only logs.
 */
export class JobScheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly jobs: readonly JobDefinition[],
    private readonly logger: JobLogger,
  ) {
    for (const job of jobs) {
      if (!cron.validate(job.schedule)) {
        throw new RotorError(
          'config',
          `The schedule of job ${job.name} ("${job.schedule}") is not a valid cron expression, e.g. */15 * * * *.`,
        );
      }
    }
  }

  /** Schedules every job and starts the start-up runs; resolves once those start-up runs finish. */
  async start(): Promise<void> {
    for (const job of this.jobs) {
      const task = cron.createTask(job.schedule, () => this.trigger(job.name), { name: job.name, timezone: 'UTC' });
      task.start();
      this.tasks.push(task);
    }
    await Promise.all(this.jobs.filter((job) => job.runAtStart).map((job) => this.trigger(job.name)));
  }

  /** Runs a job now unless it is already running; resolves when this run (or the one in flight) ends. */
  trigger(name: string): Promise<void> {
    const inFlight = this.running.get(name);
    if (inFlight) {
      this.logger.warn({ job: name }, 'skipped a tick: the previous run is still going');
      return inFlight;
    }
    const job = this.jobs.find((candidate) => candidate.name === name);
    if (!job) return Promise.reject(new RotorError('not_found', `No job named ${name}.`));
    const run = job
      .run()
      .catch((error: unknown) => this.logger.error({ job: name, err: error }, 'job failed'))
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** Stops the timers and waits for runs in flight, for a clean SIGTERM. */
  async stop(): Promise<void> {
    for (const task of this.tasks.splice(0)) await task.destroy();
    await Promise.all(this.running.values());
  }
}

/** The longest gap between two consecutive runs of a schedule, over its next `sample` runs. */
export function longestInterval(schedule: string, sample = 100): number {
  const task = cron.createTask(schedule, () => undefined, { timezone: 'UTC' });
  try {
    const runs = task.getNextRuns(sample).map((date) => date.getTime());
    let longest = 0;
    for (let index = 1; index < runs.length; index += 1) longest = Math.max(longest, (runs[index] as number) - (runs[index - 1] as number));
    return longest;
  } finally {
    void task.destroy();
  }
}
