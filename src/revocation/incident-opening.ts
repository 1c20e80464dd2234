import { actorId, slackActor, type Actor } from '../access/actor.js';
import { describeError, RotorError, UniqueConflictError } from '../core/errors.js';
import type { Secret } from '../inventory/secret.js';
import { isOpen } from '../rotation/rotation.js';
import type { EmergencyPlan } from '../rotation/rotation-service.js';
import { StaleRotationError } from '../rotation/rotation-service.js';
import { storeBindingOfIncident, type IncidentRecord } from './incident.js';
import { firstPages, incidentLadder, type PageLevel } from './incident-ladder.js';
import { parseRevocation, type RevocationInput } from './revocation-request.js';
import { settleUnknownStepBeforeRevoke } from './settle-before-revoke.js';
import { peopleOf } from './rotation-incident-events.js';
import type { RevocationServiceDeps } from './revocation-deps.js';
import { IncidentOpenError } from './revocation-errors.js';
import type { IncidentQueries } from './incident-queries.js';
import type { IncidentTransitions } from './incident-transitions.js';
import type { IncidentFollowUpPlan } from './incident-follow-up-plan.js';

/** What `/revoke <name>` opens on: the incident already open, or the blast radius of a new one. */
export type RevocationOpening = { kind: 'open'; record: IncidentRecord } | { kind: 'new'; secret: Secret; plan: EmergencyPlan };

/** Opening an incident (`/revoke`), and starting its emergency rotation (again, when it could not start at once). */
export class IncidentOpening {
  constructor(
    private readonly deps: RevocationServiceDeps,
    private readonly queries: IncidentQueries,
    private readonly writer: IncidentTransitions,
    private readonly plan: IncidentFollowUpPlan,
  ) {}

  /** What `/revoke <name>` shows first: the open incident, or what revoking would do. */
  async prepare(actor: Actor, name: string): Promise<RevocationOpening> {
    const secret = this.queries.revocable(actor, name);
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
    const secret = this.queries.revocable(actor, name);
    if (actor.kind !== 'slack' || !actor.channelId) {
      throw new RotorError('validation', 'A revocation starts in an incident channel: that is where its status message lives.', {
        next: { kind: 'run_command', command: 'revoke', args: ['<name>', '<reason>'], lead: 'run', purpose: 'there' },
      });
    }
    const existing = this.deps.repo.openFor(secret.id);
    if (existing) throw new IncidentOpenError(existing);
    const request = parseRevocation(secret, reasonText, input, this.deps.stores);
    await settleUnknownStepBeforeRevoke(this.deps.rotation, secret.name);
    const by = actorId(actor);
    const channel = actor.channelId;
    const now = this.queries.now();
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
        const pages = firstPages(
          incidentLadder(secret, this.deps.policy, this.deps.groups ?? null),
          by,
          secret,
          this.deps.policy,
          this.deps.groups ?? null,
        );
        const orderText = request.order === 'disable_now' ? 'disable now' : 'replace, then disable';
        this.writer.apply(incidentId, now, {}, [
          {
            actor: by,
            kind: 'opened',
            key: 'opened',
            summary: `${by} revoked ${secret.name} (${request.severity}${request.ticket ? `, ticket ${request.ticket}` : ''}; ${orderText}${request.destroy ? ', destroy' : ''}): ${request.reason}`,
            details: {
              severity: request.severity,
              reason: request.reason,
              ticket: request.ticket,
              order: request.order,
              destroy: request.destroy,
              people: peopleOf(by),
            },
          },
          {
            actor: by,
            kind: 'compromised',
            key: 'compromised',
            summary: `${secret.name} is marked compromised: its reminders stop while the incident is open.`,
          },
          ...this.writer.pageEvents(incidentId, pages, now, 'paged'),
          ...this.writer.signOffNoticeEvents(by, null),
        ]);
        this.plan.scheduleIncident(incidentId, by, request.severity, now);
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
      if (error instanceof UniqueConflictError) {
        const winner = this.deps.repo.openFor(secret.id);
        if (winner) throw new IncidentOpenError(winner);
      }
      throw error;
    }
    const opened = this.queries.get(id);
    this.deps.onEvent?.({ kind: 'opened', incident: opened.incident });
    this.deps.kickFollowUps?.();
    // Failures are on the record (the proceed follow-up retries what did not start).
    await this.proceed(id).catch(() => undefined);
    this.deps.kickFollowUps?.();
    return this.queries.get(id);
  }

  /**
   * Starts the emergency rotation if it has not started (a scheduled rotation open on the secret
   * is superseded first), and with *disable now* runs the disable step once. Safe to call again:
   * the `proceed` follow-up does, after a crash.
   */
  async proceed(id: number): Promise<void> {
    const incident = this.queries.incident(id);
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
          {
            kind: 'emergency',
            breakGlassReason: incident.reason,
            incidentId: id,
            revocationOrder: incident.revocationOrder,
            binding: storeBindingOfIncident(incident),
          },
        );
      } catch (error) {
        const linked = this.queries.incident(id).rotationId;
        if (!linked) {
          this.writer.recordEvents(id, [
            {
              actor: 'rotor',
              kind: 'rotation_start_failed',
              key: `rotation_start_failed:${this.queries.now()}`,
              summary: `The emergency rotation could not start: ${describeError(error)}`,
            },
          ]);
          throw error;
        }
        record = this.deps.rotation.get(linked);
      }
    }
    if (!isOpen(record.rotation.state)) return;
    if (record.steps.some((step) => step.action === 'lock_at_target')) {
      await this.lockOutAtTarget(actor, record.rotation.id);
      return;
    }
    if (incident.revocationOrder !== 'disable_now') return;
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
   * A secret whose credential Rotor sets at its target: Rotor's steps up to the lock-out run now,
   * one after the other (stage the new value, set it at the target, log in with it, make it
   * current, lock the compromised one out). The first that fails stops the run with its error on
   * the step (the status message shows it with Retry and what to do by hand); a step already
   * tried is left to Retry, so a second call repeats nothing.
   */
  private async lockOutAtTarget(actor: Actor, rotationId: number): Promise<void> {
    for (;;) {
      const record = this.deps.rotation.get(rotationId);
      if (!isOpen(record.rotation.state)) return;
      const next = record.steps.find((step) => step.state !== 'done' && step.state !== 'skipped');
      const lock = record.steps.findIndex((step) => step.action === 'lock_at_target');
      if (!next || next.position > (record.steps[lock]?.position ?? -1)) return;
      if (next.action === null || next.state !== 'pending' || next.attempts > 0) return;
      try {
        const { error } = await this.deps.rotation.runStep(actor, rotationId, next.id, { expectedVersion: record.rotation.version });
        if (error) return;
      } catch (error) {
        // Someone is already at it (a click, another replica): theirs is the run.
        if (error instanceof StaleRotationError || (error instanceof RotorError && error.code === 'conflict')) return;
        throw error;
      }
    }
  }

  /**
   * Retries what failed: the emergency rotation's failed provider step (disabling, most often),
   * or the rotation itself if it never started.
   */
  async retry(actor: Actor, id: number): Promise<{ record: IncidentRecord; error: RotorError | null }> {
    const { incident } = this.queries.workable(actor, id);
    if (!incident.rotationId) {
      try {
        await this.proceed(id);
        return { record: this.queries.get(id), error: null };
      } catch (error) {
        return {
          record: this.queries.get(id),
          error: error instanceof RotorError ? error : new RotorError('internal', describeError(error), { cause: error }),
        };
      }
    }
    const rotation = this.deps.rotation.get(incident.rotationId);
    // A step still running is either under way (said so, with when to look again) or its run died (past its lease): settled from the store.
    const interrupted = rotation.steps.find((step) => step.state === 'running' && step.action !== null);
    if (interrupted) {
      const { error } = await this.deps.rotation.checkStep(actor, rotation.rotation.id, interrupted.id, {
        expectedVersion: rotation.rotation.version,
      });
      return { record: this.queries.get(id), error };
    }
    const failed = rotation.steps.find((step) => step.state === 'pending' && step.action !== null && step.lastError !== null);
    if (!failed) throw new RotorError('conflict', `Nothing in incident #${id} has failed: there is nothing to retry.`);
    const { error } = await this.deps.rotation.runStep(actor, rotation.rotation.id, failed.id, {
      expectedVersion: rotation.rotation.version,
    });
    // At a target, the retried step was one of those up to the lock-out: the rest of them follow.
    if (!error && rotation.steps.some((step) => step.action === 'lock_at_target'))
      await this.lockOutAtTarget(slackActor(incident.responder, incident.channel), rotation.rotation.id);
    return { record: this.queries.get(id), error };
  }
}

/** The level each person is paged at first (a person on two rungs is paged once, at the first): what the evidence checks the pages against. */
function pageLevels(rungs: readonly PageLevel[]): Record<string, string> {
  const levels: Record<string, string> = {};
  for (const rung of rungs) for (const person of rung.people) levels[person] ??= rung.level;
  return levels;
}
