import type { Hint } from '../core/next-step.js';
import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

/**
 * What holds a secret's provider and reference in place: an open rotation or an open incident
 * works on the store secret it captured when it started, so the inventory entry may not point
 * elsewhere until it ends (the flow would go on at the old reference while every other part of
 * Rotor, and every person, saw the new one).
 */
export class ReferenceLocks {
  constructor(private readonly db: Db) {}

  /** Why the reference of the secret named `name` may not change now, or null. */
  heldBy(name: string): Hint | null {
    const incident = statement(
      this.db,
      `SELECT id, opened_at FROM incidents WHERE secret_id = (SELECT id FROM secrets WHERE name = ?) AND state = 'open'`,
    ).get(name) as { id: number; opened_at: string } | undefined;
    if (incident) {
      return {
        brief: `\`${name}\` is under incident #${incident.id} (open since ${incident.opened_at}), which works on the store secret it was revoked at; close the incident before changing its provider or reference. Nothing was saved.`,
      };
    }
    const rotation = statement(
      this.db,
      `SELECT id, state, held_by FROM rotations WHERE secret_id = (SELECT id FROM secrets WHERE name = ?) AND state IN ('awaiting_approval', 'in_progress')`,
    ).get(name) as { id: number; state: string; held_by: string } | undefined;
    if (rotation) {
      return {
        brief: `\`${name}\` is being rotated (rotation #${rotation.id}, ${rotation.state.replace('_', ' ')}, held by ${rotation.held_by}), and a rotation works on the store secret it started with. Nothing was saved.`,
        next: {
          kind: 'run_command',
          command: 'rotate',
          args: [name],
          lead: 'finish or abandon it with',
          purpose: 'before changing its provider or reference',
        },
      };
    }
    return null;
  }
}
