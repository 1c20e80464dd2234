import type { Actor } from '../access/actor.js';
import type { Authorizer } from '../access/authorize.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { Secret } from '../inventory/secret.js';

/** Emergency revocation: only responders and security leads, only in an incident channel. */
export class RevocationService {
  constructor(private readonly deps: { inventory: InventoryRepo; inventoryService: InventoryService; authorizer: Authorizer }) {}

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
    return this.deps.inventoryService.require(name);
  }
}
