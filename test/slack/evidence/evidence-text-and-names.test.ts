import type { ModalView } from '@slack/types';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, REVOKE_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import {
  INCIDENT_CHANNEL,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  incidentRecord,
  slashRevoke,
  submitRevoke,
} from '../../support/revocation-slack.js';
import {
  clickInMessage,
  driveModal,
  modal,
  PEOPLE,
  press,
  rotorCli,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';

/**
 * What people typed reaches the evidence and the report as they typed it, escaped for Markdown
 * rather than for Slack, and people are named as `Name (U…)` from the people cache.
 */

/** Slack's escaping of a slash command's text: `&`, `<` and `>` arrive as entities. */
const slackEscaped = (typed: string) => typed.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The reason input of the confirmation modal as Slack shows it (its initial value). */
function prefilledReason(h: SlackHarness, viewId: string): string | undefined {
  const block = modal(h, viewId).blocks.find((candidate) => 'block_id' in candidate && candidate.block_id === REVOKE_BLOCKS.reason) as
    | { element?: { initial_value?: string } }
    | undefined;
  return block?.element?.initial_value;
}

describe('evidence and reports show text as typed and people by name', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('an incident revoked with `&` and `<!here>` in its reason and closed with a link holding `&`: the evidence reads as typed, people as Name (U…)', async () => {
    const secret = 'prod/stripe/api_key';
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) => {
        store.inventoryService.create(
          { name: secret, type: 'api_key', owner: 'U0OWNER', team: 'payments', lastRotated: '2027-01-01' },
          operator(),
          'test',
        );
        // What Slack said when these people were looked up earlier.
        for (const [userId, name] of [
          ['U0ONCALL', 'Robin Oncall'],
          ['U0SEC', 'Sam Security'],
          ['U0OWNER', 'Olive Owner'],
        ] as const) {
          store.recipients.save({ userId, tz: 'Europe/London', gone: false, fetchedAt: store.clock.now().toUTC().toISO() as string, name });
        }
      },
    });
    const h = harness;
    const typedReason = 'leaked & pinged <!here> in #general';
    const typedLink = 'https://wiki.example/postmortems?id=7&view=full';

    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${secret} ${slackEscaped(typedReason)}`);
    expect(viewId).not.toBeNull();
    expect(prefilledReason(h, viewId as string)).toBe(typedReason);
    await submitRevoke(h, 'U0ONCALL', viewId as string, {
      reason: prefilledReason(h, viewId as string) ?? null,
      severity: 'SEV2',
      confirm: secret,
    });
    expect(incidentRecord(h, 1).incident.reason).toBe(typedReason);

    // The emergency rotation, ticked by the responder; the sign-off by a security lead.
    const since = h.fake.calls.length;
    await h.untilHandled(() => h.command('/rotate', secret, 'U0ONCALL', { channelId: INCIDENT_CHANNEL }));
    const rotationView = String(h.fake.calls.slice(since).find((call) => call.method === 'views.update')?.args.view_id);
    await driveModal(h, 'U0ONCALL', rotationView, null);
    h.store.clock.advance({ minutes: 1 });
    await press(h, 'U0ONCALL', rotationView, ACTION_IDS.rotationComplete);
    const [signOff] = await waitForDms(h, 'U0SEC', /^Sign-off needed/);
    await clickInMessage(h, 'U0SEC', signOff!, ACTION_IDS.incidentSignOff);
    await h.untilHandled(() => h.command('/revoke', `close 1 ${slackEscaped(typedLink)}`, 'U0ONCALL', { channelId: INCIDENT_CHANNEL }));
    expect(incidentRecord(h, 1).incident).toMatchObject({ state: 'closed', postmortemUrl: typedLink });

    const evidence = await rotorCli(h, 'incidents', 'evidence', '1');
    expect(evidence.code).toBe(0);
    const md = evidence.stdout;
    expect(md).toContain('| Reason | leaked & pinged \\<!here\\> in #general |');
    expect(md).toContain(`Postmortem: ${typedLink}`);
    expect(md).not.toMatch(/&amp;|&lt;|&gt;/);
    expect(md).toContain('| Responder (leads it) | Robin Oncall (U0ONCALL) |');
    expect(md).toMatch(/Sam Security \(U0SEC\) signed off the break-glass rotation at /);
    expect(md).toMatch(/the glass was broken by Robin Oncall \(U0ONCALL\)/);
    expect(md).toMatch(/\| \d+ \| [^|]+ \| Robin Oncall \(U0ONCALL\) \| `incident\.opened` \|/);
    // Someone Slack never named keeps their id alone.
    expect(md).toContain('U0SEC2');
    expect(md).not.toMatch(/\(U0SEC2\)/);

    // The period report names the rotator and the owner the same way.
    const day = h.store.clock.now().toUTC().toISODate() as string;
    const report = await rotorCli(h, 'report', 'rotations', '--since', day, '--until', day);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/\| `prod\/stripe\/api_key` \| [^|]+ \| Rotor #\d+ \(emergency\) \| Robin Oncall \(U0ONCALL\) \|/);
    expect(report.stdout).toMatch(/\| `prod\/stripe\/api_key` \| prod \| api_key \| manual \| Olive Owner \(U0OWNER\) \| payments \|/);
  });

  it('names the approvers the preflight looked up in Slack, and a note with `&` and `<!here>` as typed', async () => {
    harness = await startRotationHarness({
      people: [],
      seed: (store) =>
        store.inventoryService.create(
          { name: 'prod/mailer/api_key', type: 'api_key', owner: 'U0OWNER', lastRotated: '2027-01-01' },
          operator(),
          'test',
        ),
    });
    const h = harness;
    for (const person of PEOPLE)
      h.fake.addUser(person, 'Europe/London', person === 'U0SEC' ? 'Sam Security' : person === 'U0OPS' ? 'Ola Ops' : undefined);
    const { viewId } = await slashRotate(h, 'U0OWNER', 'prod/mailer/api_key');
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-9');
    for (const lead of ['U0SEC', 'U0OPS'])
      await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    expect(h.store.recipients.names()).toMatchObject({ U0SEC: 'Sam Security', U0OPS: 'Ola Ops' });
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId as string, ACTION_IDS.rotationNoteStep);
    const pushed = [...h.fake.calls.slice(since)].reverse().find((call) => call.method === 'views.push' || call.method === 'views.open');
    expect(pushed).toBeDefined();
    await submitReason(h, 'U0OWNER', pushed!.args.view as ModalView, 'key rolled & <!here> told');
    const evidence = await rotorCli(h, 'rotations', 'evidence', 'prod/mailer/api_key');
    expect(evidence.code).toBe(0);
    expect(evidence.stdout).toMatch(/\| security lead \| approved \| Sam Security \(U0SEC\) \|/);
    expect(evidence.stdout).toMatch(/\| DevOps lead \| approved \| Ola Ops \(U0OPS\) \|/);
    expect(evidence.stdout).toContain('key rolled & \\<!here\\> told');
    expect(evidence.stdout).toMatch(/\| Started \| \S+ by U0OWNER \|/);
  });
});
