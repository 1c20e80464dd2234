import { afterEach, describe, expect, it } from 'vitest';
import { operator } from '../../support/actors.js';
import { incidentRecord, slashRevoke, submitRevoke } from '../../support/revocation-slack.js';
import { dmsTo, followUpsSettled, startRotationHarness } from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';

/**
 * Issue 24 item 2: the /revoke paging order and the escalation path are lists of any roles. An
 * unacknowledged page climbs on-call primary → on-call secondary → CTO, one level every
 * incident.ack_minutes under the injected clock, each once across sweeps and a restart; every
 * page carries the policy's out-of-band contacts of the others on the incident.
 */

const INCIDENT_CHANNEL = 'C0INCIDENT';
const POLICY = `
environments: [prod, staging, dev]
channels:
  announce: C0ANNOUNCE
  incident: [${INCIDENT_CHANNEL}]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
  responders: [U0ONCALL]
  cto: U0CTO
  oncall_primary: [U0PRIM]
  oncall_secondary: [U0SRE2]
contacts:
  U0SEC: { phone: "+44 20 7946 0000", note: Signal if Slack is down }
reminders:
  escalation: [owner, oncall_primary, oncall_secondary, cto]
incident:
  ack_minutes: 15
  paging: [owner, security]
`;
const PEOPLE = ['U0OWNER', 'U0SEC', 'U0OPS', 'U0ONCALL', 'U0PRIM', 'U0SRE2', 'U0CTO', 'U0ADMIN'];
const SECRET = 'prod/payments/stripe_key';

const pages = (h: SlackHarness, user: string) => dmsTo(h, user).filter((call) => /^Paged: Incident #1/.test(String(call.args.text)));

describe('an unacknowledged /revoke page climbs the defined roles', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('pages owner and security first, then on-call primary, on-call secondary and the CTO in order, each once', async () => {
    harness = await startRotationHarness({
      policy: POLICY,
      people: PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          { name: SECRET, type: 'api_key', owner: 'U0OWNER', lastRotated: store.clock.now().minus({ days: 30 }).toISODate() as string },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} pasted in a public channel`);
    await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: SECRET, severity: 'SEV3', reason: 'pasted in a public channel' });
    await followUpsSettled(h);
    const openedAt = Date.parse(incidentRecord(h, 1).incident.openedAt);
    const at = (minutes: number) => h.store.clock.set(new Date(openedAt + minutes * 60_000).toISOString());
    const sweep = async () => {
      await h.runtime.runJob('follow-up-sweep');
      await h.runtime.runJob('follow-up-sweep');
      await followUpsSettled(h);
    };
    const paged = () => ['U0OWNER', 'U0SEC', 'U0PRIM', 'U0SRE2', 'U0CTO'].map((person) => pages(h, person).length);

    expect(paged()).toEqual([1, 1, 0, 0, 0]);
    // The owner's page says how to reach security when Slack is not enough.
    const ownerPage = JSON.stringify(pages(h, 'U0OWNER')[0]?.args.blocks);
    expect(ownerPage).toContain('If Slack is not enough');
    expect(ownerPage).toContain('<@U0SEC>: +44 20 7946 0000 (Signal if Slack is down)');

    at(14);
    await sweep();
    expect(paged()).toEqual([1, 1, 0, 0, 0]);
    at(15);
    await sweep();
    expect(paged()).toEqual([1, 1, 1, 0, 0]);
    expect(JSON.stringify(pages(h, 'U0PRIM')[0]?.args.blocks)).toContain('so the escalation reached you (oncall primary)');
    at(30);
    await sweep();
    await h.restart();
    await sweep();
    expect(paged()).toEqual([1, 1, 1, 1, 0]);
    at(45);
    await sweep();
    expect(paged()).toEqual([1, 1, 1, 1, 1]);
    // The path is exhausted: nobody is paged again.
    at(90);
    await sweep();
    expect(paged()).toEqual([1, 1, 1, 1, 1]);
    const levels = incidentRecord(h, 1).pages.map((page) => [page.userId, page.level]);
    expect(levels).toEqual(
      expect.arrayContaining([
        ['U0PRIM', 'oncall_primary'],
        ['U0SRE2', 'oncall_secondary'],
        ['U0CTO', 'cto'],
      ]),
    );
  });
});
