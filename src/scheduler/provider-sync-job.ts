import { SYSTEM_ACTOR } from '../access/actor.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { ProviderSyncService, SyncReport } from '../providers/sync-service.js';
import type { Announcer } from './announcer.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

/**
 * `rotor sync` on a schedule: rotations done outside Rotor are recorded; references that no
 * longer resolve, drift and secrets that could not be checked are said in the announcement
 * channel, since nobody reads a log line about a secret nobody owns. A run that fails as a whole
 * (its deadline passed, say) is announced as a failed job.
 */
export function providerSyncJob(deps: {
  sync: ProviderSyncService;
  schedule: string;
  deadlineSeconds: number;
  policy: Policy;
  clock: Clock;
  announcer: Announcer;
  logger: JobLogger;
}): JobDefinition {
  return {
    name: 'provider-sync',
    schedule: deps.schedule,
    runAtStart: false,
    run: async () => {
      let report: SyncReport;
      try {
        report = await deps.sync.run({ actor: SYSTEM_ACTOR, deadlineSeconds: deps.deadlineSeconds });
      } catch (error) {
        deps.logger.error({ job: 'provider-sync', err: error }, 'provider sync failed');
        const channel = deps.policy.channels.announce;
        if (!channel) return;
        const reason = error instanceof Error ? error.message : String(error);
        await deps.announcer
          .announce(channel, { kind: 'job_failed', job: 'provider-sync', at: deps.clock.now().toUTC().toISO() as string, reason })
          .catch((announceError: unknown) => deps.logger.error({ err: announceError }, 'could not announce the failed provider sync'));
        return;
      }
      const attention = report.unresolved.length + report.drift.length + report.failures.length;
      const channel = deps.policy.channels.announce;
      if (attention === 0 || !channel) return;
      await deps.announcer
        .announce(channel, { kind: 'sync_attention', report })
        .catch((error: unknown) => deps.logger.error({ job: 'provider-sync', err: error }, 'could not announce the sync report'));
    },
  };
}
