import type { RefusalLog } from '../access/refusal-log.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

/** Every minute: the repeats of refusals whose window has closed go into the audit log. */
export const REFUSAL_SUMMARY_SCHEDULE = '* * * * *';

/** Closes refusal windows nobody's next refusal closed, so their counts reach the log within a minute or two. */
export function refusalSummaryJob(deps: { refusals: RefusalLog; logger: JobLogger }): JobDefinition {
  return {
    name: 'refusal-summaries',
    schedule: REFUSAL_SUMMARY_SCHEDULE,
    runAtStart: true,
    run: async () => {
      const written = deps.refusals.closeWindows();
      if (written > 0) deps.logger.info({ job: 'refusal-summaries', written }, 'repeated refusals summarized in the audit log');
    },
  };
}
