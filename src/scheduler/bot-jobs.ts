import type { Runtime } from '../runtime.js';
import { automaticRotationJob } from './automatic-rotation-job.js';
import { evidenceArchiveJob, provenanceTagsJob } from './evidence-jobs.js';
import { followUpJob } from './follow-up-job.js';
import type { JobDefinition } from './job-scheduler.js';
import { providerSyncJob } from './provider-sync-job.js';
import { refusalSummaryJob } from './refusal-summary-job.js';
import { reminderJobs } from './reminder-jobs.js';
import { reviewJob } from './review-job.js';

export interface BotSchedules {
  /** ROTOR_REMINDER_CRON */
  reminders: string;
  /** ROTOR_SYNC_CRON */
  sync: string;
  /** ROTOR_FOLLOW_UP_CRON */
  followUps: string;
}

/** The bot's job table: every scheduled piece of work, by name. */
export function botJobs(runtime: Runtime, schedules: BotSchedules): JobDefinition[] {
  const { services, announcer, logger } = runtime;
  const { policy, clock } = services;
  const sweeps = { followUps: runtime.followUps.service, repo: runtime.followUps.repo, clock, schedule: schedules.followUps, logger };
  return [
    ...reminderJobs({
      sweep: runtime.reminders.sweep,
      weeklyDigest: runtime.reminders.weeklyDigest,
      announcer,
      policy,
      clock,
      schedule: schedules.reminders,
      logger,
    }),
    providerSyncJob({
      sync: runtime.providers.sync,
      schedule: schedules.sync,
      deadlineSeconds: runtime.runDeadlineSeconds,
      policy,
      clock,
      announcer,
      logger,
    }),
    followUpJob({ followUps: runtime.followUps.service, announcer, policy, clock, schedule: schedules.followUps, logger }),
    refusalSummaryJob({ refusals: services.refusals, logger }),
    reviewJob({ reviews: runtime.reviews, followUps: runtime.followUps.service, schedule: schedules.followUps, logger }),
    automaticRotationJob({ automatic: runtime.automatic, followUps: runtime.followUps.service, schedule: schedules.followUps, logger }),
    ...(runtime.evidenceArchive ? [evidenceArchiveJob({ archive: runtime.evidenceArchive, ...sweeps })] : []),
    ...(runtime.provenance ? [provenanceTagsJob({ provenance: runtime.provenance, ...sweeps })] : []),
  ];
}
