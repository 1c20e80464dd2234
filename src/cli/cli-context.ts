import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { cliActor, type Actor } from '../access/actor.js';
import { loadCoreEnv, type CoreEnv } from '../config/env.js';
import { loadPolicy } from '../config/policy.js';
import { FixedClock, systemClock, type Clock } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import { createLogger } from '../logging/logger.js';
import { createProviderRegistryFromEnv } from '../providers/provider-factory.js';
import { createRuntime, type Runtime } from '../runtime.js';
import type { Services } from '../services.js';
import { openDatabase } from '../storage/database.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/**
 * What every command needs, built on first use so `--help` and usage errors never touch the
 * database. Global options (`--db`, `--config`) win over the environment.
 */
export class CliContext {
  private built: Runtime | null = null;
  private coreEnv: CoreEnv | null = null;

  constructor(
    readonly io: CliIo,
    private readonly options: () => { db?: string; config?: string },
  ) {}

  get env(): CoreEnv {
    this.coreEnv ??= loadCoreEnv(this.io.env);
    return this.coreEnv;
  }

  get databasePath(): string {
    return this.options().db ?? this.env.ROTOR_DB;
  }

  /**
   * The runtime over the database, with the clock standing at `at` when given. When the file
   * does not exist yet, only commands that fill a database may create it (`create`); a dry run
   * works on an empty in-memory one (`empty`); everything else refuses, so a mistyped ROTOR_DB
   * never answers "No secrets." from a file it just made. Slack is reached only when
   * SLACK_BOT_TOKEN is set; providers come from the environment as the bot's do.
   */
  runtime(at?: string, options: { ifMissing?: 'create' | 'empty' | 'refuse' } = {}): Runtime {
    if (!this.built) {
      let path = this.databasePath;
      if (path !== ':memory:' && !existsSync(path)) {
        const ifMissing = options.ifMissing ?? 'refuse';
        if (ifMissing === 'refuse') {
          throw new RotorError('validation', `No Rotor database at ${path}. Create it with \`rotor migrate\` or \`rotor import FILE\`, or point ROTOR_DB (or --db) at the existing one.`);
        }
        if (ifMissing === 'empty') path = ':memory:';
      }
      const policy = loadPolicy(this.options().config ?? this.env.ROTOR_CONFIG);
      const clock = at === undefined ? systemClock : parseAt(at);
      const token = this.io.env.SLACK_BOT_TOKEN?.trim();
      const apiUrl = this.io.env.SLACK_API_URL?.trim();
      this.built = createRuntime({
        db: openDatabase(path),
        clock,
        policy,
        // The CLI's stdout is its output; its log lines (audit events among them) go to stderr.
        logger: createLogger(this.io.env.LOG_LEVEL?.trim() ? this.env.LOG_LEVEL : 'silent', { write: (line: string) => this.io.stderr(line) }),
        providers: createProviderRegistryFromEnv(this.env),
        slack: token && token.startsWith('xoxb-') ? { botToken: token, ...(apiUrl ? { apiUrl } : {}) } : null,
      });
    }
    return this.built;
  }

  /** The core services of `runtime`. */
  open(at?: string, options: { ifMissing?: 'create' | 'empty' | 'refuse' } = {}): Services {
    return this.runtime(at, options).services;
  }

  /** CLI writes are attributed to the operating-system user running them. */
  get actor(): Actor {
    try {
      return cliActor(userInfo().username);
    } catch {
      return cliActor('unknown');
    }
  }

  close(): void {
    this.built?.close();
    this.built?.services.db.close();
    this.built = null;
  }

  print(text: string): void {
    this.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  printJson(value: unknown): void {
    this.print(JSON.stringify(value, null, 2));
  }
}

/** `--at 2026-12-01` (start of that UTC day) or a full ISO instant. */
export function parseAt(text: string): Clock {
  try {
    return new FixedClock(text);
  } catch (cause) {
    throw new RotorError('validation', `--at ${text} is not a date; write it as YYYY-MM-DD or an ISO time such as 2026-12-01T09:00:00Z.`, { cause });
  }
}
