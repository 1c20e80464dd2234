import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toUtcDate } from '../../../src/inventory/schedule.js';
import { operator } from '../../support/actors.js';
import { startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';

/**
 * Issue 24 (review): a change of the policy's roles between two starts compares the people in
 * them, user groups resolved (read from the fake Slack's usergroups.list at start-up), never the
 * group ids themselves.
 */

const policyWith = (securityLeads: string) => `
environments: [prod, staging, dev]
channels:
  incident: [C0INCIDENT]
  security: C0SECURITY
roles:
  admins: [U0ADMIN]
  security_leads: ${securityLeads}
  devops_leads: [U0OPS]
  responders: [U0ADMIN]
`;
const SECURITY_GROUP = { ok: true, usergroups: [{ id: 'S0SECURITY', users: ['U0SECA'] }] };
const OWNED = 'prod/app/db';
const READABLE = 'prod/app/cache';

const removals = (h: SlackHarness) =>
  h.store.db.prepare(`SELECT user_id, roles FROM personnel_changes WHERE change = 'removed_from_roles' ORDER BY id`).all() as {
    user_id: string;
    roles: string;
  }[];
const needs = (h: SlackHarness) => h.store.rotationNeeds.open('personnel_change').map((need) => need.secretName);

async function restartWith(h: SlackHarness, securityLeads: string): Promise<void> {
  writeFileSync(join(h.store.dir, 'policy.yml'), policyWith(securityLeads));
  await h.restart();
}

describe('policy role changes compare people, not group ids', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function started(): Promise<SlackHarness> {
    return startSlackHarness({
      policy: policyWith('[U0SECA]'),
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0SECA', 'U0OWNER', 'U0ADMIN', 'U0OPS']) fake.addUser(user, 'UTC');
        const lastRotated = toUtcDate(store.clock.now().minus({ days: 10 }));
        store.inventoryService.create({ name: OWNED, type: 'generic', owner: 'U0SECA', lastRotated, intervalDays: 90 }, operator(), 'test');
        store.inventoryService.create(
          { name: READABLE, type: 'generic', owner: 'U0OWNER', access: ['U0SECA'], lastRotated, intervalDays: 90 },
          operator(),
          'test',
        );
      },
    });
  }

  it('[U1] becoming [S1], U1 in S1, removes nobody and marks nothing; dropping S1 removes U1, never "user" S1', async () => {
    const h = (harness = await started());
    h.fake.script('usergroups.list', { body: SECURITY_GROUP });
    await restartWith(h, '[S0SECURITY]');
    expect(removals(h)).toEqual([]);
    expect(needs(h)).toEqual([]);

    await restartWith(h, '[]');
    expect(removals(h).map((row) => [row.user_id, JSON.parse(row.roles)])).toEqual([['U0SECA', ['security_leads']]]);
    expect(needs(h).sort()).toEqual([OWNED, READABLE].sort());
  });

  it('a group id remembered by an earlier version is never taken for a person who left a role', async () => {
    const h = (harness = await started());
    h.store.db
      .prepare(`INSERT INTO policy_role_members (role, user_id, seen_at) VALUES ('security_leads', 'S0SECURITY', ?)`)
      .run(h.store.clock.now().toUTC().toISO());
    await restartWith(h, '[U0SECA]');
    expect(removals(h)).toEqual([]);
    expect(needs(h)).toEqual([]);
  });

  it('when Slack cannot say at start-up who is in the group, nobody counts as removed, and the change is judged once it can', async () => {
    const h = (harness = await started());
    h.fake.script('usergroups.list', { error: 'fatal_error' });
    await restartWith(h, '[S0SECURITY]');
    expect(removals(h)).toEqual([]);
    expect(needs(h)).toEqual([]);

    // Slack answers now: U0SECA is not in the group, so they did leave the role.
    h.fake.script('usergroups.list', { body: { ok: true, usergroups: [{ id: 'S0SECURITY', users: ['U0OPS'] }] } });
    await h.restart();
    expect(removals(h).map((row) => row.user_id)).toEqual(['U0SECA']);
  });
});
