import type { Actor } from '../access/actor.js';
import { isoInstant as iso } from '../core/clock.js';
import { NotFoundError, RotorError } from '../core/errors.js';
import type { Secret } from '../inventory/secret.js';
import type { Incident, IncidentRecord } from './incident.js';
import type { RevocationServiceDeps } from './revocation-deps.js';

/** Reads of incidents, and who may act on them. */
export class IncidentQueries {
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
      throw new RotorError('conflict', `${secret.name} is retired: Rotor holds it as no longer in use.`, {
        next: {
          kind: 'run_command',
          command: 'secrets edit',
          args: [secret.name],
          lead: 'if it is still in use somewhere, set it back to active with',
          purpose: 'and then revoke it',
        },
      });
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

  /** The open incident, once the actor is known to be allowed to work it (post updates, retry). */
  workable(actor: Actor, id: number): IncidentRecord {
    const record = this.get(id);
    this.deps.authorizer.require(actor, { action: 'respond', secret: this.secretOf(record.incident) });
    if (record.incident.state !== 'open')
      throw new RotorError('conflict', `Incident #${id} was closed at ${record.incident.closedAt ?? 'an earlier time'}.`);
    return record;
  }

  secretOf(incident: Incident): Secret {
    return this.deps.inventoryService.require(incident.secretName);
  }

  /** The incident alone (no timeline, no pages), for the checks a change makes. */
  incident(id: number): Incident {
    const incident = this.deps.repo.find(id);
    if (!incident) throw new NotFoundError(`No incident #${id}.`);
    return incident;
  }

  now(): string {
    return iso(this.deps.clock.now());
  }
}
