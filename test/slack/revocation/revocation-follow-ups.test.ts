import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import {
  incidentRecord,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  shownText,
  slashRevoke,
  statusShown,
  submitIncidentForm,
  submitRevoke,
} from '../../support/revocation-slack.js';
import {
  clickInMessage,
  dmsTo,
  driveModal,
  followUpsSettled,
  modal,
  press,
  rotationRecord,
  startRotationHarness,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * What an open incident keeps doing on its own, under the injected clock: the escalation when
 * nobody acknowledges within `incident.ack_minutes`, the status requests by severity, and the
 * postmortem reminder `incident.postmortem_hours` after the revocation, daily until closed. Each
 * fires exactly once, however many sweeps and restarts come between.
 */

const SECRET = 'prod/payments/stripe_key';

const count = (h: SlackHarness, user: string, text: RegExp) => dmsTo(h, user).filter((call) => text.test(String(call.args.text))).length;
const pages = (h: SlackHarness, user: string) => count(h, user, /^Paged: Incident #1/);
const postmortems = (h: SlackHarness, user: string) => count(h, user, /^Postmortem due: Incident #1/);
const statusRequests = (h: SlackHarness) => count(h, 'U0ONCALL', /^Status update due: Incident #1/);

/** Sweeps twice, restarts the bot, sweeps again: what is due is done once, whatever the repeats. */
async function sweepsAndARestart(h: SlackHarness): Promise<void> {
  await h.runtime.runJob('follow-up-sweep');
  await h.runtime.runJob('follow-up-sweep');
  await h.restart();
  await h.runtime.runJob('follow-up-sweep');
  await followUpsSettled(h);
}

describe('an open incident under the clock, across restarts', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function revoked(severity = 'SEV3'): Promise<{ h: SlackHarness; openedAt: number }> {
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          {
            name: SECRET,
            type: 'api_key',
            owner: 'U0OWNER',
            backupOwner: 'U0BACKUP',
            team: 'payments',
            lastRotated: daysAgo(store.clock, 31),
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} pasted in a public channel`);
    await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: SECRET, severity, reason: 'pasted in a public channel' });
    await followUpsSettled(h);
    return { h, openedAt: Date.parse(incidentRecord(h, 1).incident.openedAt) };
  }

  const at = (h: SlackHarness, openedAt: number, minutes: number) => h.store.clock.set(new Date(openedAt + minutes * 60_000).toISOString());

  it('nobody acknowledges: after ack_minutes the team lead is paged once, then the CTO once; an acknowledgement stops it', async () => {
    const { h, openedAt } = await revoked();
    for (const person of ['U0OWNER', 'U0BACKUP', 'U0SEC', 'U0SEC2']) expect(pages(h, person)).toBe(1);

    // Not before ack_minutes…
    at(h, openedAt, 14);
    await sweepsAndARestart(h);
    expect(pages(h, 'U0PAYLEAD')).toBe(0);

    // …then the next level, once.
    at(h, openedAt, 15);
    await sweepsAndARestart(h);
    expect(pages(h, 'U0PAYLEAD')).toBe(1);
    const [escalated] = await waitForDms(h, 'U0PAYLEAD', /^Paged/);
    expect(JSON.stringify(escalated!.args.blocks)).toContain(
      'Nobody acknowledged the first pages, so the escalation reached you (team lead).',
    );
    expect(pages(h, 'U0CTO')).toBe(0);
    for (const person of ['U0OWNER', 'U0BACKUP', 'U0SEC', 'U0SEC2']) expect(pages(h, person)).toBe(1);
    expect(shownText(statusShown(h))).toContain('<@U0PAYLEAD> (team lead)');

    // Another ack_minutes: the CTO, once.
    at(h, openedAt, 29);
    await h.runtime.runJob('follow-up-sweep');
    expect(pages(h, 'U0CTO')).toBe(0);
    at(h, openedAt, 30);
    await sweepsAndARestart(h);
    expect(pages(h, 'U0CTO')).toBe(1);
    expect(pages(h, 'U0PAYLEAD')).toBe(1);

    // The CTO acknowledges from the page (sent before the restart): nobody else is paged, ever.
    const [ctoPage] = await waitForDms(h, 'U0CTO', /^Paged/);
    await clickInMessage(h, 'U0CTO', ctoPage!, ACTION_IDS.incidentAcknowledge);
    expect(incidentRecord(h, 1).incident.acknowledgedBy).toBe('U0CTO');
    at(h, openedAt, 24 * 60);
    await sweepsAndARestart(h);
    for (const person of ['U0OWNER', 'U0BACKUP', 'U0SEC', 'U0SEC2', 'U0PAYLEAD', 'U0CTO']) expect(pages(h, person)).toBe(1);
    const escalations = h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'incident.escalated'`).pluck().get();
    expect(escalations).toBe(2);
  });

  it('the postmortem reminder 48 hours after the revocation, once each to the lead and security, daily until closed; status requests on their cadence, never in a burst', async () => {
    const { h, openedAt } = await revoked('SEV3');
    const lead = 'U0ONCALL';
    const reminded = ['U0ONCALL', 'U0SEC', 'U0SEC2'];

    // SEV3: a status request every four hours, counted from the last update.
    at(h, openedAt, 239);
    await h.runtime.runJob('follow-up-sweep');
    expect(statusRequests(h)).toBe(0);
    at(h, openedAt, 240);
    await sweepsAndARestart(h);
    expect(statusRequests(h)).toBe(1);

    // Not before postmortem_hours. Ten cadences passed with nobody answering (or the bot down): one request now, not one per sweep to catch up.
    at(h, openedAt, 48 * 60 - 1);
    await sweepsAndARestart(h);
    for (const person of reminded) expect(postmortems(h, person)).toBe(0);
    expect(statusRequests(h)).toBe(2);
    await sweepsAndARestart(h);
    expect(statusRequests(h)).toBe(2);

    // …then once each.
    at(h, openedAt, 48 * 60);
    await sweepsAndARestart(h);
    for (const person of reminded) expect(postmortems(h, person)).toBe(1);
    expect(postmortems(h, 'U0OWNER')).toBe(0);
    const [reminder] = await waitForDms(h, lead, /^Postmortem due/);
    expect(JSON.stringify(reminder!.args.blocks)).toContain(`/revoke close 1 &lt;link&gt;`);

    // A day later, once more each.
    at(h, openedAt, 72 * 60);
    await sweepsAndARestart(h);
    for (const person of reminded) expect(postmortems(h, person)).toBe(2);

    // The emergency rotation completed and the incident closed from the reminder's button: no more reminders.
    const since = h.fake.calls.length;
    await h.untilHandled(() => h.command('/rotate', SECRET, lead, { channelId: 'C0INCIDENT' }));
    const rotationView = String(h.fake.calls.slice(since).find((call) => call.method === 'views.update')?.args.view_id);
    await driveModal(h, lead, rotationView, null);
    await press(h, lead, rotationView, ACTION_IDS.rotationComplete);
    expect(rotationRecord(h, incidentRecord(h, 1).incident.rotationId as number).rotation.state).toBe('completed');
    expect(modal(h, rotationView).title.text).toBe('Emergency rotation');
    const closing = await clickInMessage(h, lead, reminder!, ACTION_IDS.incidentClose);
    expect(await submitIncidentForm(h, lead, closing.triggerSince, 'https://wiki.example/postmortems/stripe')).toBeNull();
    expect(incidentRecord(h, 1).incident.state).toBe('closed');
    at(h, openedAt, 120 * 60);
    await sweepsAndARestart(h);
    for (const person of reminded) expect(postmortems(h, person)).toBe(2);
    // Closed: no more status requests either.
    const requests = statusRequests(h);
    at(h, openedAt, 240 * 60);
    await sweepsAndARestart(h);
    expect(statusRequests(h)).toBe(requests);
  });
});
