import { DateTime } from 'luxon';
import { actorId, type Actor } from '../access/actor.js';
import { describeError, RotorError, ValidationError } from '../core/errors.js';
import type { VersionSummary } from '../providers/secret-provider.js';
import { isOpen, type RotationRecord } from '../rotation/rotation.js';
import { INCIDENT_FOLLOW_UPS, incidentTopic, storeBindingOfIncident, type Incident, type IncidentRecord } from './incident.js';
import { parseOverrideReason, parsePostmortemUrl } from './revocation-request.js';
import { signOffPlan, type SignOffPlan } from './sign-off.js';
import { peopleOf } from './rotation-incident-events.js';
import type { RevocationServiceDeps } from './revocation-deps.js';
import type { IncidentQueries } from './incident-queries.js';
import type { IncidentTransitions } from './incident-transitions.js';

/** Signing an incident off and closing it, once the store shows the compromised version disabled. */
export class IncidentClosing {
  constructor(
    private readonly deps: RevocationServiceDeps,
    private readonly queries: IncidentQueries,
    private readonly writer: IncidentTransitions,
  ) {}

  /** Who may sign off the incident's break-glass rotation now (sign-off.ts). */
  signOffPlanFor(incident: Incident): SignOffPlan {
    const rotation = incident.rotationId ? this.deps.rotation.get(incident.rotationId) : null;
    return signOffPlan(
      this.deps.policy,
      rotation?.rotation.breakGlassBy ?? incident.responder,
      rotation && { record: rotation, tookOver: this.deps.rotation.tookOver(rotation) },
      this.deps.groups ?? null,
    );
  }

  /**
   * Security's retrospective sign-off of the break-glass rotation, once it has ended: by someone
   * who neither broke the glass nor worked the rotation (two-person rule); a security lead, or the
   * policy's fallback role when no security lead is left who may.
   */
  signOff(actor: Actor, id: number): IncidentRecord {
    const record = this.queries.get(id);
    const { incident } = record;
    const plan = this.signOffPlanFor(incident);
    this.deps.authorizer.require(actor, {
      action: 'sign_off',
      secret: this.queries.secretOf(incident),
      signOffFallback: plan.fallback !== null,
    });
    const by = actorId(actor);
    if (incident.signedOffBy)
      throw new RotorError(
        'conflict',
        `${incident.signedOffBy} signed off the emergency rotation of incident #${id} at ${incident.signedOffAt ?? 'an earlier time'}.`,
      );
    const rotation = incident.rotationId ? this.deps.rotation.get(incident.rotationId) : null;
    if (!rotation || isOpen(rotation.rotation.state))
      throw new RotorError(
        'conflict',
        `The emergency rotation of incident #${id} has not ended yet; sign it off once it is completed or abandoned.`,
      );
    const excluded = plan.excluded.get(by);
    if (excluded && actor.kind === 'slack') {
      const who =
        plan.people.length > 0
          ? `${plan.people.join(', ')}${plan.fallback ? ` (${plan.fallback.label}, the policy's incident.signoff_fallback)` : ''} can`
          : 'nobody else can (see the policy: incident.signoff_fallback)';
      throw new RotorError(
        'forbidden',
        `You cannot sign off this break-glass rotation: ${excluded}, and sign-off comes from someone who did neither (two-person rule); ${who}.`,
      );
    }
    const now = this.queries.now();
    this.deps.audit.record(() => {
      this.writer.apply(
        id,
        now,
        { signedOffBy: by, signedOffAt: now },
        [
          {
            actor: by,
            kind: 'signed_off',
            key: 'signed_off',
            summary: `${by} signed off the break-glass rotation.`,
            details: { people: peopleOf(by) },
          },
        ],
        incident.state,
      );
      this.deps.followUps.cancel(incidentTopic(id), INCIDENT_FOLLOW_UPS.signOffRequest);
      return {
        result: undefined,
        events: [
          {
            actor: by,
            action: 'incident.signed_off',
            secret: incident.secretName,
            details: { incident: id, rotation: rotation.rotation.id },
          },
        ],
      };
    });
    this.deps.kickFollowUps?.();
    return this.queries.get(id);
  }

  /**
   * Whether `actor` may close the incident now, asked before its form opens and again on submit:
   * the incident must be open, and the actor its lead, a security lead or a responder. A refusal
   * names all of them, the lead included.
   */
  closable(actor: Actor, id: number): IncidentRecord {
    const record = this.queries.get(id);
    const { incident } = record;
    if (actorId(actor) !== incident.responder) {
      const question = { action: 'close_incident', secret: this.queries.secretOf(incident) } as const;
      const decision = this.deps.authorizer.decide(actor, question);
      if (!decision.allowed)
        this.deps.authorizer.refuse(actor, question, {
          ...decision,
          whoMay: [{ label: 'the lead of this incident', userIds: [incident.responder] }, ...decision.whoMay],
        });
    }
    if (incident.state !== 'open')
      throw new RotorError(
        'conflict',
        `Incident #${id} was closed by ${incident.closedBy ?? 'someone'} at ${incident.closedAt ?? 'an earlier time'}.`,
      );
    return record;
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
  close(
    actor: Actor,
    id: number,
    postmortemUrl: string | null,
    options: { override?: string | null; signal?: AbortSignal } = {},
  ): Promise<IncidentRecord> {
    const { incident } = this.closable(actor, id);
    const url = parsePostmortemUrl(postmortemUrl);
    if (!incident.rotationId) {
      throw new RotorError('conflict', `The emergency rotation of incident #${id} never started`, {
        next: {
          kind: 'action',
          action: 'retry_incident',
          args: [String(id)],
          lead: '',
          purpose: 'and complete or abandon it before closing',
        },
      });
    }
    const rotation = this.deps.rotation.get(incident.rotationId);
    if (isOpen(rotation.rotation.state)) {
      throw new RotorError('conflict', `The emergency rotation of ${incident.secretName} is still open:`, {
        next: {
          kind: 'run_command',
          command: 'rotate',
          args: [incident.secretName],
          lead: 'complete it, or abandon it with a reason',
          aside: true,
          purpose: `then close incident #${id}`,
        },
      });
    }
    const override = parseOverrideReason(options.override);
    return this.closeOnceDisabled(actor, incident, rotation, url, override, options.signal);
  }

  private async closeOnceDisabled(
    actor: Actor,
    incident: Incident,
    rotation: RotationRecord,
    url: string,
    override: string | null,
    signal: AbortSignal | undefined,
  ): Promise<IncidentRecord> {
    const { id } = incident;
    const by = actorId(actor);
    const live = await this.compromisedStillLive(incident, rotation);
    if (signal?.aborted) {
      throw new RotorError(
        'provider',
        `Rotor could not read ${incident.secretName} at the store in time to confirm the compromised version is disabled, so incident #${id} is not closed.`,
        {
          next: {
            kind: 'run_command',
            command: 'revoke',
            args: ['close', String(id), '<postmortem link>'],
            lead: 'try again, or close it with',
          },
        },
      );
    }
    if (live && !override) {
      throw new ValidationError(
        `Incident #${id} cannot close yet: ${live} (read back just now).`,
        [
          {
            where: 'override',
            message: `${live} (read back just now). Disable it first, or a responder other than ${incident.responder} gives the reason to close anyway.`,
          },
        ],
        {
          next: {
            kind: 'action',
            action: 'override_close',
            args: [String(id)],
            lead: `disable it at the store by hand first, or a second responder (not ${incident.responder}, who leads it) closes it with an override and the reason:`,
          },
        },
      );
    }
    const breakGlassBy = rotation.rotation.breakGlassBy ?? incident.responder;
    if (live && (by === incident.responder || by === breakGlassBy) && actor.kind === 'slack') {
      throw new RotorError(
        'forbidden',
        `Closing incident #${id} with the compromised version still live takes a second responder: you ${by === incident.responder ? 'lead this incident' : 'broke the glass'}, so another security lead or responder gives the override and its reason.`,
      );
    }
    const overridden = live && override ? { by, reason: override, live } : null;
    const now = this.queries.now();
    this.deps.audit.record(() => {
      const topic = incidentTopic(id);
      this.writer.apply(id, now, { state: 'closed', closedAt: now, closedBy: by, postmortemUrl: url }, [
        ...(overridden
          ? [
              {
                actor: by,
                kind: 'close_override',
                key: 'close_override',
                summary: `${by} closed the incident with the compromised version still live (${overridden.live}), overriding the check: ${override}`,
                details: { reason: override, live: overridden.live, people: peopleOf(by) },
              },
            ]
          : []),
        {
          actor: by,
          kind: 'closed',
          key: 'closed',
          summary: `${by} closed the incident; postmortem: ${url}`,
          details: { postmortemUrl: url, people: peopleOf(by) },
        },
      ]);
      for (const kind of [
        INCIDENT_FOLLOW_UPS.escalate,
        INCIDENT_FOLLOW_UPS.statusRequest,
        INCIDENT_FOLLOW_UPS.postmortem,
        INCIDENT_FOLLOW_UPS.proceed,
      ])
        this.deps.followUps.cancel(topic, kind);
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
    const closed = this.queries.get(id);
    this.deps.onEvent?.({ kind: 'closed', incident: closed.incident });
    this.deps.kickFollowUps?.();
    return closed;
  }

  /**
   * Whether the compromised version is still in service, read back from the store now; null once
   * it is disabled. A manual secret has no store: its disable step, ticked by the person who
   * deleted the value from where it was kept, is what there is.
   */
  private async compromisedStillLive(incident: Incident, rotation: RotationRecord): Promise<string | null> {
    const name = incident.secretName;
    const store = this.deps.stores.of(rotation.rotation.provider);
    if (store.capabilities.byHand) {
      const disable = rotation.steps.find((step) => step.id === 'disable_compromised');
      return disable?.state === 'done'
        ? null
        : `nobody did “${disable?.title ?? 'Disable the compromised version in the store'}”: the compromised value may still be kept and used`;
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
    return found ? store.compromisedStillLive(versionId, found) : null;
  }
}

export function secondsBetween(from: string, to: string): number {
  return Math.max(0, Math.round(DateTime.fromISO(to).diff(DateTime.fromISO(from)).as('seconds')));
}
