import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { cliActor, type Actor } from '../access/actor.js';
import { loadCoreEnv, type CoreEnv } from '../config/env.js';
import { loadPolicy } from '../config/policy.js';
import { buildCheckpoint } from '../audit/audit-checkpoint.js';
import { FixedClock, systemClock, type Clock } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import { HmacKeyring } from '../core/hmac-keyring.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { storeCatalogFor } from '../providers/store-catalog.js';
import { createProviderRegistryFromEnv } from '../providers/provider-factory.js';
import { createRuntime, type Runtime } from '../runtime.js';
import type { Services } from '../services.js';
import { assertRotorDatabase, openDatabase } from '../storage/database.js';

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
  private auditLogger: Logger | null = null;
  private appended = false;
  /** What the command ends with when it succeeds: 0, or a code it sets to say something (3: a secret is overdue). */
  exitCode = 0;

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
   * never answers "No secrets." from a file it just made. Those commands also refuse a file that
   * exists but is not Rotor's (empty, or without its schema) rather than migrating it. Slack is
   * reached only when SLACK_BOT_TOKEN is set; providers come from the environment as the bot's do.
   */
  runtime(at?: string, options: { ifMissing?: 'create' | 'empty' | 'refuse' } = {}): Runtime {
    if (!this.built) {
      let path = this.databasePath;
      const ifMissing = options.ifMissing ?? 'refuse';
      if (path !== ':memory:' && !existsSync(path)) {
        if (ifMissing === 'refuse') {
          throw new RotorError(
            'validation',
            `No Rotor database at ${path}. Create it with \`rotor migrate\` or \`rotor import FILE\`, or point ROTOR_DB (or --db) at the existing one.`,
          );
        }
        if (ifMissing === 'empty') path = ':memory:';
      } else if (path !== ':memory:' && ifMissing === 'refuse') assertRotorDatabase(path);
      const policy = loadPolicy(this.options().config ?? this.env.ROTOR_CONFIG);
      const clock = at === undefined ? systemClock : parseAt(at);
      const token = this.io.env.SLACK_BOT_TOKEN?.trim();
      const apiUrl = this.io.env.SLACK_API_URL?.trim();
      this.built = createRuntime({
        db: openDatabase(path),
        clock,
        policy,
        // The CLI's stdout is its output; its log lines go to stderr, and only when asked for.
        logger: createLogger(this.io.env.LOG_LEVEL?.trim() ? this.env.LOG_LEVEL : 'silent', {
          write: (line: string) => this.io.stderr(line),
        }),
        auditKeys: this.auditKeys,
        runDeadlineSeconds: this.env.ROTOR_RUN_DEADLINE_SECONDS,
        sweepAfterChanges: false,
        providers: createProviderRegistryFromEnv(
          this.env,
          undefined,
          storeCatalogFor({ googleVersionAlias: policy.googleSecretManager.versionAlias }),
          clock,
        ),
        slack: token && token.startsWith('xoxb-') ? { botToken: token, ...(apiUrl ? { apiUrl } : {}) } : null,
      });
      this.logAuditEvents(this.built.services);
    }
    return this.built;
  }

  /** The core services of `runtime`. */
  open(at?: string, options: { ifMissing?: 'create' | 'empty' | 'refuse' } = {}): Services {
    return this.runtime(at, options).services;
  }

  /** ROTOR_AUDIT_KEY's keys, or null when unset. */
  get auditKeys(): HmacKeyring | null {
    return HmacKeyring.fromEnv(this.env.ROTOR_AUDIT_KEY);
  }

  /**
   * With LOG_LEVEL set, the CLI's own audit events also go to stderr as the bot's JSON lines (and
   * a checkpoint of the head when the command ends). The SIEM's copy does not depend on it: the
   * bot publishes every event, the CLI's included, from the database.
   */
  private logAuditEvents(services: Services): void {
    if (!this.io.env.LOG_LEVEL?.trim()) return;
    const logger = createLogger(this.env.LOG_LEVEL, { write: (line: string) => this.io.stderr(line) }).child({
      component: 'audit',
      source: 'cli',
    });
    this.auditLogger = logger;
    services.audit.onAppend((event) => {
      this.appended = true;
      logger.info({ audit: event }, 'audit event');
    });
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
    const head = this.appended ? this.built?.services.audit.head() : null;
    if (head && this.built && this.auditLogger) {
      this.auditLogger.info(
        {
          auditCheckpoint: buildCheckpoint(head, this.built.services.clock.now().toUTC().toISO() as string, this.built.services.audit.keys),
        },
        'audit checkpoint',
      );
    }
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
    throw new RotorError('validation', `--at ${text} is not a date; write it as YYYY-MM-DD or an ISO time such as 2026-12-01T09:00:00Z.`, {
      cause,
    });
  }
}
