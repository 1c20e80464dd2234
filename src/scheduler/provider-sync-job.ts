import type { Policy } from '../config/policy.js';
import { renderSyncReport } from '../providers/sync-report.js';
import type { ProviderSyncService } from '../providers/sync-service.js';
import { escapeMrkdwn } from '../slack/views/mrkdwn.js';
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
  announce: (channel: string, text: string) => Promise<unknown>;
  logger: JobLogger;
}): JobDefinition {
  return {
    name: 'provider-sync',
    schedule: deps.schedule,
    runAtStart: false,
    run: async () => {
      const report = await deps.sync.run({ actor: 'rotor' });
      const attention = report.unresolved.length + report.drift.length + report.failures.length;
      const channel = deps.policy.channels.announce;
      if (attention === 0 || !channel) return;
      const text = `:mag: Provider sync: ${attention} secret${attention === 1 ? ' needs' : 's need'} attention.\n\`\`\`${escapeMrkdwn(renderSyncReport(report).join('\n'))}\`\`\``;
      await deps.announce(channel, text).catch((error: unknown) => deps.logger.error({ job: 'provider-sync', err: error }, 'could not announce the sync report'));
    },
  };
}
