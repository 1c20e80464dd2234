import { SYSTEM_ACTOR } from '../access/actor.js';
import type { Policy } from '../config/policy.js';
import type { ProviderSyncService } from '../providers/sync-service.js';
import type { Announcer } from './announcer.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

/**
 * `rotor sync` on a schedule: rotations done outside Rotor are recorded; references that no
 * longer resolve, drift and secrets that could not be checked are said in the announcement
 * channel, since nobody reads a log line about a secret nobody owns.
 */
export function providerSyncJob(deps: {
  sync: ProviderSyncService;
  schedule: string;
  policy: Policy;
  announcer: Announcer;
  logger: JobLogger;
}): JobDefinition {
  return {
    name: 'provider-sync',
    schedule: deps.schedule,
    runAtStart: false,
    run: async () => {
      const report = await deps.sync.run({ actor: SYSTEM_ACTOR });
      const attention = report.unresolved.length + report.drift.length + report.failures.length;
      const channel = deps.policy.channels.announce;
      if (attention === 0 || !channel) return;
      await deps.announcer.announce(channel, { kind: 'sync_attention', report }).catch((error: unknown) => deps.logger.error({ job: 'provider-sync', err: error }, 'could not announce the sync report'));
    },
  };
}
