import { describe, expect, it } from 'vitest';
import { inactiveRole, planRoleRotation } from '../../../src/targets/postgres/role-strategies.js';
import { TargetError } from '../../../src/targets/target-error.js';

describe('PostgreSQL role strategies', () => {
  it('single user: the same role gets the new password, nothing to retire, with the authentication blip stated', () => {
    expect(planRoleRotation({ strategy: 'single-user', role: 'app' }, 'app')).toEqual({
      setOn: 'app',
      retireAfterWindow: null,
      authBlip: true,
    });
  });

  it('alternating users: the inactive role gets the new password and the active one is retired after the window; each rotation flips', () => {
    const roles = { strategy: 'alternating-users', roles: ['app_a', 'app_b'] } as const;
    const first = planRoleRotation(roles, 'app_a');
    expect(first).toEqual({ setOn: 'app_b', retireAfterWindow: 'app_a', authBlip: false });
    expect(planRoleRotation(roles, first.setOn)).toEqual({ setOn: 'app_a', retireAfterWindow: 'app_b', authBlip: false });
    expect(inactiveRole(['app_a', 'app_b'], 'app_b')).toBe('app_a');
  });

  it('refuses an active role the target does not name', () => {
    expect(() => planRoleRotation({ strategy: 'single-user', role: 'app' }, 'other')).toThrow(TargetError);
    expect(() => planRoleRotation({ strategy: 'alternating-users', roles: ['app_a', 'app_b'] }, 'app_c')).toThrow(
      /not one of the target's alternating roles/,
    );
  });
});
