import type { Actor } from '../access/actor.js';
import type { Authorizer } from '../access/authorize.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { Secret } from '../inventory/secret.js';

/** Guided rotation: who may rotate which secret. */
export class RotationService {
  constructor(private readonly deps: { inventoryService: InventoryService; authorizer: Authorizer }) {}

  /** The secret, once the actor is known to be allowed to rotate it. */
  rotatable(actor: Actor, name: string): Secret {
    const secret = this.deps.inventoryService.require(name);
    this.deps.authorizer.require(actor, { action: 'rotate', secret });
    return secret;
  }
}
