import { DateTime, type DurationLike } from 'luxon';
import { actorId, slackActor, type Actor } from '../access/actor.js';
import type { Authorizer } from '../access/authorize.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { type Clock, isoInstant as iso } from '../core/clock.js';
import { describeError, NotFoundError, RotorError, ValidationError } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { Secret } from '../inventory/secret.js';
import type { ProviderOperationsService } from '../providers/provider-operations-service.js';
import type { VersionSummary } from '../providers/secret-provider.js';
import { isOpen, type RotationRecord } from '../rotation/rotation.js';
import type { EmergencyPlan, RevocationFacts, RotationService } from '../rotation/rotation-service.js';
import { StaleRotationError } from '../rotation/rotation-service.js';
import { afterCommit, inWriteTransaction, type Db } from '../storage/database.js';
import { INCIDENT_FOLLOW_UPS, incidentTopic, storeBindingOfIncident, type Incident, type IncidentRecord } from './incident.js';
import { firstPages, incidentLadder, nextLevel, type PageLevel } from './incident-ladder.js';
import type { IncidentChange, IncidentRepo } from './incident-repo.js';
import { settleUnknownStepBeforeRevoke } from './settle-before-revoke.js';
import { parseOverrideReason, parsePostmortemUrl, parseRevocation, parseStatusUpdate, type RevocationInput } from './revocation-request.js';
import { signOffNotice, signOffPlan, type SignOffPlan } from './sign-off.js';
import { compromisedVersionLive } from './compromised-version.js';
import { incidentEventsOf, peopleOf, QUIET_EVENT_KINDS, type NewIncidentEvent } from './rotation-incident-events.js';

/** What happened, for metrics. */
export type IncidentMetricEvent =
  | { kind: 'opened' | 'closed'; incident: Incident }
  | { kind: 'acknowledged' | 'disabled' | 'rotated'; incident: Incident; seconds: number };

export interface RevocationServiceDeps {
  db: Db;
  repo: IncidentRepo;
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  authorizer: Authorizer;
  audit: AuditLog;
  followUps: FollowUpService;
  rotation: RotationService;
  /** Reads the store back before an incident closes (is the compromised version disabled?). */
  operations: Pick<ProviderOperationsService, 'validate'>;
  clock: Clock;
  policy: Policy;
  /** Runs due follow-ups soon: the status message and the pages go out now, not at the next sweep. */
  kickFollowUps?: () => void;
  onEvent?: (event: IncidentMetricEvent) => void;
}

/** `/revoke` on a secret already under an open incident: that incident is shown instead. */
export class IncidentOpenError extends RotorError {
  constructor(readonly record: IncidentRecord) {
    super('conflict', `${record.incident.secretName} is already under incident #${record.incident.id} (${record.incident.severity}, led by ${record.incident.responder}, opened ${record.incident.openedAt}).`);
    this.name = 'IncidentOpenError';
  }
}

/** What `/revoke <name>` opens on: the incident already open, or the blast radius of a new one. */
export type RevocationOpening = { kind: 'open'; record: IncidentRecord } | { kind: 'new'; secret: Secret; plan: EmergencyPlan };

/** How long after `/revoke` the proceed follow-up checks that the emergency rotation started. */
const PROCEED_GRACE_MINUTES = 2;

/**
 * Emergency revocation: the incident behind `/revoke`. The incident record is the truth, every
 * change to it is one transaction with its timeline events, its audit events and the follow-ups
 * that show it (the status message redrawn, a thread reply per event), so a crash at any point
 * leaves nothing half-done and a retry repeats nothing. Its emergency rotation is a rotation
 * like any other, with the emergency checklist; the incident follows it (`onRotationChange`).
 */
export class RevocationService {
  constructor(private readonly deps: RevocationServiceDeps) {}

  /** Checks the actor may revoke at all, here (in an incident channel, as a responder). */
  requireResponder(actor: Actor): void {
    this.deps.authorizer.require(actor, { action: 'revoke' });
  }

  /**
   * The secret to revoke. Who and where are checked before the name: outside an incident
   * channel, or for anyone but a responder, the answer is the refusal, which says nothing about
   * which secrets exist.
   */
  revocable(actor: Actor, name: string): Secret {
    const known = this.deps.inventory.get(name);
    this.deps.authorizer.require(actor, { action: 'revoke', ...(known ? { secret: known } : {}) });
    const secret = this.deps.inventoryService.require(name);
    if (secret.lifecycle === 'retired') {
      throw new RotorError('conflict', `${secret.name} is retired: Rotor holds it as no longer in use. If it is still in use somewhere, set it back to active with \`/secrets edit ${secret.name}\`, then revoke it.`);
    }
    return secret;
  }

  get(id: number): IncidentRecord {
    const record = this.deps.repo.get(id);
    if (!record) throw new NotFoundError(`No incident #${id}.`);
    return record;
  }

  list(filter: { open?: boolean } = {}): Incident[] {
    return this.deps.repo.list(filter);
  }

  openFor(secretName: string): IncidentRecord | null {
    const secret = this.deps.inventory.get(secretName);
    return secret ? this.deps.repo.openFor(secret.id) : null;
  }

  countOpen(): number {
    return this.deps.repo.countOpen();
  }

  /** What `/revoke <name>` shows first: the open incident, or what revoking would do. */
  async prepare(actor: Actor, name: string): Promise<RevocationOpening> {
    const secret = this.revocable(actor, name);
    const open = this.deps.repo.openFor(secret.id);
    if (open) return { kind: 'open', record: open };
    return { kind: 'new', secret, plan: await this.deps.rotation.emergencyPlan(secret) };
  }

  /**
   * The confirmed revocation, in the order the playbook gives: the incident is opened, the secret
   * marked compromised and its people paged (one transaction, with every follow-up that will
   * show and chase it), then the emergency rotation starts, and with *disable now* the compromised
   * version is disabled at once. A provider failing there is recorded on the step (the status
   * message shows it with Retry) and stops nothing else. A replayed confirmation finds the
   * incident it opened.
   */
  async open(actor: Actor, name: string, reasonText: string | null, input: RevocationInput): Promise<IncidentRecord> {
    const secret = this.revocable(actor, name);
    if (actor.kind !== 'slack' || !actor.channelId) {
      throw new RotorError('validation', 'A revocation starts in an incident channel, with `/revoke <name> <reason>`: that is where its status message lives.');
    }
    const existing = this.deps.repo.openFor(secret.id);
    if (existing) throw new IncidentOpenError(existing);
    const request = parseRevocation(secret, reasonText, input);
    await settleUnknownStepBeforeRevoke(this.deps.rotation, secret.name);
    const by = actorId(actor);
    const channel = actor.channelId;
    const now = this.now();
    let id: number;
    try {
      id = this.deps.audit.record(() => {
        // Checked in the transaction that marks the secret compromised: a provider step that is
        // moving the store now (a Promote) would change which version is the compromised one;
        // and once the secret is compromised, no scheduled step starts (RotationService.runStep).
        const inFlight = this.deps.rotation.inFlightStep(secret.id);
        if (inFlight) {
          throw new RotorError(
            'conflict',
            `“${inFlight.step.title}” of the rotation of ${secret.name} is running at the store right now (started by ${inFlight.record.rotation.heldBy} at ${inFlight.step.startedAt ?? 'a moment ago'}); nothing was revoked. Confirm again in a moment, once it has finished: the incident then records what the store holds.`,
          );
        }
        const incidentId = this.deps.repo.insert({
          secretId: secret.id,
          secretName: secret.name,
          severity: request.severity,
          reason: request.reason,
          ticket: request.ticket,
          channel,
          responder: by,
          revocationOrder: request.order,
          destroy: request.destroy,
          provider: secret.provider,
          providerRef: secret.providerRef,
          compromisedVersionId: secret.currentVersionId,
          compromisedFingerprint: secret.currentFingerprint,
          previousLifecycle: secret.lifecycle,
          openedAt: now,
        });
        this.deps.inventoryService.setLifecycle(secret.name, 'compromised', actor, { incident: incidentId });
        const pages = firstPages(incidentLadder(secret, this.deps.policy), by);
        const orderText = request.order === 'disable_now' ? 'disable now' : 'replace, then disable';
        this.apply(incidentId, now, {}, [
          {
            actor: by,
            kind: 'opened',
            key: 'opened',
            summary: `${by} revoked ${secret.name} (${request.severity}${request.ticket ? `, ticket ${request.ticket}` : ''}; ${orderText}${request.destroy ? ', destroy' : ''}): ${request.reason}`,
            details: { severity: request.severity, reason: request.reason, ticket: request.ticket, order: request.order, destroy: request.destroy, people: peopleOf(by) },
          },
          { actor: by, kind: 'compromised', key: 'compromised', summary: `${secret.name} is marked compromised: its reminders stop while the incident is open.` },
          ...this.pageEvents(incidentId, pages, now, 'paged'),
          ...this.signOffNoticeEvents(by, null),
        ]);
        this.scheduleIncident(incidentId, by, request.severity, now);
        return {
          result: incidentId,
          events: [
            {
              actor: by,
              action: 'incident.opened',
              secret: secret.name,
              details: {
                incident: incidentId,
                severity: request.severity,
                reason: request.reason,
                ticket: request.ticket,
                channel,
                order: request.order,
                destroy: request.destroy,
                provider: secret.provider,
                providerRef: secret.providerRef,
                paged: pages.flatMap((rung) => rung.people),
                pageLevels: pageLevels(pages),
              },
            },
          ],
        };
      });
    } catch (error) {
      // Two confirmations at once (a double click, a replayed request): the unique index lets one in.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const winner = this.deps.repo.openFor(secret.id);
        if (winner) throw new IncidentOpenError(winner);
      }
      throw error;
    }
    const opened = this.get(id);
    this.deps.onEvent?.({ kind: 'opened', incident: opened.incident });
    this.deps.kickFollowUps?.();
    // Failures are on the record (the proceed follow-up retries what did not start).
    await this.proceed(id).catch(() => undefined);
    this.deps.kickFollowUps?.();
    return this.get(id);
  }

  /**
   * Starts the emergency rotation if it has not started (a scheduled rotation open on the secret
   * is superseded first), and with *disable now* runs the disable step once. Safe to call again:
   * the `proceed` follow-up does, after a crash.
   */
  async proceed(id: number): Promise<void> {
    const incident = this.incident(id);
    if (incident.state !== 'open') return;
    const actor = slackActor(incident.responder, incident.channel);
    let record = incident.rotationId ? this.deps.rotation.get(incident.rotationId) : null;
    if (!record) {
      const open = this.deps.rotation.openFor(incident.secretName);
      if (open && open.rotation.kind === 'scheduled') await this.deps.rotation.supersede(actor, open.rotation.id, id);
      try {
        record = await this.deps.rotation.start(
          actor,
          incident.secretName,
          { ticket: incident.ticket },
          { kind: 'emergency', breakGlassReason: incident.reason, incidentId: id, revocationOrder: incident.revocationOrder, binding: storeBindingOfIncident(incident) },
        );
      } catch (error) {
        const linked = this.incident(id).rotationId;
        if (!linked) {
          this.recordEvents(id, [{ actor: 'rotor', kind: 'rotation_start_failed', key: `rotation_start_failed:${this.now()}`, summary: `The emergency rotation could not start: ${describeError(error)}` }]);
          throw error;
        }
        record = this.deps.rotation.get(linked);
      }
    }
    if (incident.revocationOrder !== 'disable_now' || !isOpen(record.rotation.state)) return;
    const disable = record.steps.find((step) => step.action === 'disable_compromised');
    if (!disable || disable.state !== 'pending' || disable.attempts > 0) return;
    try {
      await this.deps.rotation.runStep(actor, record.rotation.id, disable.id, { expectedVersion: record.rotation.version });
    } catch (error) {
      // Someone is already at it (a click, another replica): theirs is the run.
      if (!(error instanceof StaleRotationError) && !(error instanceof RotorError && error.code === 'conflict')) throw error;
    }
  }

  /**
   * Retries what failed: the emergency rotation's failed provider step (disabling, most often),
   * or the rotation itself if it never started.
   */
  async retry(actor: Actor, id: number): Promise<{ record: IncidentRecord; error: RotorError | null }> {
    const { incident } = this.workable(actor, id);
    if (!incident.rotationId) {
      try {
        await this.proceed(id);
        return { record: this.get(id), error: null };
      } catch (error) {
        return { record: this.get(id), error: error instanceof RotorError ? error : new RotorError('internal', describeError(error), { cause: error }) };
      }
    }
    const rotation = this.deps.rotation.get(incident.rotationId);
    // A step still running is either under way (said so, with when to look again) or its run died (past its lease): settled from the store.
    const interrupted = rotation.steps.find((step) => step.state === 'running' && step.action !== null);
    if (interrupted) {
      const { error } = await this.deps.rotation.checkStep(actor, rotation.rotation.id, interrupted.id, { expectedVersion: rotation.rotation.version });
      return { record: this.get(id), error };
    }
    const failed = rotation.steps.find((step) => step.state === 'pending' && step.action !== null && step.lastError !== null);
    if (!failed) throw new RotorError('conflict', `Nothing in incident #${id} has failed: there is nothing to retry.`);
    const { error } = await this.deps.rotation.runStep(actor, rotation.rotation.id, failed.id, { expectedVersion: rotation.rotation.version });
    return { record: this.get(id), error };
  }

  /**
   * A paged person (or anyone working the incident) acknowledges: the escalation stops at the
   * first acknowledgement, and each person's is recorded once.
   */
  acknowledge(actor: Actor, id: number): IncidentRecord {
    const record = this.get(id);
    const by = actorId(actor);
    const page = record.pages.find((candidate) => candidate.userId === by);
    if (!page) this.deps.authorizer.require(actor, { action: 'respond', secret: this.secretOf(record.incident) });
    const { incident } = record;
    if (incident.state !== 'open') throw new RotorError('conflict', `Incident #${id} was closed at ${incident.closedAt ?? 'an earlier time'}; there is nothing to acknowledge.`);
    if (page?.acknowledgedAt) throw new RotorError('conflict', `You acknowledged incident #${id} at ${page.acknowledgedAt}.`);
    const now = this.now();
    const first = incident.acknowledgedAt === null;
    this.deps.audit.record(() => {
      if (page) this.deps.repo.acknowledgePage(id, by, now);
      this.apply(id, now, first ? { acknowledgedAt: now, acknowledgedBy: by } : {}, [
        { actor: by, kind: 'acknowledged', key: `acknowledged:${by}`, summary: `${by} acknowledged${first ? '' : ' too'}.`, details: { people: peopleOf(by) } },
      ]);
      if (first) this.deps.followUps.cancel(incidentTopic(id), INCIDENT_FOLLOW_UPS.escalate);
      return { result: undefined, events: [{ actor: by, action: 'incident.acknowledged', secret: incident.secretName, details: { incident: id, first, paged: page !== undefined } }] };
    });
    const updated = this.get(id);
    if (first) this.deps.onEvent?.({ kind: 'acknowledged', incident: updated.incident, seconds: secondsBetween(incident.openedAt, now) });
    this.deps.kickFollowUps?.();
    return updated;
  }

  /** The lead's (or anyone's working the incident) status update: posted in the thread, and the next request counts from it. */
  recordStatusUpdate(actor: Actor, id: number, text: string | null): IncidentRecord {
    const { incident } = this.workable(actor, id);
    const update = parseStatusUpdate(text);
    const by = actorId(actor);
    const now = this.now();
    this.deps.audit.record(() => {
      this.apply(id, now, { lastUpdateAt: now }, [{ actor: by, kind: 'status_update', key: `status_update:${now}:${by}`, summary: `Status from ${by}: ${update}`, details: { text: update, people: peopleOf(by) } }]);
      this.deps.followUps.cancel(incidentTopic(id), INCIDENT_FOLLOW_UPS.statusRequest);
      this.deps.followUps.schedule(this.statusRequest(incident, now));
      return { result: undefined, events: [{ actor: by, action: 'incident.status_update', secret: incident.secretName, details: { incident: id, text: update } }] };
    });
    this.deps.kickFollowUps?.();
    return this.get(id);
  }

  /** Who may sign off the incident's break-glass rotation now (sign-off.ts). */
  signOffPlanFor(incident: Incident): SignOffPlan {
    const rotation = incident.rotationId ? this.deps.rotation.get(incident.rotationId) : null;
    return signOffPlan(this.deps.policy, rotation?.rotation.breakGlassBy ?? incident.responder, rotation);
  }

  /**
   * Security's retrospective sign-off of the break-glass rotation, once it has ended: by someone
   * who neither broke the glass nor worked the rotation (two-person rule); a security lead, or the
   * policy's fallback role when no security lead is left who may.
   */
  signOff(actor: Actor, id: number): IncidentRecord {
    const record = this.get(id);
    const { incident } = record;
    const plan = this.signOffPlanFor(incident);
    this.deps.authorizer.require(actor, { action: 'sign_off', secret: this.secretOf(incident), signOffFallback: plan.fallback !== null });
    const by = actorId(actor);
    if (incident.signedOffBy) throw new RotorError('conflict', `${incident.signedOffBy} signed off the emergency rotation of incident #${id} at ${incident.signedOffAt ?? 'an earlier time'}.`);
    const rotation = incident.rotationId ? this.deps.rotation.get(incident.rotationId) : null;
    if (!rotation || isOpen(rotation.rotation.state)) throw new RotorError('conflict', `The emergency rotation of incident #${id} has not ended yet; sign it off once it is completed or abandoned.`);
    const excluded = plan.excluded.get(by);
    if (excluded && actor.kind === 'slack') {
      const who = plan.people.length > 0 ? `${plan.people.join(', ')}${plan.fallback ? ` (${plan.fallback.label}, the policy's incident.signoff_fallback)` : ''} can` : 'nobody else can (see the policy: incident.signoff_fallback)';
      throw new RotorError('forbidden', `You cannot sign off this break-glass rotation: ${excluded}, and sign-off comes from someone who did neither (two-person rule); ${who}.`);
    }
    const now = this.now();
    this.deps.audit.record(() => {
      this.apply(id, now, { signedOffBy: by, signedOffAt: now }, [{ actor: by, kind: 'signed_off', key: 'signed_off', summary: `${by} signed off the break-glass rotation.`, details: { people: peopleOf(by) } }], incident.state);
      this.deps.followUps.cancel(incidentTopic(id), INCIDENT_FOLLOW_UPS.signOffRequest);
      return { result: undefined, events: [{ actor: by, action: 'incident.signed_off', secret: incident.secretName, details: { incident: id, rotation: rotation.rotation.id } }] };
    });
    this.deps.kickFollowUps?.();
    return this.get(id);
  }

  /**
   * Closes the incident with its postmortem's link, once the emergency rotation is completed or
   * was abandoned with a reason, and the compromised version is out of service at the store, read
   * back now (for a manual secret: its disable step done). Otherwise only an explicit override
   * closes it: by a second responder (not the lead, not whoever broke the glass), with a reason,
   * recorded in the timeline and the audit log. The lead may always close it; otherwise security
   * and responders. What needs no store is refused at once (thrown); the store read follows, and
   * with `signal` aborted by then (Slack's time to answer a form is up) nothing is recorded.
   */
  close(actor: Actor, id: number, postmortemUrl: string | null, options: { override?: string | null; signal?: AbortSignal } = {}): Promise<IncidentRecord> {
    const record = this.get(id);
    const { incident } = record;
    const by = actorId(actor);
    if (by !== incident.responder) this.deps.authorizer.require(actor, { action: 'close_incident', secret: this.secretOf(incident) });
    if (incident.state !== 'open') throw new RotorError('conflict', `Incident #${id} was closed by ${incident.closedBy ?? 'someone'} at ${incident.closedAt ?? 'an earlier time'}.`);
    const url = parsePostmortemUrl(postmortemUrl);
    if (!incident.rotationId) {
      throw new RotorError('conflict', `The emergency rotation of incident #${id} never started; retry it from the status message (Retry) and complete or abandon it before closing.`);
    }
    const rotation = this.deps.rotation.get(incident.rotationId);
    if (isOpen(rotation.rotation.state)) {
      throw new RotorError(
        'conflict',
        `The emergency rotation of ${incident.secretName} is still open: complete it, or abandon it with a reason (\`/rotate ${incident.secretName}\`), then close incident #${id}.`,
      );
    }
    const override = parseOverrideReason(options.override);
    return this.closeOnceDisabled(actor, incident, rotation, url, override, options.signal);
  }

  private async closeOnceDisabled(actor: Actor, incident: Incident, rotation: RotationRecord, url: string, override: string | null, signal: AbortSignal | undefined): Promise<IncidentRecord> {
    const { id } = incident;
    const by = actorId(actor);
    const live = await this.compromisedStillLive(incident, rotation);
    if (signal?.aborted) {
      throw new RotorError('provider', `Rotor could not read ${incident.secretName} at the store in time to confirm the compromised version is disabled, so incident #${id} is not closed. Try again, or close it with \`/revoke close ${id} <postmortem link>\`.`);
    }
    if (live && !override) {
      throw new ValidationError(
        `Incident #${id} cannot close yet: ${live} (read back just now). Disable it first (Retry on the status message, or by hand), or a second responder (not ${incident.responder}, who leads it) closes it with an override and the reason: *Close incident…* on the status message, or \`rotor incidents close ${id} --postmortem <link> --override <reason>\`.`,
        [{ where: 'override', message: `${live} (read back just now). Disable it first, or a responder other than ${incident.responder} gives the reason to close anyway.` }],
      );
    }
    const breakGlassBy = rotation.rotation.breakGlassBy ?? incident.responder;
    if (live && (by === incident.responder || by === breakGlassBy) && actor.kind === 'slack') {
      throw new RotorError('forbidden', `Closing incident #${id} with the compromised version still live takes a second responder: you ${by === incident.responder ? 'lead this incident' : 'broke the glass'}, so another security lead or responder gives the override and its reason.`);
    }
    const overridden = live && override ? { by, reason: override, live } : null;
    const now = this.now();
    this.deps.audit.record(() => {
      const topic = incidentTopic(id);
      this.apply(id, now, { state: 'closed', closedAt: now, closedBy: by, postmortemUrl: url }, [
        ...(overridden
          ? [{ actor: by, kind: 'close_override', key: 'close_override', summary: `${by} closed the incident with the compromised version still live (${overridden.live}), overriding the check: ${override}`, details: { reason: override, live: overridden.live, people: peopleOf(by) } }]
          : []),
        { actor: by, kind: 'closed', key: 'closed', summary: `${by} closed the incident; postmortem: ${url}`, details: { postmortemUrl: url, people: peopleOf(by) } },
      ]);
      for (const kind of [INCIDENT_FOLLOW_UPS.escalate, INCIDENT_FOLLOW_UPS.statusRequest, INCIDENT_FOLLOW_UPS.postmortem, INCIDENT_FOLLOW_UPS.proceed]) this.deps.followUps.cancel(topic, kind);
      return {
        result: undefined,
        events: [
          {
            actor: by,
            action: 'incident.closed',
            secret: incident.secretName,
            details: {
              incident: id,
              postmortemUrl: url,
              rotation: rotation.rotation.id,
              rotationState: rotation.rotation.state,
              durationSeconds: secondsBetween(incident.openedAt, now),
              compromisedVersion: { versionId: incident.compromisedVersionId, disabled: live === null },
              ...(overridden ? { override: overridden } : {}),
            },
          },
        ],
      };
    });
    const closed = this.get(id);
    this.deps.onEvent?.({ kind: 'closed', incident: closed.incident });
    this.deps.kickFollowUps?.();
    return closed;
  }

  /**
   * Nobody acknowledged within `incident.ack_minutes`: pages the next level of the escalation
   * path that has someone not yet paged. Step `n` is recorded once (its event says what it did),
   * so a crash and a rerun pages nobody twice; returns the next step to schedule, if any.
   */
  escalate(id: number, step: number): FollowUpRequest[] {
    const record = this.get(id);
    const { incident } = record;
    if (incident.state !== 'open' || incident.acknowledgedAt) return [];
    const key = `escalated:${step}`;
    const done = this.deps.repo.eventByKey(id, key);
    if (done) return done.details.level ? [this.escalation(id, step + 1, DateTime.fromISO(done.at, { zone: 'utc' }))] : [];
    const secret = this.deps.inventory.get(incident.secretName);
    const paged = new Set([incident.responder, ...record.pages.map((page) => page.userId)]);
    const next = secret ? nextLevel(incidentLadder(secret, this.deps.policy), paged) : null;
    const now = this.now();
    const minutes = this.deps.policy.incident.ackMinutes;
    this.deps.audit.record(() => {
      const events: NewIncidentEvent[] = next
        ? [
            {
              actor: 'rotor',
              kind: 'escalated',
              key,
              summary: `Nobody acknowledged within ${minutes} minutes: paging the next level (${next.level.replace('_', ' ')}): ${next.people.join(', ')}.`,
              details: { level: next.level, step, people: next.people },
            },
            ...this.pageEvents(id, [next], now, 'escalation'),
          ]
        : [{ actor: 'rotor', kind: 'escalation_exhausted', key, summary: `Nobody acknowledged within ${minutes} minutes, and everyone on the escalation path has been paged.`, details: { step } }];
      this.apply(id, now, {}, events);
      return { result: undefined, events: [{ actor: 'rotor', action: 'incident.escalated', secret: incident.secretName, details: { incident: id, step, level: next?.level ?? null, paged: next?.people ?? [] } }] };
    });
    return next ? [this.escalation(id, step + 1, DateTime.fromISO(now, { zone: 'utc' }))] : [];
  }

  /** The next status request, counted from `from` by the incident's severity (past ones skipped). */
  statusRequest(incident: Incident, from: string): FollowUpRequest {
    const dueAt = this.nextAfterNow(from, { minutes: this.deps.policy.incident.statusUpdateMinutes[incident.severity] });
    return { kind: INCIDENT_FOLLOW_UPS.statusRequest, topic: incidentTopic(incident.id), occurrence: dueAt, dueAt, payload: {} };
  }

  /** The next daily postmortem reminder to one person. */
  postmortemReminder(incidentId: number, user: string, dueAt: string): FollowUpRequest {
    return { kind: INCIDENT_FOLLOW_UPS.postmortem, topic: incidentTopic(incidentId), occurrence: `${dueAt}:${user}`, dueAt, payload: { user } };
  }

  /** The day after `dueAt` (or the first such day still to come), for the daily repeats. */
  nextDay(dueAt: string): string {
    return this.nextAfterNow(dueAt, { days: 1 });
  }

  /**
   * `from` plus as many `every` as it takes to be in the future: a repeat the bot missed (it was
   * down, or a sweep ran late) is skipped rather than sent in a burst, one per sweep, to catch up.
   */
  private nextAfterNow(from: string, every: DurationLike): string {
    const now = this.deps.clock.now();
    let next = DateTime.fromISO(from, { zone: 'utc' }).plus(every);
    while (next <= now) next = next.plus(every);
    return iso(next);
  }

  /** A page that could not be delivered (the person left Slack, or blocks DMs): on the timeline, so the escalation is seen to matter. */
  notePageUndelivered(id: number, user: string, why: string): void {
    this.recordEvents(id, [{ actor: 'rotor', kind: 'page_undelivered', key: `page_undelivered:${user}`, summary: `Could not page ${user}: ${why}`, details: { people: peopleOf(user) } }]);
  }

  /**
   * The status message is in the channel: its ts is recorded, and what waited for it is returned
   * to schedule: a thread reply for every event so far, in order, and a redraw if the incident
   * changed after the message was rendered at `renderedVersion` (unknown after a crash: redrawn).
   */
  statusMessagePosted(id: number, ts: string, renderedVersion: number | null): FollowUpRequest[] {
    this.deps.repo.setStatusMessage(id, ts);
    const { incident, events } = this.get(id);
    const now = this.now();
    const waiting = events.filter((event) => !QUIET_EVENT_KINDS.has(event.kind)).map((event) => this.threadEvent(id, event.id, now));
    if (renderedVersion === null || incident.version > renderedVersion) waiting.push(this.statusRefresh(id, incident.version, now));
    // Asked from inside a sweep: the next one, right after it, sends them.
    this.deps.kickFollowUps?.();
    return waiting;
  }

  /**
   * Whether the compromised version is still in service, read back from the store now; null once
   * it is disabled. A manual secret has no store: its disable step, ticked by the person who
   * deleted the value from where it was kept, is what there is.
   */
  private async compromisedStillLive(incident: Incident, rotation: RotationRecord): Promise<string | null> {
    const name = incident.secretName;
    const { provider } = rotation.rotation;
    if (provider === 'manual') {
      const disable = rotation.steps.find((step) => step.id === 'disable_compromised');
      return disable?.state === 'done' ? null : `nobody did “${disable?.title ?? 'Disable the compromised version in the store'}”: the compromised value may still be kept and used`;
    }
    const versionId = incident.compromisedVersionId;
    if (!versionId) return `Rotor does not know which version of ${name} was compromised, so it cannot read back that it is disabled`;
    let found: VersionSummary | null;
    try {
      const description = await this.deps.operations.validate(storeBindingOfIncident(incident));
      found = [description.current, ...description.others].find((version) => version?.versionId === versionId) ?? null;
    } catch (error) {
      return `Rotor could not read ${name} at the store to check that version ${versionId} is disabled (${describeError(error)})`;
    }
    return compromisedVersionLive(provider, versionId, found);
  }

  /** What disabling the compromised version needs: for the rotation service's disable step. */
  revocationFacts(rotationId: number): RevocationFacts | null {
    const incident = this.deps.repo.ofRotation(rotationId);
    return incident ? { order: incident.revocationOrder, destroy: incident.destroy, compromisedVersionId: incident.compromisedVersionId, incidentOpen: incident.state === 'open' } : null;
  }

  /**
   * Follows the emergency rotation, inside its transaction: its start links it (and fixes the
   * compromised version to what the store said was current), each step becomes an event, and its
   * end asks security for the sign-off.
   */
  onRotationChange(record: RotationRecord, events: readonly AuditEventInput[]): void {
    const { rotation } = record;
    if (rotation.kind !== 'emergency' || !rotation.incidentId) return;
    const incident = this.deps.repo.find(rotation.incidentId);
    if (!incident) return;
    const now = this.now();
    const change: IncidentChange = {};
    const actions = new Set(events.map((event) => event.action));
    if (actions.has('rotation.started')) {
      change.rotationId = rotation.id;
      if (rotation.previousVersionId) {
        change.compromisedVersionId = rotation.previousVersionId;
        change.compromisedFingerprint = rotation.previousFingerprint;
      }
    }
    const disabledVersion = events
      .map((event) => (event.details ?? {}) as Record<string, unknown>)
      .find((details) => details.step === 'disable_compromised' && typeof details.versionId === 'string')?.versionId as string | undefined;
    if (disabledVersion && !incident.compromisedVersionId && !change.compromisedVersionId) change.compromisedVersionId = disabledVersion;
    const ended = actions.has('rotation.completed') || actions.has('rotation.abandoned');
    const notices: NewIncidentEvent[] = [];
    if (ended) {
      // Asked of whoever may sign off as the rotation ended: nobody who broke the glass or worked it.
      const plan = signOffPlan(this.deps.policy, rotation.breakGlassBy ?? incident.responder, record);
      for (const person of plan.people) {
        this.deps.followUps.schedule({ kind: INCIDENT_FOLLOW_UPS.signOffRequest, topic: incidentTopic(incident.id), occurrence: person, dueAt: now, payload: { user: person } });
      }
      notices.push(...this.signOffNoticeEvents(rotation.breakGlassBy ?? incident.responder, record));
    }
    this.apply(incident.id, now, change, [...incidentEventsOf(record, events), ...notices], incident.state);
    const disabled = events.some((event) => event.action === 'rotation.step_done' && (event.details as Record<string, unknown> | undefined)?.step === 'disable_compromised');
    afterCommit(this.deps.db, () => {
      // The status message follows the rotation now, not at the next scheduled sweep.
      this.deps.kickFollowUps?.();
      if (disabled) this.deps.onEvent?.({ kind: 'disabled', incident, seconds: secondsBetween(incident.openedAt, now) });
      if (actions.has('rotation.completed')) this.deps.onEvent?.({ kind: 'rotated', incident, seconds: secondsBetween(incident.openedAt, now) });
    });
  }

  /**
   * Records events with a change (which bumps the incident's version) in one transaction, and
   * schedules what shows them: a thread reply per new event, and a redraw of the status message.
   */
  private apply(id: number, now: string, change: IncidentChange, events: readonly NewIncidentEvent[], fromState: Incident['state'] = 'open'): void {
    inWriteTransaction(this.deps.db, () => {
      if (!this.deps.repo.update(id, change, fromState)) {
        const current = this.incident(id);
        throw new RotorError('conflict', `Incident #${id} is ${current.state} (since ${current.closedAt ?? current.openedAt}); reload it to see where it stands.`);
      }
      // Until the status message is posted there is no thread to reply in nor message to redraw: its post schedules what waited (statusMessagePosted).
      const { statusTs, version } = this.incident(id);
      for (const event of events) {
        const { id: eventId, added } = this.deps.repo.addEvent(id, { at: now, actor: event.actor, kind: event.kind, key: event.key, summary: event.summary, details: event.details ?? {} });
        if (added && statusTs && !QUIET_EVENT_KINDS.has(event.kind)) this.deps.followUps.schedule(this.threadEvent(id, eventId, now));
      }
      if (statusTs) this.deps.followUps.schedule(this.statusRefresh(id, version, now));
    });
  }

  private threadEvent(id: number, eventId: number, dueAt: string): FollowUpRequest {
    return { kind: INCIDENT_FOLLOW_UPS.threadEvent, topic: incidentTopic(id), occurrence: `e${eventId}`, dueAt, payload: { event: eventId } };
  }

  private statusRefresh(id: number, version: number, dueAt: string): FollowUpRequest {
    return { kind: INCIDENT_FOLLOW_UPS.statusRefresh, topic: incidentTopic(id), occurrence: `v${version}`, dueAt, payload: { version } };
  }

  /** Events recorded on their own, outside another change (a failure to note). */
  private recordEvents(id: number, events: readonly NewIncidentEvent[]): void {
    this.apply(id, this.now(), {}, events, this.incident(id).state);
  }

  /**
   * When no security lead may sign off the break-glass rotation, the timeline says so and names
   * who can (the policy's fallback) or that nobody can: at the opening, and again when the rotation
   * ends if those who worked it changed that.
   */
  private signOffNoticeEvents(breakGlassBy: string, rotation: RotationRecord | null): NewIncidentEvent[] {
    const plan = signOffPlan(this.deps.policy, breakGlassBy, rotation);
    const notice = signOffNotice(this.deps.policy, plan, breakGlassBy);
    if (!notice) return [];
    // Keyed by who can: said again at the end only if the people who worked the rotation changed it.
    return [{ actor: 'rotor', kind: 'sign_off_fallback', key: `sign_off_fallback:${plan.people.join(',')}`, summary: notice, details: { people: peopleOf(breakGlassBy, ...plan.people), signers: plan.people, fallback: plan.fallback?.setting ?? null } }];
  }

  /** Pages the people of some levels (each person once per incident), with an event per page. */
  private pageEvents(id: number, levels: readonly PageLevel[], now: string, why: 'paged' | 'escalation'): NewIncidentEvent[] {
    const events: NewIncidentEvent[] = [];
    for (const rung of levels) {
      for (const person of rung.people) {
        if (!this.deps.repo.addPage(id, person, rung.level, now)) continue;
        this.deps.followUps.schedule({ kind: INCIDENT_FOLLOW_UPS.page, topic: incidentTopic(id), occurrence: person, dueAt: now, payload: { user: person, level: rung.level } });
        events.push({
          actor: 'rotor',
          kind: 'paged',
          key: `paged:${person}`,
          summary: `Paged ${person} (${rung.level.replace('_', ' ')}${why === 'escalation' ? ', escalation' : ''}).`,
          details: { level: rung.level, people: [person] },
        });
      }
    }
    return events;
  }

  /** Everything an open incident keeps doing until it closes. */
  private scheduleIncident(id: number, lead: string, severity: Incident['severity'], now: string): void {
    const topic = incidentTopic(id);
    const start = DateTime.fromISO(now, { zone: 'utc' });
    // The safety net for a crash before the emergency rotation started: `open` starts it at once itself.
    this.deps.followUps.schedule({ kind: INCIDENT_FOLLOW_UPS.proceed, topic, dueAt: iso(start.plus({ minutes: PROCEED_GRACE_MINUTES })), payload: {} });
    this.deps.followUps.schedule({ kind: INCIDENT_FOLLOW_UPS.statusPost, topic, dueAt: now, payload: {} });
    this.deps.followUps.schedule(this.escalation(id, 1, start));
    this.deps.followUps.schedule(this.statusRequest({ id, severity } as Incident, now));
    const postmortemAt = iso(start.plus({ hours: this.deps.policy.incident.postmortemHours }));
    for (const person of new Set([lead, ...this.deps.policy.roles.securityLeads])) this.deps.followUps.schedule(this.postmortemReminder(id, person, postmortemAt));
  }

  private escalation(id: number, step: number, from: DateTime): FollowUpRequest {
    return { kind: INCIDENT_FOLLOW_UPS.escalate, topic: incidentTopic(id), occurrence: String(step), dueAt: iso(from.plus({ minutes: this.deps.policy.incident.ackMinutes })), payload: { step } };
  }

  /** The open incident, once the actor is known to be allowed to work it (post updates, retry). */
  workable(actor: Actor, id: number): IncidentRecord {
    const record = this.get(id);
    this.deps.authorizer.require(actor, { action: 'respond', secret: this.secretOf(record.incident) });
    if (record.incident.state !== 'open') throw new RotorError('conflict', `Incident #${id} was closed at ${record.incident.closedAt ?? 'an earlier time'}.`);
    return record;
  }

  private secretOf(incident: Incident): Secret {
    return this.deps.inventoryService.require(incident.secretName);
  }

  /** The incident alone (no timeline, no pages), for the checks a change makes. */
  private incident(id: number): Incident {
    const incident = this.deps.repo.find(id);
    if (!incident) throw new NotFoundError(`No incident #${id}.`);
    return incident;
  }

  private now(): string {
    return iso(this.deps.clock.now());
  }
}

/** An override's reason: optional, one paragraph at most. */
function secondsBetween(from: string, to: string): number {
  return Math.max(0, Math.round(DateTime.fromISO(to).diff(DateTime.fromISO(from)).as('seconds')));
}

/** The level each person is paged at first (a person on two rungs is paged once, at the first): what the evidence checks the pages against. */
function pageLevels(rungs: readonly PageLevel[]): Record<string, string> {
  const levels: Record<string, string> = {};
  for (const rung of rungs) for (const person of rung.people) levels[person] ??= rung.level;
  return levels;
}
