import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import type { ModalView } from '@slack/types';
import { ACTION_IDS, CALLBACK_IDS } from '../../../src/slack/ids.js';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  button,
  clickInMessage,
  dmsTo,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  modalClickPayload,
  rotationRecord,
  press,
  pushedSince,
  rotorCli,
  slashRotate,
  stagesAt,
  startAwsSecretHarness,
  startRotationHarness,
  submitRollback,
  submitTicket,
  textOf,
  tickWithNote,
  waitForDms,
  waitForPosts,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import type { RecordedCall } from '../../fakes/fake-slack-api.js';
import { useFakeVault } from '../../support/vault.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Guided rotation end to end, as people do it in Slack: every request is a signed HTTP request
 * to the real bot, every answer is what the fake Slack received, and the stores are moto and the
 * fake Vault. The audit chain and the evidence are read back with the real CLI.
 */

function auditActions(harness: SlackHarness, rotationId: number): { action: string; step: string | null; actor: string }[] {
  return harness.store.db
    .prepare(
      `SELECT action, json_extract(details, '$.step') AS step, actor FROM audit_events WHERE json_extract(details, '$.rotation') = ? ORDER BY seq`,
    )
    .all(rotationId) as { action: string; step: string | null; actor: string }[];
}

/**
 * The whole production rotation as one story, cut into steps that run in order over one bot,
 * one moto secret and one rotation: each `it` picks up where the previous one left off.
 */
describe.runIf(shouldRunMotoSuite('the Slack rotation flow'))(
  'a production rotation of an AWS secret through Slack: /rotate → ticket → every step at moto → two approvals by DM → Complete → the announcement with the retrieval line, the audit chain and the evidence',
  () => {
    const moto = useMoto({ scenario: true });
    const rotator = 'U0OPS2';
    let harness: SlackHarness | undefined;
    let initialVersion: string;
    let id: string;
    let rotationId: number;
    let secRequest: RecordedCall | undefined;
    let opsRequest: RecordedCall | undefined;
    let pendingVersion: string;
    let completedAt: string;
    const labels = () => stagesAt(moto, 'prod/app/db');
    const bot = (): SlackHarness => {
      if (!harness) throw new Error('the scenario has no bot: its start failed');
      return harness;
    };

    beforeAll(async () => {
      const started = await startAwsSecretHarness(moto, { name: 'prod/app/db', fields: { consumers: ['checkout', 'C0BILLING'] } });
      initialVersion = started.initialVersion;
      harness = started.harness;
    });
    afterAll(async () => harness?.close());

    it('`/rotate`: the modal opens at once (views.open, inside the trigger’s 3 seconds), then fills in', async () => {
      const h = bot();
      const since = h.fake.calls.length;
      const { viewId } = await slashRotate(h, rotator, 'prod/app/db');
      const opened = h.fake.calls.slice(since).find((call) => call.method === 'views.open');
      expect(opened?.args.trigger_id).toEqual(expect.any(String));
      expect(JSON.stringify(opened?.args.view)).toContain('Checking');
      expect(viewId).not.toBeNull();
      id = viewId as string;
      const start = modal(h, id);
      expect(start.submit?.text).toBe('Start rotation');
      expect(textOf(start)).toContain('a security lead and a DevOps lead must approve');
      expect(textOf(start)).toContain(`Rotor can read the current version (${initialVersion})`);
      expect(textOf(start)).toContain('Create the new version _(Rotor does it)_');
    });

    it('the ticket, then the checklist with the first step current', async () => {
      const h = bot();
      h.store.clock.advance({ minutes: 1 });
      const ack = await submitTicket(h, rotator, id, 'sec-123');
      expect(ack.response_action).toBe('update');
      const shown = modal(h, id);
      rotationId = metadataOf(shown).rotationId as number;
      expect(rotationId).toBeGreaterThan(0);
      expect(textOf(shown)).toContain('awaiting approval');
      expect(textOf(shown)).toContain('SEC-123');
      expect(button(shown, ACTION_IDS.rotationRunStep)).toMatchObject({ text: 'Create new version', value: 'create_version' });
      expect(h.store.inventory.get('prod/app/db')?.lifecycle).toBe('rotating');
    });

    it('the approval requests go out by DM to the security lead and the other DevOps lead, not to the rotator', async () => {
      const h = bot();
      [secRequest] = await waitForDms(h, 'U0SEC', /^Approval requested/);
      [opsRequest] = await waitForDms(h, 'U0OPS', /^Approval requested/);
      expect(dmsTo(h, rotator).filter((call) => /^Approval requested/.test(String(call.args.text)))).toEqual([]);
    });

    it('Create: a pending version really appears at moto; production still reads the old one', async () => {
      const h = bot();
      h.store.clock.advance({ minutes: 1 });
      await press(h, rotator, id, ACTION_IDS.rotationRunStep);
      pendingVersion = rotationRecord(h, rotationId).rotation.newVersionId as string;
      expect(pendingVersion).toBeTruthy();
      expect((await labels())[pendingVersion]).toEqual(['AWSPENDING']);
      expect((await labels())[initialVersion]).toEqual(['AWSCURRENT']);
      expect(textOf(modal(h, id))).toContain(`version \`${pendingVersion}\``);
    });

    it('setting the password on the database (ALTER USER) is locked until both roles approved: the first step that changes anything outside the store', () => {
      const locked = modal(bot(), id);
      expect(textOf(locked)).toContain('Locked until a security lead and a DevOps lead approve.');
      expect(button(locked, ACTION_IDS.rotationRunStep)).toBeUndefined();
      expect(button(locked, ACTION_IDS.rotationTickStep)).toBeUndefined();
      expect(button(locked, ACTION_IDS.rotationSkipStep)).toBeUndefined();
    });

    it('the rotator’s own approval is refused (two-person rule) and changes nothing', async () => {
      const h = bot();
      const refused = await clickInMessage(h, rotator, opsRequest!, ACTION_IDS.rotationApprove);
      expect(String(refused.reply?.text)).toContain('cannot also approve it (two-person rule)');
      expect(rotationRecord(h, rotationId).approvals).toEqual([]);
    });

    it('the security lead approves from the DM: the DM is updated in place and the rotator told', async () => {
      const h = bot();
      h.store.clock.advance({ minutes: 1 });
      const secApproval = await clickInMessage(h, 'U0SEC', secRequest!, ACTION_IDS.rotationApprove);
      expect(secApproval.reply).toBeNull();
      const updatedDm = h.fake.calls.slice(secApproval.triggerSince).find((call) => call.method === 'chat.update');
      expect(String(updatedDm?.args.text)).toBe('Approved: rotation of prod/app/db');
      await waitForDms(h, rotator, /^Approved: rotation of prod\/app\/db/);
      expect(textOf(modal(h, id))).toContain(':white_check_mark: security lead by <@U0SEC>');
      expect(textOf(modal(h, id))).toContain('Locked until a DevOps lead approves.');
    });

    it('the DevOps lead approves: the checklist unlocks', async () => {
      const h = bot();
      h.store.clock.advance({ minutes: 1 });
      await clickInMessage(h, 'U0OPS', opsRequest!, ACTION_IDS.rotationApprove);
      await waitForDms(h, rotator, /^Approved: rotation of prod\/app\/db/, 2);
      const unlocked = modal(h, id);
      expect(textOf(unlocked)).toContain('in progress');
      expect(button(unlocked, ACTION_IDS.rotationTickStep)).toMatchObject({ value: 'set_new_value' });
    });

    it('a manual step ticked with a note, then the rest up to the promote step', async () => {
      const h = bot();
      h.store.clock.advance({ minutes: 1 });
      await tickWithNote(h, rotator, id, 'ALTER USER app PASSWORD … run by <@U0OPS2> & checked');
      expect(textOf(modal(h, id))).toContain('ALTER USER app PASSWORD … run by &lt;@U0OPS2&gt; &amp; checked');
      await driveModal(h, rotator, id, 'promote');
      expect(button(modal(h, id), ACTION_IDS.rotationRunStep)).toMatchObject({ text: 'Promote', value: 'promote' });
    });

    it('Promote, then the rest: AWSCURRENT moves at moto, verify reads it back; Complete', async () => {
      const h = bot();
      await driveModal(h, rotator, id, null);
      expect((await labels())[pendingVersion]).toEqual(['AWSCURRENT']);
      expect((await labels())[initialVersion]).toEqual(['AWSPREVIOUS']);
      const ready = modal(h, id);
      expect(textOf(ready)).toContain('10 of 10 steps done');
      h.store.clock.advance({ minutes: 1 });
      await press(h, rotator, id, ACTION_IDS.rotationComplete);
      completedAt = h.store.clock.now().toUTC().toISO() as string;
      expect(textOf(modal(h, id))).toContain('Completed at 2027-02-01');
    });

    it('the announcement: the channel, the consumer mapped to a channel and the consumer given as one; the metrics count it', async () => {
      const h = bot();
      const [announcement] = await waitForPosts(h, 'C0ANNOUNCE');
      await waitForPosts(h, 'C0CHECKOUT');
      await waitForPosts(h, 'C0BILLING');
      const announced = textOf({ blocks: announcement!.args.blocks as unknown[] });
      expect(announced).toContain(
        'aws secretsmanager get-secret-value --secret-id prod/app/db --version-stage AWSCURRENT --query SecretString --output text',
      );
      expect(announced).toContain('<@U0OPS2>');
      expect(announced).toContain('<@U0SEC> (security lead)');
      expect(announced).toContain('<@U0OPS> (DevOps lead)');
      expect(announced).toContain(pendingVersion);
      expect(announced).toContain('SEC-123');
      expect(announced).toContain('after 2027-02-03');

      const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
      expect(Number(/^rotor_rotations_completed_total\{provider="aws"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    });

    it('the schedule moved by the interval; the secret is active again', () => {
      expect(bot().store.inventory.get('prod/app/db')).toMatchObject({
        lifecycle: 'active',
        lastRotated: completedAt,
        nextRotation: '2027-05-02',
        currentVersionId: pendingVersion,
      });
    });

    it('every step, approval and transition is in the audit chain, which verifies', async () => {
      const h = bot();
      const trail = auditActions(h, rotationId);
      expect(trail.filter((event) => event.action === 'rotation.step_done').map((event) => event.step)).toEqual(
        rotationRecord(h, rotationId).steps.map((step) => step.id),
      );
      expect(trail.filter((event) => event.action === 'rotation.approved').map((event) => event.actor)).toEqual(['U0SEC', 'U0OPS']);
      expect(trail.map((event) => event.action)).toEqual(
        expect.arrayContaining(['rotation.started', 'rotation.completed', 'secret.rotated']),
      );
      const verified = await rotorCli(h, 'audit', 'verify');
      expect(verified.stderr).toBe('');
      expect(verified.code).toBe(0);
      expect(verified.stdout).toContain('Audit log intact');
    });

    it('the evidence record an auditor reads', async () => {
      const evidence = await rotorCli(bot(), 'rotations', 'evidence', String(rotationId));
      expect(evidence.code).toBe(0);
      for (const expected of [
        'prod/app/db',
        'SEC-123',
        'U0SEC',
        'U0OPS',
        'U0OPS2',
        pendingVersion,
        initialVersion,
        'Promote the new version to production',
        'ALTER USER app PASSWORD',
      ]) {
        expect(evidence.stdout).toContain(expected);
      }
    });
  },
);

describe.runIf(shouldRunMotoSuite('the Slack rotation flow'))('a production rotation of an AWS secret, through Slack', () => {
  const moto = useMoto();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('within the retention window, /rotate offers Roll back: AWSCURRENT moves back at moto, the dates are restored, the channel is told', async () => {
    const created = await moto.sdk.send(new CreateSecretCommand({ Name: 'prod/app/db', SecretString: randomBytes(12).toString('hex') }));
    const initialVersion = created.VersionId as string;
    harness = await startRotationHarness({
      aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
      seed: (store) =>
        store.inventoryService.create(
          {
            name: 'prod/app/db',
            type: 'database',
            owner: 'U0OWNER',
            provider: 'aws',
            providerRef: 'prod/app/db',
            lastRotated: daysAgo(store.clock, 31),
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', 'prod/app/db');
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-5');
    for (const lead of ['U0SEC', 'U0OPS'])
      await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    await driveModal(h, 'U0OWNER', viewId as string, null);
    await press(h, 'U0OWNER', viewId as string, ACTION_IDS.rotationComplete);
    const rotationId = metadataOf(modal(h, viewId as string)).rotationId as number;
    const newVersion = rotationRecord(h, rotationId).rotation.newVersionId as string;

    // Two hours later, something breaks: /rotate shows the recent rotation and offers to roll it back.
    h.store.clock.advance({ hours: 2 });
    const again = (await slashRotate(h, 'U0OWNER', 'prod/app/db')).viewId as string;
    expect(textOf(modal(h, again))).toContain('it can be rolled back until 2027-02-03');
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', again, ACTION_IDS.rotationRollback);
    await submitRollback(h, 'U0OWNER', pushedSince(h, since), 'checkout errors after the switch');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('rolled_back');
    expect(textOf(modal(h, again))).toContain('rolled back by <@U0OWNER>');
    const labels = (await moto.sdk.send(new DescribeSecretCommand({ SecretId: 'prod/app/db' }))).VersionIdsToStages ?? {};
    expect(labels[initialVersion]).toContain('AWSCURRENT');
    expect(labels[newVersion] ?? []).not.toContain('AWSCURRENT');
    expect(h.store.inventory.get('prod/app/db')).toMatchObject({
      lastRotated: '2027-01-01T00:00:00.000Z',
      nextRotation: '2027-04-01',
      currentVersionId: initialVersion,
    });
    const [told] = await waitForPosts(h, 'C0ANNOUNCE', /rolled back/);
    expect(textOf({ blocks: told!.args.blocks as unknown[] })).toContain('checkout errors after the switch');
    expect((await rotorCli(h, 'audit', 'verify')).code).toBe(0);
  });
});

describe('a production rotation of a manual secret and of a Vault secret, through Slack', () => {
  const vault = useFakeVault();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  /** Both leads approve from their DMs (the rotator is U0OWNER, who holds no approver role). */
  async function approveByDm(h: SlackHarness) {
    for (const lead of ['U0SEC', 'U0OPS']) {
      const [request] = await waitForDms(h, lead, /^Approval requested/);
      h.store.clock.advance({ minutes: 1 });
      await clickInMessage(h, lead, request!, ACTION_IDS.rotationApprove);
    }
  }

  it('/rotate with no name offers my secrets, most urgent first; picking one fills the modal in place', async () => {
    harness = await startRotationHarness({
      seed: (store) => {
        store.inventoryService.create(
          { name: 'staging/later/api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 12) },
          operator(),
          'test',
        );
        store.inventoryService.create(
          { name: 'staging/sooner/api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 30) },
          operator(),
          'test',
        );
        store.inventoryService.create(
          { name: 'staging/theirs/api_key', owner: 'U0OPS', lastRotated: daysAgo(store.clock, 30) },
          operator(),
          'test',
        );
      },
    });
    const h = harness;
    const since = h.fake.calls.length;
    await h.untilHandled(() => h.command('/rotate', '', 'U0OWNER'));
    const picker = h.fake.calls.slice(since).find((call) => call.method === 'views.open')?.args.view as {
      blocks: { elements?: { action_id: string; options: { value: string; text: { text: string } }[] }[] }[];
    };
    const select = picker.blocks.flatMap((block) => block.elements ?? []).find((element) => element.action_id === ACTION_IDS.rotationPick);
    expect(select?.options.map((option) => option.text.text.split(' ')[0])).toEqual(['staging/sooner/api_key', 'staging/later/api_key']);
    // Options carry the secret's id: a name may be longer than the 150 characters an option value holds.
    const soonerId = h.store.inventory.get('staging/sooner/api_key')?.id;
    expect(select?.options[0]?.value).toBe(`secret:${soonerId}`);

    const pick = {
      ...modalClickPayload(h, 'U0OWNER', 'VPICKER01', ACTION_IDS.rotationPick, '', {
        ...(picker as unknown as ModalView),
        callback_id: CALLBACK_IDS.rotation,
      }),
      actions: [
        {
          type: 'static_select',
          action_id: ACTION_IDS.rotationPick,
          block_id: 'rotation_picker',
          selected_option: { text: { type: 'plain_text', text: 'x' }, value: `secret:${soonerId}` },
          action_ts: '1.2',
        },
      ],
    };
    await h.untilHandled(() => h.post({ kind: 'payload', payload: pick }));
    const filled = modal(h, 'VPICKER01');
    expect(filled.submit?.text).toBe('Start rotation');
    expect(metadataOf(filled).secret).toBe('staging/sooner/api_key');

    // A choice Rotor did not offer (an older picker's name, a forged value) is answered in the modal.
    const forged = {
      ...pick,
      actions: [{ ...pick.actions[0], selected_option: { text: { type: 'plain_text', text: 'x' }, value: 'staging/sooner/api_key' } }],
    };
    await h.untilHandled(() => h.post({ kind: 'payload', payload: forged }));
    expect(JSON.stringify(modal(h, 'VPICKER01').blocks)).toContain('not one Rotor offers');
  });

  it('a third-party API key rotated by hand: every step ticked, approvals, the announcement gives its own retrieval instructions', async () => {
    harness = await startRotationHarness({
      seed: (store) =>
        store.inventoryService.create(
          {
            name: 'prod/stripe/api_key',
            type: 'api_key',
            owner: 'U0OWNER',
            lastRotated: daysAgo(store.clock, 31),
            retrievalInstructions: 'Read STRIPE_API_KEY from 1Password, vault Payments & Billing',
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', 'prod/stripe/api_key');
    const id = viewId as string;
    expect(textOf(modal(h, id))).toContain('Rotated by hand at the issuer');
    await submitTicket(h, 'U0OWNER', id, 'https://tracker.example/browse/PAY-77');
    const rotationId = metadataOf(modal(h, id)).rotationId as number;
    expect(rotationRecord(h, rotationId).steps.every((step) => step.action === null)).toBe(true);
    expect(button(modal(h, id), ACTION_IDS.rotationRunStep)).toBeUndefined();

    // Rolling the key at Stripe sets the old one's expiry: the first step already waits for the approvals.
    expect(textOf(modal(h, id))).toContain('Locked until a security lead and a DevOps lead approve.');
    await approveByDm(h);
    await waitForDms(h, 'U0OWNER', /^Approved/, 2);
    await tickWithNote(h, 'U0OWNER', id, 'Rolled in the Stripe dashboard; old key expires in 48 h');
    await driveModal(h, 'U0OWNER', id, null);
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);

    const [announcement] = await waitForPosts(h, 'C0ANNOUNCE');
    const announced = textOf({ blocks: announcement!.args.blocks as unknown[] });
    expect(announced).toContain('Read STRIPE_API_KEY from 1Password, vault Payments &amp; Billing');
    expect(announced).not.toContain('aws secretsmanager');
    expect(announced).toContain('https://tracker.example/browse/PAY-77');
    expect(h.store.inventory.get('prod/stripe/api_key')).toMatchObject({ lifecycle: 'active', nextRotation: '2027-05-02' });
    expect((await rotorCli(h, 'audit', 'verify')).code).toBe(0);
    const evidence = await rotorCli(h, 'rotations', 'evidence', String(rotationId));
    expect(evidence.stdout).toContain('Rolled in the Stripe dashboard');
    expect(evidence.stdout).toContain('PAY-77');
  });

  it('a Vault secret: approvals before the write (KV v2 makes it current at once), create, verify, the vault kv get line', async () => {
    vault.fake.putSecret('secret', 'prod/cache/redis_password', { value: randomBytes(8).toString('hex') });
    harness = await startRotationHarness({
      vault: () => new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY }),
      seed: (store) =>
        store.inventoryService.create(
          {
            name: 'prod/cache/redis_password',
            type: 'redis',
            owner: 'U0OWNER',
            provider: 'vault',
            providerRef: 'secret/prod/cache/redis_password',
            lastRotated: daysAgo(store.clock, 31),
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', 'prod/cache/redis_password');
    const id = viewId as string;
    await submitTicket(h, 'U0OWNER', id, 'OPS-7');
    const rotationId = metadataOf(modal(h, id)).rotationId as number;
    // Creating the version switches production in Vault, so it waits for the approvals.
    expect(textOf(modal(h, id))).toContain('Locked until a security lead and a DevOps lead approve.');
    expect(vault.fake.version('secret', 'prod/cache/redis_password', 2)).toBeUndefined();
    await approveByDm(h);
    await waitForDms(h, 'U0OWNER', /^Approved/, 2);
    await driveModal(h, 'U0OWNER', id, null);
    expect(vault.fake.version('secret', 'prod/cache/redis_password', 2)).toBeDefined();
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({ state: 'completed', previousVersionId: '1', newVersionId: '2' });

    const [announcement] = await waitForPosts(h, 'C0ANNOUNCE');
    expect(textOf({ blocks: announcement!.args.blocks as unknown[] })).toContain(
      'vault kv get -mount=secret -field=value prod/cache/redis_password',
    );
    expect(h.store.inventory.get('prod/cache/redis_password')).toMatchObject({ currentVersionId: '2', nextRotation: '2027-05-02' });
    expect((await rotorCli(h, 'audit', 'verify')).code).toBe(0);
    expect((await rotorCli(h, 'rotations', 'evidence', String(rotationId))).stdout).toContain('OPS-7');
  });
});
