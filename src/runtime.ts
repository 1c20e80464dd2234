import { TargetAccess } from './rotation/steps/target-access.js';
import { registerAutomaticRotationFollowUps } from './automatic-rotation/automatic-rotation-follow-ups.js';
import { AutomaticRotationService } from './automatic-rotation/automatic-rotation-service.js';
import { builtInCredentialTargets } from './targets/credential-targets.js';
import type { TargetTimeouts } from './targets/target-timeouts.js';
import { AuditTrailRepo } from './audit/audit-trail-repo.js';
import type { Policy } from './config/policy.js';
import type { HmacKeyring } from './core/hmac-keyring.js';
import type { Clock } from './core/clock.js';
import { DEFAULT_RUN_DEADLINE_SECONDS } from './core/deadline.js';
import { RotorError } from './core/errors.js';
import { loadedOnFirstUse } from './core/load-code.js';
import { registerArchiveFollowUps } from './evidence-archive/archive-follow-ups.js';
import { ArchiveLedgerRepo } from './evidence-archive/archive-ledger-repo.js';
import { EvidenceArchiveService } from './evidence-archive/evidence-archive-service.js';
import { openEvidenceBucket, type EvidenceBucket } from './evidence-archive/evidence-bucket.js';
import { FollowUpRepo } from './follow-ups/follow-up-repo.js';
import { FollowUpService, type FollowUpSweepOptions } from './follow-ups/follow-up-service.js';
import type { Logger } from './logging/logger.js';
import { createRotorCounters, type RotorCounters } from './metrics/metrics.js';
import { countSentReminders } from './metrics/reminder-metrics.js';
import { incidentEventCounter } from './metrics/incident-metrics.js';
import { rotationEventCounter } from './metrics/rotation-metrics.js';
import { createProviderServices, type ProviderServices } from './providers/provider-factory.js';
import type { Fingerprinter } from './providers/fingerprint.js';
import type { ProviderRegistry } from './providers/provider-registry.js';
import { createReminderSweep } from './reminders/create-reminder-sweep.js';
import { rememberedLookups } from './reminders/remembered-lookups.js';
import type { CalendarFeed } from './reminders/calendar-feed-token.js';
import { IncidentHistoryService } from './revocation/incident-history-service.js';
import { IncidentRepo } from './revocation/incident-repo.js';
import { IncidentFacts } from './revocation/incident-facts.js';
import { registerIncidentFollowUps } from './revocation/incident-follow-ups.js';
import { RevocationService } from './revocation/revocation-service.js';
import { WindowService } from './rotation-windows/window-service.js';
import { PlanService } from './rotation-plans/plan-service.js';
import { RotationPlanRepo } from './rotation-plans/plan-repo.js';
import { RotationHistoryService } from './rotation/history/rotation-history-service.js';
import { RotationRepo } from './rotation/rotation-repo.js';
import { RotationService } from './rotation/rotation-service.js';
import { RotationSubscriptions } from './rotation/rotation-subscribers.js';
import { registerRotationStepFollowUps } from './rotation/rotation-step-follow-ups.js';
import { ProvenanceLedgerRepo } from './provenance/provenance-ledger-repo.js';
import { registerProvenanceFollowUps } from './provenance/provenance-follow-ups.js';
import { ProvenanceService } from './provenance/provenance-service.js';
import { ReminderActionsService } from './reminders/reminder-actions-service.js';
import { ReminderLedgerRepo } from './reminders/reminder-ledger-repo.js';
import type { ReminderNotifier } from './reminders/reminder-notifier.js';
import type { ReminderSweepService, SweepOptions } from './reminders/reminder-sweep-service.js';
import { WeeklyDigestRepo } from './reminders/weekly-digest-repo.js';
import { WeeklyDigestService } from './reminders/weekly-digest-service.js';
import type { Announcer } from './scheduler/announcer.js';
import { OwnershipService } from './inventory/ownership-service.js';
import { ReferenceChangeService } from './inventory/reference-change-service.js';
import { ReferenceChecker } from './inventory/reference-check.js';
import { ReferenceRequestRepo } from './inventory/reference-request-repo.js';
import { DepartureService } from './personnel/departure-service.js';
import { PersonnelChangeRepo } from './personnel/personnel-change-repo.js';
import { BreakGlassService } from './rotation-needs/break-glass-service.js';
import { ReleaseCheckService } from './rotation-needs/release-check.js';
import { ReviewRepo } from './reviews/review-repo.js';
import { ReplicationReview } from './reviews/replication-review.js';
import { ReviewService } from './reviews/review-service.js';
import { createServices, type Services } from './services.js';
import { createOutboundClients } from './slack/outbound/outbound-clients.js';
import { SlackAnnouncer } from './slack/outbound/slack-announcer.js';
import { SlackOwnerDirectory } from './slack/outbound/slack-owner-directory.js';
import { SlackPoster } from './slack/outbound/slack-poster.js';
import { SlackReminderNotifier } from './slack/outbound/slack-reminder-notifier.js';
import { registerSlackFollowUps } from './slack/outbound/slack-follow-ups.js';
import { registerReviewSlackFollowUps } from './slack/outbound/slack-review-follow-ups.js';
import type { SlackDeps } from './slack/slack-deps.js';
import { RotationViewRepo } from './slack/rotation-view-repo.js';
import type { Db } from './storage/database.js';
import { SweepLogRepo } from './storage/sweep-log-repo.js';
import { stepCompletionHandler } from './workflow-steps/step-completion.js';
import { StepRunRepo } from './workflow-steps/step-run-repo.js';
import { WorkflowStepService } from './workflow-steps/workflow-step-service.js';

export interface RuntimeOptions {
  db: Db;
  clock: Clock;
  policy: Policy;
  logger: Logger;
  /** The stores, with what releases their connections (and the fingerprinter they use, for sync). */
  providers: { registry: ProviderRegistry; fingerprinter?: Fingerprinter; close(): void };
  /** ROTOR_AUDIT_KEY's keyring; null keeps the audit chain plain SHA-256. */
  auditKeys?: HmacKeyring | null;
  /** Where Rotor posts on its own; null (the CLI without SLACK_BOT_TOKEN) makes every send a clear refusal. */
  slack: { botToken: string; apiUrl?: string } | null;
  /** ROTOR_RUN_DEADLINE_SECONDS: every sweep's and sync's deadline unless a run sets its own. */
  runDeadlineSeconds?: number;
  /** How long a call at a credential target may take; by default DEFAULT_TARGET_TIMEOUTS. */
  targetTimeouts?: TargetTimeouts;
  /** ROTOR_CALENDAR_TOKEN and ROTOR_PUBLIC_URL: what `/secrets calendar` builds a person's feed link from; absent, the feed is off. */
  calendarFeed?: CalendarFeed | null;
  /**
   * Whether a change sweeps due follow-ups at once, in the background (the bot: approval
   * requests and status messages go out now). The CLI runs none: it exits when its command is
   * done, which would cut a background sweep short; the bot's next sweep does the work.
   */
  sweepAfterChanges?: boolean;
  /** The evidence archive's bucket, already checked at start-up; by default opened from the policy's evidence_archive. */
  evidenceBucket?: EvidenceBucket | null;
  reminderSweep?: Partial<SweepOptions>;
  followUpSweep?: Partial<FollowUpSweepOptions>;
  /** The counters this runtime counts into (what /metrics serves beside the gauges); by default its own. */
  counters?: RotorCounters;
}

export type { CalendarFeed };

/** Everything Rotor is, over one database: what the bot, the CLI and the tests all start from. */
export interface Runtime {
  services: Services;
  providers: ProviderServices;
  /** The outbound Slack seam; null when no bot token was given. */
  poster: SlackPoster | null;
  /** Owners checked against Slack and told by DM (the add/edit form, "not mine" applied). */
  ownership: OwnershipService;
  /** Where secrets are stored: moved by admins, or asked for and approved by security (the policy's reference_changes). */
  references: ReferenceChangeService;
  announcer: Announcer;
  reminders: {
    notifier: ReminderNotifier;
    ledger: ReminderLedgerRepo;
    sweep: ReminderSweepService;
    sweepLog: SweepLogRepo;
    actions: ReminderActionsService;
    weeklyDigest: WeeklyDigestService;
  };
  rotation: RotationService;
  /** Reads only: rotations listed and shown, their evidence records, the period report. */
  rotationHistory: RotationHistoryService;
  revocation: RevocationService;
  /** The Workflow Builder steps (manifest.yml's functions): started by Slack, ended with what they wait for. */
  workflowSteps: WorkflowStepService;
  /** Reads only: incidents listed and shown, their evidence records. */
  incidentHistory: IncidentHistoryService;
  /** Evidence records archived under S3 Object Lock; null when the policy sets no evidence_archive. */
  evidenceArchive: EvidenceArchiveService | null;
  /** Provenance tags at the store after a completion; null when the policy's provenance.enabled is false. */
  provenance: ProvenanceService | null;
  /** Uses of break-glass credentials: recorded, a rotation needed soon, security told. */
  breakGlass: BreakGlassService;
  /** Before a release: what is overdue or due soon in an environment, and the owners asked to rotate. */
  releases: ReleaseCheckService;
  /** People who left: what they could read marked rotation needed, ownership and open rotations handed over. */
  departures: DepartureService;
  /** Planned rotation windows: notices before and at the start, irreversible steps locked outside them. */
  windows: WindowService;
  /** The monthly, quarterly, annual and access reviews, started on their own (src/reviews/). */
  reviews: ReviewService;
  /** Environments in order: a key's variants rotated as one plan, each after the one before it is verified. */
  plans: PlanService;
  /** Secrets the policy marks automatic, rotated by Rotor when they come due. */
  automatic: AutomaticRotationService;
  followUps: {
    service: FollowUpService;
    repo: FollowUpRepo;
    sweepLog: SweepLogRepo;
  };
  logger: Logger;
  /** This runtime's Prometheus counters, on their own registry. */
  counters: RotorCounters;
  /** ROTOR_RUN_DEADLINE_SECONDS, for runs started outside the sweeps (the scheduled sync). */
  runDeadlineSeconds: number;
  /** The calendar feed's token and Rotor's public address; null when the feed is off. */
  calendarFeed: CalendarFeed | null;
  /** Resolves once no follow-up sweep a change started is running: shutdown waits for it before closing the database. */
  settled(): Promise<void>;
  /** Releases the providers' connections (the database belongs to whoever opened it). */
  close(): void;
}

/**
 * The one composition of Rotor's services. How audit events reach the log stream is the
 * caller's: the bot publishes every event from the database (src/audit/audit-publisher.ts),
 * the CLI echoes its own to stderr when asked.
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const { db, clock, policy, logger } = options;
  const counters = options.counters ?? createRotorCounters();
  const countRotationEvent = rotationEventCounter(counters);
  const runDeadlineSeconds = options.runDeadlineSeconds ?? DEFAULT_RUN_DEADLINE_SECONDS;
  const services = createServices(db, clock, policy, { auditKeys: options.auditKeys ?? null, stores: options.providers.registry.stores });

  const poster = options.slack ? new SlackPoster(createOutboundClients(options.slack.botToken, options.slack.apiUrl)) : null;
  const notifier: ReminderNotifier = poster ? new SlackReminderNotifier(poster) : refusingNotifier();
  const announcer: Announcer = poster ? new SlackAnnouncer(poster) : { announce: () => Promise.reject(noSlack()) };

  const ledger = new ReminderLedgerRepo(db);
  const reminderSweepLog = new SweepLogRepo(db, 'reminder_sweeps');
  const { inventory, audit, authorizer } = services;
  const followUpRepo = new FollowUpRepo(db);
  const followUpSweepLog = new SweepLogRepo(db, 'follow_up_sweeps');
  const providers = createProviderServices(services, options.providers.registry, logger, () => undefined, options.providers.fingerprinter);
  const followUpService = new FollowUpService(
    { repo: followUpRepo, sweepLog: followUpSweepLog, audit, clock },
    {
      deadlineSeconds: runDeadlineSeconds,
      onDone: (followUp) => counters.followUpsDone.inc({ kind: followUp.kind }),
      // A follow-up given up on is said out loud: a silent failure is how rotations rot.
      onFailed: async (followUp, error) => {
        const channel = policy.channels.announce;
        if (!channel) return;
        await announcer
          .announce(channel, {
            kind: 'follow_up_failed',
            followUp: { kind: followUp.kind, topic: followUp.topic, attempts: followUp.attempts },
            error,
          })
          .catch((announceError: unknown) => logger.error({ err: announceError }, 'could not announce a failed follow-up'));
      },
      ...options.followUpSweep,
    },
  );
  const rotationRepo = new RotationRepo(db);
  const auditTrail = new AuditTrailRepo(db, audit.keys);
  const sweepsAfterChanges = options.sweepAfterChanges === false ? null : coalescedSweeps(() => followUpService.sweep(), logger);
  const kickFollowUps = sweepsAfterChanges ? sweepsAfterChanges.kick : () => undefined;
  const references = new ReferenceChangeService({
    inventoryService: services.inventoryService,
    checker: new ReferenceChecker({ registry: options.providers.registry, policy }),
    requests: new ReferenceRequestRepo(db),
    authorizer,
    audit,
    followUps: followUpService,
    policy,
    clock,
    groups: services.userGroups,
    kickFollowUps,
  });
  const ownership = new OwnershipService({
    inventoryService: services.inventoryService,
    directory: poster ? new SlackOwnerDirectory(poster) : null,
    references,
    followUps: followUpService,
  });
  // Who follows rotations subscribes below, once each is built: its incident (an emergency rotation),
  // a workflow step (fixed in the same transaction as the rotation's end), a plan (a variant waits for
  // the one before it, and a verified one lets the next go), Rotor driving its own automatic rotations.
  const rotationSubscribers = new RotationSubscriptions();
  const incidentRepo = new IncidentRepo(db);
  const rotation = new RotationService({
    repo: rotationRepo,
    inventory,
    inventoryService: services.inventoryService,
    operations: providers.operations,
    targets: new TargetAccess({
      operations: providers.operations,
      engines: builtInCredentialTargets(options.targetTimeouts),
      secretOf: (name) => inventory.get(name) ?? null,
    }),
    registry: options.providers.registry,
    authorizer,
    audit,
    trail: auditTrail,
    followUps: followUpService,
    people: poster ? rememberedLookups(poster, services.recipients, clock) : null,
    clock,
    policy,
    groups: services.userGroups,
    // Approval requests and announcements go out now, not at the next scheduled sweep.
    kickFollowUps,
    needs: services.rotationNeeds,
    windows: services.windows,
    // A completed rotation meets the rotation needs raised before it: settled at once, audited.
    onEvent: (event) => {
      countRotationEvent(event);
      if (event.kind === 'completed') services.rotationNeeds.settle();
    },
    incidents: new IncidentFacts(incidentRepo, inventory),
    subscribers: rotationSubscribers,
  });
  // Rotor drives its own rotations; a plan's automatic variant is started through it.
  const automatic = new AutomaticRotationService({
    rotation,
    rotations: rotationRepo,
    inventory,
    followUps: followUpService,
    audit,
    clock,
    policy,
    groups: services.userGroups,
    kickFollowUps,
  });
  const plans = new PlanService({
    repo: new RotationPlanRepo(db),
    inventory,
    rotatable: (actor, name) => rotation.rotatable(actor, name),
    audit,
    followUps: followUpService,
    clock,
    policy,
    kickFollowUps,
    startAutomatic: (secretId, occurrence) => automatic.startNow(secretId, occurrence),
  });
  const revocation = new RevocationService({
    db,
    repo: incidentRepo,
    inventory,
    inventoryService: services.inventoryService,
    stores: services.stores,
    authorizer,
    audit,
    followUps: followUpService,
    rotation,
    operations: providers.operations,
    clock,
    policy,
    groups: services.userGroups,
    kickFollowUps,
    onEvent: incidentEventCounter(counters),
  });
  const stepRuns = new StepRunRepo(db);
  const workflowSteps = new WorkflowStepService({
    repo: stepRuns,
    rotation,
    inventory,
    audit,
    followUps: followUpService,
    clock,
    policy,
    kickFollowUps,
  });
  rotationSubscribers.subscribe(revocation);
  rotationSubscribers.subscribe(workflowSteps);
  rotationSubscribers.subscribe(plans);
  rotationSubscribers.subscribe(automatic);
  registerIncidentFollowUps(followUpService, revocation);
  registerRotationStepFollowUps(followUpService, rotation);
  registerAutomaticRotationFollowUps(followUpService, automatic);
  const departures = new DepartureService({
    repo: new PersonnelChangeRepo(db),
    inventoryService: services.inventoryService,
    needs: services.rotationNeeds,
    rotations: { forPerson: (userId) => rotation.forPerson(userId), approversFor: (record) => rotation.approversFor(record) },
    audit,
    followUps: followUpService,
    clock,
    policy,
    groups: services.userGroups,
    kickFollowUps,
  });
  // A failure here must not stop the reminder sweep that noticed the departure; the next sweep (or the event) tries again.
  const departedBySweep = (user: string) => {
    try {
      departures.departed(user, 'sweep');
    } catch (error) {
      logger.error({ err: error, user }, 'recording a departure found by the reminder sweep failed');
    }
  };
  const rotationHistory = new RotationHistoryService({
    repo: rotationRepo,
    trail: auditTrail,
    inventory,
    clock,
    policy,
    people: services.recipients,
  });
  const incidentHistory = new IncidentHistoryService({
    repo: incidentRepo,
    rotations: rotationHistory,
    trail: auditTrail,
    inventory,
    stores: services.stores,
    clock,
    policy,
    people: services.recipients,
  });
  // Evidence and provenance follow the rotation code from outside: sweeps over what ended (see their jobs).
  const evidenceBucket = options.evidenceBucket ?? (policy.evidenceArchive ? openEvidenceBucket(policy.evidenceArchive) : null);
  const evidenceArchive =
    policy.evidenceArchive && evidenceBucket
      ? new EvidenceArchiveService({
          bucket: evidenceBucket,
          retention: policy.evidenceArchive.retention,
          ledger: new ArchiveLedgerRepo(db),
          documents: loadedOnFirstUse(
            'archiving evidence',
            () => import('./evidence-archive/evidence-documents.js'),
            ({ EvidenceDocuments }) => new EvidenceDocuments({ rotations: rotationHistory, incidents: incidentHistory, trail: auditTrail }),
          ),
          audit,
          trail: auditTrail,
          clock,
        })
      : null;
  if (evidenceArchive) registerArchiveFollowUps(followUpService, evidenceArchive);
  const provenance = policy.provenance.enabled
    ? new ProvenanceService({
        ledger: new ProvenanceLedgerRepo(db),
        rotations: rotationHistory,
        registry: options.providers.registry,
        audit,
        clock,
        policy,
        people: services.recipients,
      })
    : null;
  if (provenance) registerProvenanceFollowUps(followUpService, provenance);
  const reviews = new ReviewService({
    repo: new ReviewRepo(db),
    inventory,
    recipients: services.recipients,
    rotationNeeds: services.rotationNeeds,
    rotationReport: (period) => rotationHistory.report(period),
    audit,
    followUps: followUpService,
    clock,
    policy,
  });

  const runtime: Runtime = {
    services,
    providers,
    poster,
    ownership,
    references,
    announcer,
    reminders: {
      notifier,
      ledger,
      sweep: createReminderSweep(services, notifier, {
        onSent: (reminders) => countSentReminders(counters, reminders),
        deadlineSeconds: runDeadlineSeconds,
        onGone: (user) => departedBySweep(user),
        ...options.reminderSweep,
      }),
      sweepLog: reminderSweepLog,
      actions: new ReminderActionsService({
        ledger,
        inventory,
        audit,
        authorizer,
        notifier,
        ownership,
        clock,
        policy,
        groups: services.userGroups,
      }),
      weeklyDigest: new WeeklyDigestService({
        digests: new WeeklyDigestRepo(db),
        history: services.history,
        ledger,
        inventory,
        notifier,
        clock,
        policy,
      }),
    },
    rotation,
    rotationHistory,
    revocation,
    incidentHistory,
    evidenceArchive,
    provenance,
    workflowSteps,
    breakGlass: new BreakGlassService({
      inventoryService: services.inventoryService,
      needs: services.rotationNeeds,
      authorizer,
      audit,
      followUps: followUpService,
      clock,
      policy,
      groups: services.userGroups,
      kickFollowUps,
    }),
    releases: new ReleaseCheckService({ inventory, needs: services.rotationNeeds, audit, followUps: followUpService, clock, policy }),
    departures,
    reviews,
    plans,
    automatic,
    windows: new WindowService({
      repo: services.windows,
      rotation,
      audit,
      followUps: followUpService,
      clock,
      policy,
      groups: services.userGroups,
      kickFollowUps,
    }),
    followUps: {
      service: followUpService,
      repo: followUpRepo,
      sweepLog: followUpSweepLog,
    },
    logger,
    counters,
    runDeadlineSeconds,
    calendarFeed: options.calendarFeed ?? null,
    settled: () => sweepsAfterChanges?.settled() ?? Promise.resolve(),
    close: () => {
      options.providers.close();
      evidenceBucket?.destroy();
    },
  };
  if (poster) {
    registerSlackFollowUps(
      {
        policy,
        stores: services.stores,
        inventory,
        inventoryService: services.inventoryService,
        rotationNeeds: services.rotationNeeds,
        followUps: runtime.followUps,
        rotation,
        revocation,
        references,
        windows: services.windows,
        plans: runtime.plans,
      },
      poster,
    );
    followUpService.register(stepCompletionHandler(stepRuns, poster, clock));
    registerReviewSlackFollowUps({ reviews, followUps: followUpService, policy, clock, groups: services.userGroups }, poster);
  }
  return runtime;
}

/** What the Slack listeners use, named (src/slack/slack-deps.ts): the adapter never receives the whole runtime. */
export function slackServices(runtime: Runtime): Omit<SlackDeps, 'logger'> {
  const { services } = runtime;
  return {
    clock: services.clock,
    policy: services.policy,
    stores: services.stores,
    inventory: services.inventory,
    inventoryService: services.inventoryService,
    inventoryReader: services.inventoryReader,
    recipients: services.recipients,
    userGroups: services.userGroups,
    rotationNeeds: services.rotationNeeds,
    rotation: runtime.rotation,
    rotationViews: new RotationViewRepo(services.db, services.clock),
    windows: runtime.windows,
    plans: runtime.plans,
    revocation: runtime.revocation,
    ownership: runtime.ownership,
    references: runtime.references,
    reminderActions: runtime.reminders.actions,
    breakGlass: runtime.breakGlass,
    departures: runtime.departures,
    workflowSteps: runtime.workflowSteps,
    reviews: runtime.reviews,
    replication: new ReplicationReview({
      inventory: services.inventory,
      registry: runtime.providers.registry,
      policy: services.policy,
    }),
    calendarFeed: runtime.calendarFeed,
  };
}

/**
 * Sweeps after changes: the changes made while one runs ask for one more after it (not one each),
 * which also picks up what the running one scheduled (an incident's thread replies once its
 * status message is posted).
 */
function coalescedSweeps(sweep: () => Promise<unknown>, logger: Logger): { kick: () => void; settled: () => Promise<void> } {
  let current: Promise<void> | null = null;
  let again = false;
  const run = async () => {
    do {
      again = false;
      await sweep().catch((error: unknown) => logger.error({ err: error }, 'follow-up sweep after a change failed'));
    } while (again);
    current = null;
  };
  return {
    kick: () => {
      if (current) again = true;
      else current = run();
    },
    settled: () => current ?? Promise.resolve(),
  };
}

function noSlack(): RotorError {
  return new RotorError(
    'config',
    'This needs Slack: set SLACK_BOT_TOKEN (the Bot User OAuth Token, starting with xoxb-), and SLACK_API_URL if Slack is reached through a proxy.',
  );
}

/** The notifier of a runtime without Slack (e.g. `rotor reminders preview`): every call refuses, saying why. */
function refusingNotifier(): ReminderNotifier {
  const refuse = () => Promise.reject(noSlack());
  return {
    lookupPerson: refuse,
    sendDirect: refuse,
    sendInChannel: refuse,
    findDelivered: refuse,
    postWeeklyDigest: refuse,
    reportNotMine: refuse,
  };
}
