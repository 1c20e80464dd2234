import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../src/config/policy.js';
import { operator } from '../../support/actors.js';
import {
  clickOnStatus,
  incidentRecord,
  INCIDENT_CHANNEL,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  shownText,
  slashRevoke,
  statusShown,
  submitRevoke,
} from '../../support/revocation-slack.js';
import {
  ACTION_IDS,
  button,
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
 * Who signs off a break-glass rotation (issue 19, item 6; issue 18, item 8): someone who neither
 * broke the glass nor worked the rotation. A security lead who did the steps is refused and not
 * asked; with one security lead, who revoked, the incident says at once that the sign-off falls
 * to the policy's fallback role (the CTO by default), who is asked and may sign it off.
 */

const SECRET = 'prod/stripe/api_key';
/** One security lead, who is also the one who revokes. */
const ONE_LEAD_POLICY = REVOCATION_POLICY.replace('security_leads: [U0SEC, U0SEC2]', 'security_leads: [U0SEC]');

describe('signing off a break-glass rotation', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function start(policy: string): Promise<SlackHarness> {
    harness = await startRotationHarness({
      policy,
      people: REVOCATION_PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          { name: SECRET, type: 'api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        ),
    });
    return harness;
  }

  /** `/revoke` by `responder`, confirmed: the incident is open. */
  async function revoke(h: SlackHarness, responder: string): Promise<void> {
    const { viewId } = await slashRevoke(h, responder, `${SECRET} leaked in a public gist`);
    await submitRevoke(h, responder, viewId as string, { confirm: SECRET });
    await followUpsSettled(h);
  }

  /** `worker` opens the emergency rotation in the incident channel, takes it over if someone else holds it, does every step and completes it. */
  async function work(h: SlackHarness, worker: string): Promise<void> {
    const since = h.fake.calls.length;
    await h.untilHandled(() => h.command('/rotate', SECRET, worker, { channelId: INCIDENT_CHANNEL }));
    const viewId = String(h.fake.calls.slice(since).find((call) => call.method === 'views.update')?.args.view_id);
    if (button(modal(h, viewId), ACTION_IDS.rotationTakeOver)) await press(h, worker, viewId, ACTION_IDS.rotationTakeOver);
    await driveModal(h, worker, viewId, null);
    await press(h, worker, viewId, ACTION_IDS.rotationComplete);
    await followUpsSettled(h);
  }

  it('a security lead who worked the emergency rotation is neither asked nor allowed to sign it off; the other one is', async () => {
    const h = await start(REVOCATION_POLICY);
    await revoke(h, 'U0ONCALL');
    await work(h, 'U0SEC');
    const { rotationId } = incidentRecord(h, 1).incident;
    expect(rotationRecord(h, rotationId as number).rotation).toMatchObject({
      state: 'completed',
      heldBy: 'U0SEC',
      breakGlassBy: 'U0ONCALL',
    });

    // Only the security lead who took no part is asked.
    await waitForDms(h, 'U0SEC2', /^Sign-off needed/);
    expect(dmsTo(h, 'U0SEC').filter((call) => /^Sign-off needed/.test(String(call.args.text)))).toEqual([]);

    // The one who did every step presses Sign off on the status message: refused, nothing recorded.
    const refused = await clickOnStatus(h, 'U0SEC', ACTION_IDS.incidentSignOff);
    expect(String(refused.reply?.text)).toContain('You cannot sign off this break-glass rotation: you worked on this emergency rotation');
    expect(String(refused.reply?.text)).toContain('two-person rule');
    expect(String(refused.reply?.text)).toContain('U0SEC2 can');
    expect(incidentRecord(h, 1).incident.signedOffBy).toBeNull();
    expect(h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'incident.signed_off'`).pluck().get()).toBe(0);

    const [request] = await waitForDms(h, 'U0SEC2', /^Sign-off needed/);
    await clickInMessage(h, 'U0SEC2', request!, ACTION_IDS.incidentSignOff);
    expect(incidentRecord(h, 1).incident.signedOffBy).toBe('U0SEC2');
  });

  it('a security lead who only took the emergency rotation over (did no step) is neither asked nor allowed to sign it off: taking it over is working it', async () => {
    const h = await start(REVOCATION_POLICY);
    await revoke(h, 'U0ONCALL');
    // U0SEC2 takes it over and does nothing; U0ONCALL takes it back and does every step.
    const since = h.fake.calls.length;
    await h.untilHandled(() => h.command('/rotate', SECRET, 'U0SEC2', { channelId: INCIDENT_CHANNEL }));
    const viewId = String(h.fake.calls.slice(since).find((call) => call.method === 'views.update')?.args.view_id);
    await press(h, 'U0SEC2', viewId, ACTION_IDS.rotationTakeOver);
    const { rotationId } = incidentRecord(h, 1).incident;
    expect(rotationRecord(h, rotationId as number).rotation.heldBy).toBe('U0SEC2');
    await work(h, 'U0ONCALL');
    const { rotation, steps } = rotationRecord(h, rotationId as number);
    expect(rotation).toMatchObject({ state: 'completed', heldBy: 'U0ONCALL' });
    expect(steps.some((step) => step.doneBy === 'U0SEC2')).toBe(false);

    await waitForDms(h, 'U0SEC', /^Sign-off needed/);
    expect(dmsTo(h, 'U0SEC2').filter((call) => /^Sign-off needed/.test(String(call.args.text)))).toEqual([]);
    const refused = await clickOnStatus(h, 'U0SEC2', ACTION_IDS.incidentSignOff);
    expect(String(refused.reply?.text)).toContain('you worked on this emergency rotation (you took it over)');
    expect(String(refused.reply?.text)).toContain('U0SEC can');
    expect(incidentRecord(h, 1).incident.signedOffBy).toBeNull();
    expect(h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'incident.signed_off'`).pluck().get()).toBe(0);

    const [request] = await waitForDms(h, 'U0SEC', /^Sign-off needed/);
    await clickInMessage(h, 'U0SEC', request!, ACTION_IDS.incidentSignOff);
    expect(incidentRecord(h, 1).incident.signedOffBy).toBe('U0SEC');
  });

  it('with one security lead, who broke the glass: the incident says at once that the CTO signs off, asks the CTO, and the CTO may', async () => {
    const h = await start(ONE_LEAD_POLICY);
    await revoke(h, 'U0SEC');
    // Said when the incident opens, in its timeline (the thread) and on the status message.
    const notice = incidentRecord(h, 1).events.find((event) => event.kind === 'sign_off_fallback');
    expect(notice?.summary).toBe(
      "No security lead is left to sign off this break-glass rotation who neither broke the glass (U0SEC) nor worked it: the sign-off falls to the CTO (U0CTO), as the policy's incident.signoff_fallback says.",
    );
    expect(shownText(statusShown(h))).toContain('the sign-off falls to the CTO (<@U0CTO>)');

    await work(h, 'U0SEC');
    const [request] = await waitForDms(h, 'U0CTO', /^Sign-off needed/);
    expect(JSON.stringify(request!.args.blocks)).toContain('You are asked as the CTO');
    expect(dmsTo(h, 'U0SEC').filter((call) => /^Sign-off needed/.test(String(call.args.text)))).toEqual([]);

    const refused = await clickOnStatus(h, 'U0SEC', ACTION_IDS.incidentSignOff);
    expect(String(refused.reply?.text)).toContain('you broke the glass on this rotation');
    expect(String(refused.reply?.text)).toContain('U0CTO (the CTO');
    expect(incidentRecord(h, 1).incident.signedOffBy).toBeNull();

    await clickInMessage(h, 'U0CTO', request!, ACTION_IDS.incidentSignOff);
    expect(incidentRecord(h, 1).incident.signedOffBy).toBe('U0CTO');
  });

  it('with the fallback set to nobody: the incident says at once that nobody can sign it off, and how to fix the policy', async () => {
    const h = await start(ONE_LEAD_POLICY.replace('  postmortem_hours: 48', '  postmortem_hours: 48\n  signoff_fallback: none'));
    await revoke(h, 'U0SEC');
    const notice = incidentRecord(h, 1).events.find((event) => event.kind === 'sign_off_fallback');
    expect(notice?.summary).toContain(
      'and incident.signoff_fallback is none: nobody can sign it off. Add a security lead to the policy, or set incident.signoff_fallback',
    );
    expect(shownText(statusShown(h))).toContain('nobody can sign it off');
  });

  it('the policy key: cto by default; admins, devops_leads or none; anything else refused with its line', () => {
    expect(parsePolicy('roles: { cto: U0CTO }').incident.signoffFallback).toBe('cto');
    expect(parsePolicy('incident: { signoff_fallback: admins }').incident.signoffFallback).toBe('admins');
    expect(() => parsePolicy('incident:\n  signoff_fallback: ceo\n')).toThrow(/invalid settings/);
  });
});
