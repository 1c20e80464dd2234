/**
 * (3) The `/secrets overdue` page as the listener builds it (query, then Block Kit) against the
 * raw indexed query for the same page, interleaved call by call.
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { defaultPolicy } from '../../src/config/policy.js';
import { systemClock } from '../../src/core/clock.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { createRuntime, slackServices } from '../../src/runtime.js';
import { fetchListPage } from '../../src/slack/listeners/commands/secret-list-query.js';
import { dueSoonDays, type SlackDeps } from '../../src/slack/slack-deps.js';
import { PAGE_SIZE, secretListMessage } from '../../src/slack/views/secret-list-message.js';
import { openDatabase } from '../../src/storage/database.js';
import { figure, median, type Figure } from '../support/report.js';

export function overduePageSection(options: { dbPath: string; iterations: number }): {
  figures: Figure[];
  details: Record<string, unknown>;
} {
  const db = openDatabase(options.dbPath);
  const logger = pino({ level: 'silent' });
  const runtime = createRuntime({
    db,
    clock: systemClock,
    policy: defaultPolicy,
    logger,
    providers: { registry: createProviderRegistry({}), close: () => undefined },
    slack: null,
  });
  const { services } = runtime;
  const deps: SlackDeps = { ...slackServices(runtime), logger };
  const today = services.clock.now();
  const todayIso = today.toUTC().toISODate();
  const raw = db.prepare(`SELECT * FROM secrets WHERE next_rotation <= ? AND lifecycle <> 'retired' ORDER BY next_rotation, name LIMIT ?`);
  const overdue = services.inventory.countOverdue(today);
  const times = { rotor: [] as number[], raw: [] as number[] };
  let blocks = 0;
  for (let index = 0; index < options.iterations; index += 1) {
    let started = performance.now();
    raw.all(todayIso, PAGE_SIZE + 1);
    times.raw.push(performance.now() - started);
    started = performance.now();
    const message = secretListMessage(
      fetchListPage(
        { inventory: services.inventory, needs: services.rotationNeeds },
        { kind: 'overdue', offset: 0 },
        { kind: 'all' },
        services.clock.now(),
        dueSoonDays(deps),
      ),
      services.clock.now(),
      dueSoonDays(deps),
    );
    times.rotor.push(performance.now() - started);
    blocks = message.blocks.length;
  }
  db.close();
  const page = figure({
    section: 'overdue',
    label: `\`/secrets overdue\` page (query + Block Kit), ${overdue.toLocaleString('en')} overdue`,
    unit: 'ms',
    rotor: median(times.rotor),
    floor: median(times.raw),
    target: '< 10 ms',
  });
  return { figures: [{ ...page, met: (page.rotor ?? Infinity) < 10 }], details: { overdue, blocks, iterations: options.iterations } };
}
