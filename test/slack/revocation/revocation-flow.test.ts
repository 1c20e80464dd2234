import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import { QUIET_EVENT_KINDS } from '../../../src/revocation/rotation-incident-events.js';
import { ACTION_IDS, REVOKE_BLOCKS } from '../../../src/slack/ids.js';
import { threadEventMessage } from '../../../src/slack/views/incident/incident-messages.js';
import { AwsFaultServer } from '../../fakes/aws-fault-server.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  clickOnStatus,
  incidentRecord,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  REVOCATION_TABLES,
  revokeConfirmed,
  shownText,
  slashRevoke,
  slashRotateEmergency,
  statusEdits,
  statusPosts,
  statusShown,
  statusTsOf,
  submitIncidentForm,
  submitRevoke,
  threadReplies,
} from '../../support/revocation-slack.js';
import {
  button,
  buttonsOf,
  clickInMessage,
  clickInModal,
  driveModal,
  dmsTo,
  FAST_RETRY,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  rotationRecord,
  rotorCli,
  slashRotate,
  stagesAt,
  startAwsSecretHarness,
  startRotationHarness,
  submitTicket,
  textOf,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { useFakeVault } from '../../support/vault.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Emergency revocation end to end, as a responder does it in Slack: every request is a signed
 * HTTP request to the real bot, every answer is what the fake Slack received, the store is
 * moto. The audit chain and the evidence are read back with the real CLI.
 */

const SECRET = 'prod/app/db';
const WARNING = 'The credential stays valid until it is revoked at its issuer.';

function auditActions(harness: SlackHarness): string[] {
  return harness.store.db.prepare('SELECT action FROM audit_events ORDER BY seq').pluck().all() as string[];
}

/** Rows added to `after` since `before`, table by table; only the audit table may differ. */
function changedTables(before: Record<string, unknown[]>, after: Record<string, unknown[]>): string[] {
  return Object.keys(before).filter((table) => JSON.stringify(before[table]) !== JSON.stringify(after[table]));
}

/** Runs an `aws secretsmanager …` line (update-secret-version-stage, put-secret-value) as the AWS CLI would, with the SDK; a shell-generated value is generated here. */
async function runAsShown(sdk: SecretsManagerClient, line: string): Promise<void> {
  const [aws, service, operation, ...rest] = line.replace('"$(openssl rand -base64 32)"', randomBytes(24).toString('base64')).split(' ');
  expect([aws, service], line).toEqual(['aws', 'secretsmanager']);
  const flags: Record<string, string> = {};
  for (let index = 0; index < rest.length; index += 2) flags[String(rest[index])] = String(rest[index + 1]);
  if (operation === 'put-secret-value') {
    await sdk.send(new PutSecretValueCommand({ SecretId: flags['--secret-id'], SecretString: flags['--secret-string'] }));
    return;
  }
  expect(operation, line).toBe('update-secret-version-stage');
  await sdk.send(
    new UpdateSecretVersionStageCommand({
      SecretId: flags['--secret-id'],
      VersionStage: flags['--version-stage'],
      ...(flags['--move-to-version-id'] ? { MoveToVersionId: flags['--move-to-version-id'] } : {}),
      ...(flags['--remove-from-version-id'] ? { RemoveFromVersionId: flags['--remove-from-version-id'] } : {}),
    }),
  );
}

/** The commands the status message shows to do a failed step by hand. */
function commandsShown(h: SlackHarness): string[] {
  const texts = statusShown(h).blocks.map((block) => (block as { text?: { text?: string } }).text?.text ?? '');
  return (
    texts
      .join('\n')
      .match(/```([\s\S]*?)```/)?.[1]
      ?.split('\n') ?? []
  );
}

/**
 * The whole emergency revocation as one story, cut into steps that run in order over one bot,
 * one moto secret and one incident: each `it` picks up where the previous one left off.
 */
describe.runIf(shouldRunMotoSuite('the Slack revocation flow'))(
  '/revoke of an AWS secret through Slack: refusals, the blast radius, a wrong name, then replace-then-disable to the end: pages, the live status message, Acknowledge, the rotation at moto, the audit chain, the evidence, Close',
  () => {
    const moto = useMoto({ scenario: true });
    let harness: SlackHarness | undefined;
    let compromised: string;
    let id: string;
    let rotationId: number;
    let ts: string;
    let rotationView: string;
    let replacement: string;
    const labels = () => stagesAt(moto, SECRET);
    const bot = (): SlackHarness => {
      if (!harness) throw new Error('the scenario has no bot: its start failed');
      return harness;
    };
    // Every event so far, in order, in the thread: the opening ones too, which happened before there was a thread.
    const timeline = () =>
      incidentRecord(bot(), 1)
        .events.filter((event) => !QUIET_EVENT_KINDS.has(event.kind))
        .map((event) => threadEventMessage(event).text);

    beforeAll(async () => {
      const started = await startAwsSecretHarness(moto, {
        name: SECRET,
        policy: REVOCATION_POLICY,
        people: REVOCATION_PEOPLE,
        fields: { backupOwner: 'U0BACKUP', team: 'payments', consumers: ['checkout', 'C0BILLING'] },
      });
      compromised = started.initialVersion;
      harness = started.harness;
    });
    afterAll(async () => harness?.close());

    it('outside the incident channel, even for a responder: refused, and only the refusal is audited', async () => {
      const h = bot();
      const before = snapshotTables(h.store, REVOCATION_TABLES);
      const elsewhere = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`, 'C0GENERAL');
      expect(elsewhere.viewId).toBeNull();
      expect(elsewhere.reply).toMatchObject({ response_type: 'ephemeral' });
      expect(String(elsewhere.reply?.text)).toContain('only allowed in an incident channel (<#C0INCIDENT>)');
      const after = snapshotTables(h.store, REVOCATION_TABLES);
      expect(changedTables(before, after)).toEqual(['audit_events']);
      expect(
        (after.audit_events as { action: string; actor: string }[])
          .slice(before.audit_events!.length)
          .map((event) => [event.action, event.actor]),
      ).toEqual([['access.denied', 'U0ONCALL']]);
    });

    it('in the incident channel, by the owner (no responder): refused the same way', async () => {
      const h = bot();
      const before = snapshotTables(h.store, REVOCATION_TABLES);
      const owner = await slashRevoke(h, 'U0OWNER', `${SECRET} leaked in a public gist`);
      expect(owner.viewId).toBeNull();
      expect(owner.reply).toMatchObject({ response_type: 'ephemeral' });
      expect(String(owner.reply?.text)).toMatch(/responder/);
      const after = snapshotTables(h.store, REVOCATION_TABLES);
      expect(changedTables(before, after)).toEqual(['audit_events']);
      expect(
        (after.audit_events as { action: string; actor: string }[])
          .slice(before.audit_events!.length)
          .map((event) => [event.action, event.actor]),
      ).toEqual([['access.denied', 'U0OWNER']]);
      expect(h.fake.callsTo('views.open')).toEqual([]);
    });

    it('the responder in the incident channel: the confirmation with the blast radius', async () => {
      const h = bot();
      const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
      expect(viewId).not.toBeNull();
      id = viewId as string;
      const confirmation = modal(h, id);
      const radius = textOf(confirmation);
      for (const expected of [
        '`aws` `prod/app/db` · prod',
        `*Version to disable*\\n\`${compromised}\``,
        '*Owner*\\n<@U0OWNER>',
        '*Backup owner*\\n<@U0BACKUP>',
        '*Consumers*\\n`checkout`, <#C0BILLING>',
        '<@U0OWNER> (owner), <@U0BACKUP> (backup owner), <@U0SEC> (security), <@U0SEC2> (security)',
        'Mint a new version _(Rotor does it)_',
        'Revoke the compromised credential at its issuer',
        'Disable the compromised version in the store _(Rotor does it)_',
        'The credential stays valid until it is revoked at its issuer.',
      ]) {
        expect(radius).toContain(expected);
      }
      expect(radius).not.toContain('<@U0ONCALL> (');
      expect(confirmation.submit?.text).toBe('Revoke');
    });

    it('a wrong name: refused on the field, nothing written', async () => {
      const h = bot();
      const before = snapshotTables(h.store, REVOCATION_TABLES);
      const wrong = await submitRevoke(h, 'U0ONCALL', id, { confirm: 'prod/app/dbx', ticket: 'INC-7' });
      expect(wrong).toEqual({
        response_action: 'errors',
        errors: { [REVOKE_BLOCKS.confirm]: "that is not the secret's name; type prod/app/db exactly" },
      });
      expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);
    });

    it('the right name: the incident opens', async () => {
      const h = bot();
      h.store.clock.advance({ minutes: 1 });
      const openedAt = h.store.clock.now().toUTC().toISO() as string;
      const accepted = await submitRevoke(h, 'U0ONCALL', id, { confirm: SECRET, ticket: 'INC-7' });
      expect(accepted).toMatchObject({ response_action: 'update' });
      expect(textOf(modal(h, id))).toContain('*Incident #1* is open');
      await followUpsSettled(h);
      const opened = incidentRecord(h, 1);
      expect(opened.incident).toMatchObject({
        state: 'open',
        severity: 'SEV1',
        ticket: 'INC-7',
        responder: 'U0ONCALL',
        channel: 'C0INCIDENT',
        compromisedVersionId: compromised,
        openedAt,
      });
      expect(h.store.inventory.get(SECRET)?.lifecycle).toBe('compromised');
      rotationId = opened.incident.rotationId as number;
      expect(rotationRecord(h, rotationId).rotation).toMatchObject({
        kind: 'emergency',
        state: 'in_progress',
        breakGlassBy: 'U0ONCALL',
        requiredApprovals: [],
      });
    });

    it('the pages: a DM with Acknowledge to the owner, the backup owner and both security leads; not to the responder', async () => {
      const h = bot();
      for (const person of ['U0OWNER', 'U0BACKUP', 'U0SEC', 'U0SEC2']) {
        const pages = await waitForDms(h, person, /^Paged: Incident #1/);
        expect(pages).toHaveLength(1);
        expect(button({ blocks: pages[0]!.args.blocks as unknown[] }, ACTION_IDS.incidentAcknowledge)?.value).toBe('incident:1');
      }
      expect(dmsTo(h, 'U0ONCALL').filter((call) => /^Paged/.test(String(call.args.text)))).toEqual([]);
      expect(dmsTo(h, 'U0PAYLEAD')).toEqual([]);
    });

    it('the status message: posted once, in the incident channel, with the warning; a thread reply per event', () => {
      const h = bot();
      ts = statusTsOf(h);
      expect(incidentRecord(h, 1).incident.statusTs).toBe(ts);
      const shown = statusShown(h);
      expect(shownText(shown)).toContain(WARNING);
      expect(shownText(shown)).toContain('Emergency rotation #');
      expect(threadReplies(h, ts).map((call) => call.args.text)).toEqual(timeline());
      expect(timeline().slice(0, 3)).toEqual([
        expect.stringContaining('revoked prod/app/db'),
        expect.stringContaining('marked compromised'),
        expect.stringContaining('Paged'),
      ]);
    });

    it('Acknowledge from the owner’s page: the DM is edited in place, the status message shows who', async () => {
      const h = bot();
      const [ownerPage] = dmsTo(h, 'U0OWNER');
      h.store.clock.advance({ minutes: 2 });
      const editsBefore = statusEdits(h, ts).length;
      const acked = await clickInMessage(h, 'U0OWNER', ownerPage!, ACTION_IDS.incidentAcknowledge);
      expect(acked.reply).toBeNull();
      const pageEdit = h.fake.calls
        .slice(acked.triggerSince)
        .find((call) => call.method === 'chat.update' && String(call.args.channel).startsWith('D'));
      expect(String(pageEdit?.args.text)).toBe(`Acknowledged: Incident #1 · SEV1 · ${SECRET}`);
      await followUpsSettled(h);
      expect(incidentRecord(h, 1).incident).toMatchObject({ acknowledgedBy: 'U0OWNER' });
      expect(statusEdits(h, ts).length).toBeGreaterThan(editsBefore);
      expect(shownText(statusShown(h))).toContain('*Acknowledged*\\n<@U0OWNER>');
    });

    it('the emergency rotation from the status message’s button, as the responder: every step up to revoking at the issuer', async () => {
      const h = bot();
      const { since } = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.rotationOpen);
      rotationView = String(h.fake.calls.slice(since).find((call) => call.method === 'views.update')?.args.view_id);
      expect(modal(h, rotationView).title.text).toBe('Emergency rotation');
      await driveModal(h, 'U0ONCALL', rotationView, 'revoke_at_issuer');
      await followUpsSettled(h);
      replacement = rotationRecord(h, rotationId).rotation.newVersionId as string;
      expect((await labels())[replacement]).toEqual(['AWSCURRENT']);
      expect((await labels())[compromised]).toEqual(['AWSPREVIOUS']);
      const shown = statusShown(h);
      expect(shownText(shown)).toContain(WARNING);
      expect(shownText(shown)).toMatch(/:white_check_mark: Make the new version current — Done by <@U0ONCALL> at 2027-02-01/);
      expect(shownText(shown)).toMatch(/:white_circle: Revoke the compromised credential at its issuer/);
      expect(statusPosts(h)).toHaveLength(1);
    });

    it('revoked at the issuer: the warning goes; then the compromised version loses its labels at moto', async () => {
      const h = bot();
      await driveModal(h, 'U0ONCALL', rotationView, 'disable_compromised');
      await followUpsSettled(h);
      expect(shownText(statusShown(h))).not.toContain(WARNING);
      await driveModal(h, 'U0ONCALL', rotationView, null);
      expect((await labels())[compromised] ?? []).toEqual([]);
      expect((await labels())[replacement]).toEqual(['AWSCURRENT']);
      await press(h, 'U0ONCALL', rotationView, ACTION_IDS.rotationComplete);
      await followUpsSettled(h);
      expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
      const shown = statusShown(h);
      expect(shownText(shown)).toMatch(/:white_check_mark: Disable the compromised version in the store — Done by <@U0ONCALL>/);
      expect(shownText(shown)).toContain('completed · 10 of 10 steps');
      expect(shownText(shown)).not.toContain(WARNING);
      expect(statusPosts(h)).toHaveLength(1);
      expect(threadReplies(h, ts).map((call) => call.args.text)).toEqual(timeline());
      expect(threadReplies(h, ts).every((call) => call.args.thread_ts === ts)).toBe(true);
      expect(String(threadReplies(h, ts).map((call) => call.args.text))).toContain('disabled the compromised version');
    });

    it('security is asked to sign off the break-glass rotation; U0SEC does, from the DM', async () => {
      const h = bot();
      const [signOff] = await waitForDms(h, 'U0SEC', /^Sign-off needed/);
      await clickInMessage(h, 'U0SEC', signOff!, ACTION_IDS.incidentSignOff);
      expect(incidentRecord(h, 1).incident.signedOffBy).toBe('U0SEC');
    });

    it('closed from the status message’s Close button and its form', async () => {
      const h = bot();
      h.store.clock.advance({ minutes: 5 });
      const close = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentClose);
      expect(await submitIncidentForm(h, 'U0ONCALL', close.since, 'https://wiki.example/postmortems/1')).toBeNull();
      await followUpsSettled(h);
      expect(incidentRecord(h, 1).incident).toMatchObject({
        state: 'closed',
        closedBy: 'U0ONCALL',
        postmortemUrl: 'https://wiki.example/postmortems/1',
      });
      const shown = statusShown(h);
      expect(shown.text).toBe(`Closed: Incident #1 · SEV1 · ${SECRET}`);
      expect(shownText(shown)).toContain('https://wiki.example/postmortems/1');
      expect(button(shown, ACTION_IDS.incidentClose)).toBeUndefined();
      expect(statusPosts(h)).toHaveLength(1);
    });

    it('the metrics: opened and closed, and the times to acknowledge, disable and rotate', async () => {
      const metrics = await (await fetch(`${bot().baseUrl}/metrics`)).text();
      for (const series of [
        'rotor_incidents_total{event="opened",severity="SEV1"}',
        'rotor_incidents_total{event="closed",severity="SEV1"}',
        'rotor_incident_time_to_acknowledge_seconds_count{severity="SEV1"}',
        'rotor_incident_time_to_disable_seconds_count{severity="SEV1"}',
        'rotor_incident_time_to_rotate_seconds_count{severity="SEV1"}',
      ]) {
        expect(
          Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0),
          series,
        ).toBeGreaterThanOrEqual(1);
      }
      expect(metrics).toMatch(/^rotor_incidents_open 0$/m);
    });

    it('the audit chain verifies, and the evidence prints the timeline', async () => {
      const h = bot();
      expect(auditActions(h)).toEqual(
        expect.arrayContaining([
          'incident.opened',
          'incident.acknowledged',
          'rotation.started',
          'rotation.completed',
          'incident.signed_off',
          'incident.closed',
        ]),
      );
      const verified = await rotorCli(h, 'audit', 'verify');
      expect(verified.stderr).toBe('');
      expect(verified.code).toBe(0);
      const evidence = await rotorCli(h, 'incidents', 'evidence', '1');
      expect(evidence.code).toBe(0);
      for (const expected of [
        SECRET,
        'INC-7',
        'U0ONCALL',
        'U0OWNER',
        'U0SEC',
        compromised,
        replacement,
        'leaked in a public gist',
        'https://wiki.example/postmortems/1',
        'acknowledged',
        'Revoke the compromised credential at its issuer',
      ]) {
        expect(evidence.stdout).toContain(expected);
      }
    });
  },
);

describe.runIf(shouldRunMotoSuite('the Slack revocation flow'))('/revoke of an AWS secret, through Slack', () => {
  const moto = useMoto();
  let harness: SlackHarness | undefined;
  let faults: AwsFaultServer | undefined;
  afterEach(async () => {
    await harness?.close();
    await faults?.stop();
    faults = undefined;
  });

  const labels = () => stagesAt(moto, SECRET);

  it('AWS refusing to strip the labels: the failed step in red with commands that work when run as shown; Retry then finds it done', async () => {
    faults = new AwsFaultServer(moto.endpoint);
    await faults.start();
    const started = await startAwsSecretHarness(moto, {
      name: SECRET,
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      endpoint: faults.endpoint,
    });
    const compromised = started.initialVersion;
    harness = started.harness;
    const h = harness;
    await revokeConfirmed(h, SECRET);
    const rotation = await slashRotateEmergency(h, SECRET);
    await driveModal(h, 'U0ONCALL', rotation, 'disable_compromised');
    const rotationId = incidentRecord(h, 1).incident.rotationId as number;
    const replacement = rotationRecord(h, rotationId).rotation.newVersionId as string;

    // The role may not move staging labels: the step fails, the rest go on.
    faults.queue(
      {
        kind: 'error',
        status: 400,
        type: 'AccessDeniedException',
        message: 'User is not authorized to perform: secretsmanager:UpdateSecretVersionStage',
      },
      10,
      'UpdateSecretVersionStage',
    );
    await press(h, 'U0ONCALL', rotation, ACTION_IDS.rotationRunStep);
    await followUpsSettled(h);
    expect(rotationRecord(h, rotationId).steps.find((step) => step.id === 'disable_compromised')).toMatchObject({
      state: 'pending',
      lastError: expect.stringContaining('access denied (AccessDeniedException)'),
    });
    expect((await labels())[compromised]).toEqual(['AWSPREVIOUS']);
    const shown = shownText(statusShown(h));
    expect(shown).toContain(':red_circle: *Disable the compromised version in the store failed:*');
    expect(button(statusShown(h), ACTION_IDS.incidentRetry)).toBeDefined();

    // Someone with the rights runs the commands exactly as shown: they work, and the compromised version has no label left.
    faults.clear();
    const commands = commandsShown(h);
    expect(commands).toHaveLength(1);
    for (const line of commands) await runAsShown(moto.sdk, line);
    expect((await labels())[compromised] ?? []).toEqual([]);
    expect((await labels())[replacement]).toEqual(['AWSCURRENT']);

    // Retry finds nothing left to strip: the step is done, the red is gone.
    await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentRetry);
    await followUpsSettled(h);
    expect(rotationRecord(h, rotationId).steps.find((step) => step.id === 'disable_compromised')).toMatchObject({
      state: 'done',
      doneBy: 'U0ONCALL',
    });
    expect(button(statusShown(h), ACTION_IDS.incidentRetry)).toBeUndefined();
  });

  it('disable now with AWS refusing the placeholder: the commands shown do it by hand, Retry takes the version made current by hand, and the rotation follows it', async () => {
    faults = new AwsFaultServer(moto.endpoint);
    await faults.start();
    const started = await startAwsSecretHarness(moto, {
      name: SECRET,
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      endpoint: faults.endpoint,
    });
    const compromised = started.initialVersion;
    harness = started.harness;
    const h = harness;
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} used from an unknown IP`);
    faults.queue(
      {
        kind: 'error',
        status: 400,
        type: 'AccessDeniedException',
        message: 'User is not authorized to perform: secretsmanager:PutSecretValue',
      },
      10,
      'PutSecretValue',
    );
    await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: SECRET, order: 'disable_now' });
    await followUpsSettled(h);
    const rotationId = incidentRecord(h, 1).incident.rotationId as number;
    const disable = () => rotationRecord(h, rotationId).steps.find((step) => step.id === 'disable_compromised');
    expect(disable()).toMatchObject({ state: 'pending', lastError: expect.stringContaining('AccessDeniedException') });
    expect((await labels())[compromised]).toEqual(['AWSCURRENT']);

    // By hand, as shown: a generated value made current, then the compromised version stripped.
    faults.clear();
    const commands = commandsShown(h);
    expect(commands).toHaveLength(2);
    for (const line of commands) await runAsShown(moto.sdk, line);
    expect((await labels())[compromised] ?? []).toEqual([]);
    const byHand = Object.entries(await labels()).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0] as string;

    // Retry finds it done and takes the version made by hand as the placeholder; the rotation replaces it.
    const retried = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentRetry);
    expect(retried.reply).toBeNull();
    await followUpsSettled(h);
    expect(disable()).toMatchObject({ state: 'done' });
    expect(rotationRecord(h, rotationId).rotation.placeholderVersionId).toBe(byHand);
    const rotation = await slashRotateEmergency(h, SECRET);
    await driveModal(h, 'U0ONCALL', rotation, null);
    await press(h, 'U0ONCALL', rotation, ACTION_IDS.rotationComplete);
    const replacement = rotationRecord(h, rotationId).rotation.newVersionId as string;
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    expect((await labels())[replacement]).toEqual(['AWSCURRENT']);
    expect((await labels())[compromised] ?? []).toEqual([]);
    const current = await moto.sdk.send(new GetSecretValueCommand({ SecretId: SECRET, VersionStage: 'AWSCURRENT' }));
    expect(current.VersionId).toBe(replacement);
  });

  it('a scheduled rotation under way when the secret is revoked: the confirmation says it is abandoned, its pending version is discarded at moto, its approval requests are moot, the emergency rotation replaces it', async () => {
    const started = await startAwsSecretHarness(moto, { name: SECRET, policy: REVOCATION_POLICY, people: REVOCATION_PEOPLE });
    const compromised = started.initialVersion;
    harness = started.harness;
    const h = harness;

    // The owner's scheduled rotation: ticket, a pending version at moto, approval requests out.
    const scheduledView = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await submitTicket(h, 'U0OWNER', scheduledView, 'SEC-1');
    const scheduled = metadataOf(modal(h, scheduledView)).rotationId as number;
    await press(h, 'U0OWNER', scheduledView, ACTION_IDS.rotationRunStep);
    const pending = rotationRecord(h, scheduled).rotation.newVersionId as string;
    expect((await labels())[pending]).toEqual(['AWSPENDING']);
    const [approvalRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);

    // /revoke: the confirmation says what happens to it.
    h.store.clock.advance({ minutes: 5 });
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    expect(textOf(modal(h, viewId as string))).toContain(
      ':warning: The rotation <@U0OWNER> started at 2027-02-01 10:00 UTC is abandoned: the emergency rotation replaces it.',
    );
    await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: SECRET });
    await followUpsSettled(h);

    expect(rotationRecord(h, scheduled).rotation).toMatchObject({
      state: 'abandoned',
      endedBy: 'U0ONCALL',
      endReason: 'Superseded by the emergency revocation of incident #1.',
    });
    expect((await labels())[pending] ?? []).toEqual([]);
    expect((await labels())[compromised]).toEqual(['AWSCURRENT']);
    expect(h.store.inventory.get(SECRET)?.lifecycle).toBe('compromised');
    const emergency = incidentRecord(h, 1).incident.rotationId as number;
    expect(rotationRecord(h, emergency).rotation).toMatchObject({
      kind: 'emergency',
      state: 'in_progress',
      previousVersionId: compromised,
    });

    // The security lead's approval request is moot now; the owner's modal shows the emergency rotation.
    const late = await clickInMessage(h, 'U0SEC', approvalRequest!, ACTION_IDS.rotationApprove);
    expect(String(late.reply?.text)).toMatch(/abandoned/);
    expect(rotationRecord(h, scheduled).approvals).toEqual([]);
    const ownerView = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(modal(h, ownerView).title.text).toBe('Emergency rotation');

    // The emergency rotation runs to its end at moto, the secret active again.
    const rotation = await slashRotateEmergency(h, SECRET);
    await driveModal(h, 'U0ONCALL', rotation, null);
    await press(h, 'U0ONCALL', rotation, ACTION_IDS.rotationComplete);
    const replacement = rotationRecord(h, emergency).rotation.newVersionId as string;
    expect((await labels())[replacement]).toEqual(['AWSCURRENT']);
    expect((await labels())[compromised] ?? []).toEqual([]);
    expect(h.store.inventory.get(SECRET)).toMatchObject({ lifecycle: 'active', currentVersionId: replacement });
    expect((await rotorCli(h, 'audit', 'verify')).code).toBe(0);
  });
});

/** Ticks or runs the current step until `stopAt` (or none is left), passing over a failed disable step that waits aside for its Retry. */
async function drivePastDeferred(h: SlackHarness, userId: string, viewId: string, stopAt: string | null): Promise<void> {
  for (;;) {
    const next = buttonsOf(modal(h, viewId)).find(
      (candidate) =>
        (candidate.actionId === ACTION_IDS.rotationRunStep || candidate.actionId === ACTION_IDS.rotationTickStep) &&
        candidate.value !== 'disable_compromised',
    );
    if (!next || next.value === stopAt) return;
    h.store.clock.advance({ minutes: 1 });
    await clickInModal(h, userId, viewId, next.actionId, next.value);
  }
}

/**
 * One story cut into steps that run in order over one bot, one fake Vault and one incident:
 * each `it` picks up where the previous one left off.
 */
describe('/revoke of a Vault secret with disable now and destroy, through Slack: Vault failing while disabling: the step in red with the exact command and Retry, the pages and the rotation go on, Retry destroys it, /revoke close', () => {
  const vault = useFakeVault({ secret: 2 }, { scenario: true });
  let harness: SlackHarness | undefined;
  let id: string;
  let rotationId: number;
  let rotation: string;
  const bot = (): SlackHarness => {
    if (!harness) throw new Error('the scenario has no bot: its start failed');
    return harness;
  };
  const disable = () => rotationRecord(bot(), rotationId).steps.find((step) => step.id === 'disable_compromised');
  const url = 'https://wiki.example/postmortems/redis';

  const VAULT_SECRET = 'prod/cache/redis_password';
  const PATH = 'prod/cache/redis_password';

  beforeAll(async () => {
    vault.fake.putSecret('secret', PATH, { value: randomBytes(8).toString('hex') });
    harness = await startRotationHarness({
      vault: () => new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY }),
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          {
            name: VAULT_SECRET,
            type: 'redis',
            owner: 'U0OWNER',
            backupOwner: 'U0BACKUP',
            team: 'payments',
            provider: 'vault',
            providerRef: `secret/${PATH}`,
            lastRotated: daysAgo(store.clock, 31),
            consumers: ['sessions'],
          },
          operator(),
          'test',
        ),
    });
  });
  afterAll(async () => harness?.close());

  it('the confirmation offers to destroy the compromised version', async () => {
    const h = bot();
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${VAULT_SECRET} dumped in a support ticket and used from an unknown IP`);
    id = viewId as string;
    const confirmation = modal(h, id);
    expect(textOf(confirmation)).toContain('Destroy the compromised version');
    expect(textOf(confirmation)).toContain('`vault` `secret/prod/cache/redis_password`');
  });

  it('Vault refuses every destroy until the fault clears: the incident opens, the disable step waits with the error', async () => {
    const h = bot();
    vault.fake.failNext(50, 503, ['Vault is sealed'], /\/destroy\//);
    h.store.clock.advance({ minutes: 1 });
    const accepted = await submitRevoke(h, 'U0ONCALL', id, {
      confirm: VAULT_SECRET,
      reason: 'dumped in a support ticket and used from an unknown IP',
      severity: 'SEV2',
      order: 'disable_now',
      destroy: true,
    });
    expect(accepted).toMatchObject({ response_action: 'update' });
    await followUpsSettled(h);
    const { incident } = incidentRecord(h, 1);
    expect(incident).toMatchObject({ revocationOrder: 'disable_now', destroy: true, compromisedVersionId: '1' });
    rotationId = incident.rotationId as number;
    expect(disable()).toMatchObject({ state: 'pending', attempts: 1, lastError: expect.stringContaining('Vault is sealed') });
    expect(vault.fake.version('secret', PATH, 1)).toMatchObject({ destroyed: false, deletion_time: '' });
  });

  it('the status message: the failed step in red, with the exact command and Retry; the warning stays', () => {
    const h = bot();
    const shown = statusShown(h);
    expect(shownText(shown)).toContain(':red_circle: *Disable the compromised version in the store failed:*');
    expect(shownText(shown)).toContain('vault kv destroy -mount=secret -versions=1 prod/cache/redis_password');
    expect(button(shown, ACTION_IDS.incidentRetry)).toMatchObject({ text: 'Retry', value: 'incident:1' });
    expect(shownText(shown)).toContain(WARNING);
    expect(String(threadReplies(h, statusTsOf(h)).map((call) => call.args.text))).toContain('failed: ');
  });

  it('meanwhile the flow goes on: the pages are out, and the rotation continues past the failed step to the end', async () => {
    const h = bot();
    for (const person of ['U0OWNER', 'U0BACKUP', 'U0SEC', 'U0SEC2'])
      expect(await waitForDms(h, person, /^Paged: Incident #1/)).toHaveLength(1);
    rotation = await slashRotateEmergency(h, VAULT_SECRET);
    await drivePastDeferred(h, 'U0ONCALL', rotation, null);
    expect(
      rotationRecord(h, rotationId)
        .steps.filter((step) => step.state === 'pending')
        .map((step) => step.id),
    ).toEqual(['disable_compromised']);
    expect(vault.fake.version('secret', PATH, 2)).toBeDefined();
    expect(button(modal(h, rotation), ACTION_IDS.rotationComplete)).toBeUndefined();
    await followUpsSettled(h);
    expect(shownText(statusShown(h))).not.toContain(WARNING);
    expect(shownText(statusShown(h))).toContain(':red_circle:');
  });

  it('a Retry while Vault is still sealed: told why, nothing marked done', async () => {
    const h = bot();
    const stillSealed = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentRetry);
    expect(String(stillSealed.reply?.text)).toContain('Vault is sealed');
    expect(disable()).toMatchObject({ state: 'pending', attempts: 2 });
    await followUpsSettled(h);
  });

  it('the fault clears; Retry from the status message destroys the compromised version', async () => {
    const h = bot();
    vault.fake.failNext(0, 0, []);
    h.store.clock.advance({ minutes: 1 });
    const retried = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentRetry);
    expect(retried.reply).toBeNull();
    expect(disable()).toMatchObject({ state: 'done', doneBy: 'U0ONCALL' });
    expect(vault.fake.version('secret', PATH, 1)).toMatchObject({ destroyed: true, data: null });
    expect(vault.fake.version('secret', PATH, 2)).toMatchObject({ destroyed: false, deletion_time: '' });
    await followUpsSettled(h);
    const shown = statusShown(h);
    expect(shownText(shown)).not.toContain(':red_circle: *Disable');
    expect(button(shown, ACTION_IDS.incidentRetry)).toBeUndefined();
    expect(String(threadReplies(h, statusTsOf(h)).map((call) => call.args.text))).toContain(
      'disabled the compromised version 1: destroyed in Vault',
    );
  });

  it('closing before the rotation is completed is refused, and changes nothing; once completed, /revoke close closes it', async () => {
    const h = bot();
    const before = snapshotTables(h.store, REVOCATION_TABLES);
    const early = await slashRevoke(h, 'U0ONCALL', `close 1 ${url}`);
    expect(String(early.reply?.text)).toContain('is still open: complete it, or abandon it with a reason');
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);
    await clickInModal(
      h,
      'U0ONCALL',
      rotation,
      ACTION_IDS.rotationRefresh,
      button(modal(h, rotation), ACTION_IDS.rotationRefresh)?.value as string,
    );
    await press(h, 'U0ONCALL', rotation, ACTION_IDS.rotationComplete);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    const closed = await slashRevoke(h, 'U0ONCALL', `close 1 <${url}>`);
    expect(String(closed.reply?.text)).toContain(`Incident #1 (${VAULT_SECRET}) is closed`);
    await followUpsSettled(h);
    expect(incidentRecord(h, 1).incident).toMatchObject({ state: 'closed', postmortemUrl: url });
    expect(statusShown(h).text).toBe(`Closed: Incident #1 · SEV2 · ${VAULT_SECRET}`);
    expect(statusPosts(h)).toHaveLength(1);
  });

  it('closed twice: refused, nothing changes; the audit chain verifies and the evidence tells the failure and the destroy', async () => {
    const h = bot();
    const before = snapshotTables(h.store, REVOCATION_TABLES);
    const twice = await slashRevoke(h, 'U0ONCALL', `close 1 ${url}`);
    expect(String(twice.reply?.text)).toContain('Incident #1 was closed by U0ONCALL');
    expect(snapshotTables(h.store, REVOCATION_TABLES).incidents).toEqual(before.incidents);
    expect((await rotorCli(h, 'audit', 'verify')).code).toBe(0);
    const evidence = await rotorCli(h, 'incidents', 'evidence', '1');
    expect(evidence.stdout).toContain('Vault is sealed');
    expect(evidence.stdout).toContain('destroyed');
  });
});
