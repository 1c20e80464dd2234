import type { ModalView } from '@slack/types';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FORM_VALUE_ACTION, INCIDENT_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { runRotor } from '../../support/cli.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  clickOnStatus,
  incidentRecord,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  REVOCATION_TABLES,
  revokeConfirmed,
  slashRevoke,
  slashRotateEmergency,
} from '../../support/revocation-slack.js';
import {
  ACTION_IDS,
  driveModal,
  echoed,
  followUpsSettled,
  press,
  pushedSince,
  rotationRecord,
  stagesAt,
  startAwsSecretHarness,
  startRotationHarness,
  submitReason,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * An incident closed with the leaked version still current (issue 19, item 7) after its
 * emergency rotation was abandoned before the disable step. Closing now reads the store back:
 * the compromised version must be disabled there, or a second responder (not the lead) closes
 * it with an explicit override and its reason, recorded in the timeline and the audit log.
 */

const SECRET = 'prod/app/db';
const POSTMORTEM = 'https://wiki.example/postmortems/19';

/** Opens the close form from the status message as `userId` and submits it; the ack's body (null for an empty ack). */
async function closeFromStatus(h: SlackHarness, userId: string, override: string | null): Promise<Record<string, unknown> | null> {
  const { since } = await clickOnStatus(h, userId, ACTION_IDS.incidentClose);
  const form = pushedSince(h, since);
  const values = {
    [INCIDENT_BLOCKS.postmortem]: { [FORM_VALUE_ACTION]: stateValue.text(POSTMORTEM) },
    [INCIDENT_BLOCKS.override]: { [FORM_VALUE_ACTION]: stateValue.text(override) },
  };
  const reply = await h.untilHandled(() =>
    h.submit({ userId, view: { ...echoed(h, 'VCLOSE0001', form, values), blocks: form.blocks as ModalView['blocks'] } }),
  );
  return reply.text === '' ? null : (reply.json() as Record<string, unknown>);
}

describe.runIf(shouldRunMotoSuite('the incident close suite'))('closing an incident whose compromised version is still live', () => {
  const moto = useMoto();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  const labels = () => stagesAt(moto, SECRET);

  it('is refused after the emergency rotation was abandoned before disabling it; the lead cannot override; a second responder can, with a reason, recorded', async () => {
    let compromised: string;
    ({ harness, initialVersion: compromised } = await startAwsSecretHarness(moto, {
      name: SECRET,
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
    }));
    const h = harness;
    await revokeConfirmed(h, SECRET);

    // The responder replaces the version, then abandons the rotation before its disable step.
    const viewId = await slashRotateEmergency(h, SECRET);
    await driveModal(h, 'U0ONCALL', viewId, 'revoke_at_issuer');
    const pushed = h.fake.calls.length;
    await press(h, 'U0ONCALL', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0ONCALL', pushedSince(h, pushed), 'the DBA takes it from here');
    await followUpsSettled(h);
    const rotationId = incidentRecord(h, 1).incident.rotationId as number;
    expect(rotationRecord(h, rotationId).rotation.state).toBe('abandoned');
    expect((await labels())[compromised]).toEqual(['AWSPREVIOUS']);

    // The lead closes: refused, with what the store holds, read back; nothing written.
    const before = snapshotTables(h.store, REVOCATION_TABLES);
    expect(await closeFromStatus(h, 'U0ONCALL', null)).toEqual({
      response_action: 'errors',
      errors: {
        [INCIDENT_BLOCKS.override]: `version ${compromised} still carries AWSPREVIOUS in AWS Secrets Manager (read back just now). Disable it first, or a responder other than U0ONCALL gives the reason to close anyway.`,
      },
    });
    // Nor may the lead override it alone.
    const byLead = await closeFromStatus(h, 'U0ONCALL', 'the DBA says it is fine');
    expect(JSON.stringify(byLead)).toContain('takes a second responder: you lead this incident');
    await followUpsSettled(h);
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);
    expect(incidentRecord(h, 1).incident.state).toBe('open');

    // Issue 19 re-probe, group E: an override reason holding a key is refused on its field, never echoed, nothing written.
    const key = ['sk', 'live', randomBytes(18).toString('hex')].join('_');
    const keyed = await closeFromStatus(h, 'U0SEC', `ok, key was ${key}`);
    expect(keyed).toMatchObject({
      response_action: 'errors',
      errors: { [INCIDENT_BLOCKS.override]: expect.stringContaining('it looks like it holds a Stripe secret key') },
    });
    expect(JSON.stringify(keyed)).not.toContain(key);
    await followUpsSettled(h);
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);
    expect(h.rawLog()).not.toContain(key);

    // A second responder, a security lead, overrides with a reason: closed, and the override is on the record.
    expect(await closeFromStatus(h, 'U0SEC', 'AWSPREVIOUS is unreachable from the app role; label removal tracked in INC-9')).toBeNull();
    const { incident, events } = incidentRecord(h, 1);
    expect(incident).toMatchObject({ state: 'closed', closedBy: 'U0SEC', postmortemUrl: POSTMORTEM });
    expect(events.find((event) => event.kind === 'close_override')?.summary).toBe(
      `U0SEC closed the incident with the compromised version still live (version ${compromised} still carries AWSPREVIOUS in AWS Secrets Manager), overriding the check: AWSPREVIOUS is unreachable from the app role; label removal tracked in INC-9`,
    );
    const audited = JSON.parse(
      h.store.db.prepare(`SELECT details FROM audit_events WHERE action = 'incident.closed'`).pluck().get() as string,
    ) as Record<string, unknown>;
    expect(audited).toMatchObject({
      compromisedVersion: { versionId: compromised, disabled: false },
      override: { by: 'U0SEC', reason: 'AWSPREVIOUS is unreachable from the app role; label removal tracked in INC-9' },
    });
  });

  it('closes without an override once the compromised version is disabled at the store, and records that it was', async () => {
    let initialVersion: string;
    ({ harness, initialVersion } = await startAwsSecretHarness(moto, {
      name: SECRET,
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
    }));
    const h = harness;
    await revokeConfirmed(h, SECRET);
    const viewId = await slashRotateEmergency(h, SECRET);
    await driveModal(h, 'U0ONCALL', viewId, null);
    await press(h, 'U0ONCALL', viewId, ACTION_IDS.rotationComplete);
    await followUpsSettled(h);
    expect((await labels())[initialVersion] ?? []).toEqual([]);

    expect(await closeFromStatus(h, 'U0ONCALL', null)).toBeNull();
    expect(incidentRecord(h, 1).incident.state).toBe('closed');
    expect(incidentRecord(h, 1).events.some((event) => event.kind === 'close_override')).toBe(false);
    const audited = JSON.parse(
      h.store.db.prepare(`SELECT details FROM audit_events WHERE action = 'incident.closed'`).pluck().get() as string,
    ) as Record<string, unknown>;
    expect(audited.compromisedVersion).toEqual({ versionId: initialVersion, disabled: true });
    expect(audited.override).toBeUndefined();
  });
});

describe('closing the incident of a manual secret', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('"Close incident…" pressed by the owner or an outsider is refused at the button, naming who may close: no form opens, nothing is written', async () => {
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          { name: 'prod/stripe/api_key', type: 'api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        ),
    });
    const h = harness;
    await revokeConfirmed(h, 'prod/stripe/api_key');

    const kept = ['secrets', 'incidents', 'incident_events', 'incident_pages', 'rotations', 'rotation_steps', 'follow_ups'];
    const before = snapshotTables(h.store, kept);
    for (const userId of ['U0OWNER', 'U0PAYLEAD']) {
      const { reply, since } = await clickOnStatus(h, userId, ACTION_IDS.incidentClose);
      expect(reply).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      expect(String(reply?.text)).toContain('You may not close the incident of `prod/stripe/api_key`.');
      expect(String(reply?.text)).toContain('the lead of this incident (<@U0ONCALL>)');
      expect(String(reply?.text)).toMatch(/security lead.*<@U0SEC>, <@U0SEC2>/);
      expect(h.fake.calls.slice(since).filter((call) => call.method.startsWith('views.'))).toEqual([]);
    }
    await followUpsSettled(h);
    expect(snapshotTables(h.store, kept)).toEqual(before);
    expect(h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action LIKE 'incident.clos%'`).pluck().get()).toBe(0);

    // The lead and a security lead get the form.
    for (const userId of ['U0ONCALL', 'U0SEC']) {
      const { reply, since } = await clickOnStatus(h, userId, ACTION_IDS.incidentClose);
      expect(reply).toBeNull();
      expect(h.fake.calls.slice(since).filter((call) => call.method === 'views.open')).toHaveLength(1);
    }
  });

  it('is refused while nobody did its disable step, from /revoke close too', async () => {
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          { name: 'prod/stripe/api_key', type: 'api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        ),
    });
    const h = harness;
    await revokeConfirmed(h, 'prod/stripe/api_key');
    const viewId = await slashRotateEmergency(h, 'prod/stripe/api_key');
    await driveModal(h, 'U0ONCALL', viewId, 'disable_compromised');
    const pushed = h.fake.calls.length;
    await press(h, 'U0ONCALL', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0ONCALL', pushedSince(h, pushed), 'handled by the payments team');
    await followUpsSettled(h);

    const before = snapshotTables(h.store, REVOCATION_TABLES);
    const refused = await slashRevoke(h, 'U0ONCALL', `close 1 ${POSTMORTEM}`);
    expect(String(refused.reply?.text)).toContain(
      'Incident #1 cannot close yet: nobody did “Disable the compromised version in the store”',
    );
    // The refusal names what to do next as structure; Slack says its buttons, the CLI its own command.
    expect(String(refused.reply?.text)).toContain(
      '(read back just now). Disable it at the store by hand first, or a second responder (not U0ONCALL, who leads it) closes it with an override and the reason: *Close incident…* on the status message, or `rotor incidents close 1 --postmortem &lt;link&gt; --override &lt;reason&gt;`.',
    );
    const cli = await runRotor([
      '--db',
      h.store.path,
      '--config',
      join(h.store.dir, 'policy.yml'),
      'incidents',
      'close',
      '1',
      '--postmortem',
      POSTMORTEM,
    ]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(
      '(read back just now). Disable it at the store by hand first, or a second responder (not U0ONCALL, who leads it) closes it with an override and the reason: `rotor incidents close 1 --postmortem <link> --override <reason>`.',
    );
    expect(cli.stderr).not.toContain('*Close incident');
    // Closing is refused only once the emergency rotation ended, when its status message has no Retry.
    expect(String(refused.reply?.text)).not.toContain('Retry');
    expect(cli.stderr).not.toContain('Retry');
    await followUpsSettled(h);
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);
  });
});
