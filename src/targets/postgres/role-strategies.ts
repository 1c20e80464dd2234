import { TargetError } from '../target-error.js';
import { inactiveRole, type PostgresRoles } from '../target-description.js';

export { inactiveRole };

/** What one rotation of a PostgreSQL target does to its roles. */
export interface RolePlan {
  /** The role that gets the new password, and is the active one afterwards. */
  setOn: string;
  /** The role to retire (NOLOGIN) at the end of the retention window; null when nothing is left to retire. */
  retireAfterWindow: string | null;
  /**
   * Whether clients still holding the old password are refused from the moment the new one is
   * set until they pick it up (single user): said in the modal and the announcement.
   */
  authBlip: boolean;
}

/**
 * Plans a rotation from the role that is active now (AWS's convention: the `username` of the
 * store's current value). Single user: the same role gets the new password, with the blip.
 * Alternating users: the inactive role gets it and becomes active; the active one keeps working
 * until the window ends, then is retired.
 */
export function planRoleRotation(roles: PostgresRoles, activeRole: string): RolePlan {
  if (roles.strategy === 'single-user') {
    if (activeRole !== roles.role)
      throw new TargetError(
        'bad_request',
        `The store's current value names role "${activeRole}", but the target rotates role "${roles.role}" only. Correct the target or the value's username.`,
      );
    return { setOn: roles.role, retireAfterWindow: null, authBlip: true };
  }
  return { setOn: inactiveRole(roles.roles, activeRole), retireAfterWindow: activeRole, authBlip: false };
}
