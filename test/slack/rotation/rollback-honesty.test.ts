import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { createFingerprinter } from '../../../src/providers/fingerprint.js';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import { ROTATION_BLOCKS } from '../../../src/slack/ids.js';
import { fingerprintShort } from '../../../src/slack/views/rotation/rotation-text.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { incidentRecord, REVOCATION_PEOPLE, REVOCATION_POLICY, slashRevoke, submitRevoke } from '../../support/revocation-slack.js';
import {
  ACTION_IDS,
  button,
  clickInMessage,
  confirmationsOf,
  driveModal,
  FAST_RETRY,
  followUpsSettled,
  metadataOf,
  modal,
  postsTo,
  press,
  pushedSince,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitRollback,
  submitTicket,
  textOf,
  waitForDms,
  waitForPosts,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { useFakeVault } from '../../support/vault.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Rollback is honest per route (issue 18, item 3): a manual secret's rollback is a checklist the
 * person does and confirms, a secret whose password was set at its target (ALTER USER) asks for
 * the previous one to be set there again before the store moves back, and the announcement says
 * exactly what the store holds now, read back from it (asserted here word for word against moto
 * and the Vault fake). The completion announcement says the previous version stays valid only
 * where it does, and an emergency rotation never offers Roll back.
 */

const TABLES = ['secrets', 'rotations', 'rotation_steps', 'rotation_approvals', 'follow_ups', 'audit_events'];
const fingerprintOf = (value: string) => fingerprintShort(createFingerprinter(null).of(value));

/** The text of a message's blocks, as Slack shows it. */
function shown(call: { args: Record<string, unknown> }): string {
  return (call.args.blocks as { text?: { text?: string }; elements?: { text?: string }[] }[])
    .map((block) => block.text?.text ?? block.elements?.map((element) => element.text ?? '').join(' ') ?? '')
    .join('\n');
}

/** `/rotate`, the ticket, both approvals from their DMs, every step, Complete: the rotation id and the modal. */
async function rotateToCompletion(h: SlackHarness, name: string): Promise<{ rotationId: number; viewId: string }> {
  const { viewId } = await slashRotate(h, 'U0OWNER', name);
  await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-42');
  for (const lead of ['U0SEC', 'U0OPS']) {
    h.store.clock.advance({ minutes: 1 });
    await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
  }
  await driveModal(h, 'U0OWNER', viewId as string, null);
  await press(h, 'U0OWNER', viewId as string, ACTION_IDS.rotationComplete);
  await followUpsSettled(h);
  return { rotationId: metadataOf(modal(h, viewId as string)).rotationId as number, viewId: viewId as string };
}

/** Two hours later: `/rotate` offers Roll back; pressing it pushes the rollback form. */
async function openRollback(h: SlackHarness, name: string): Promise<{ viewId: string; form: ReturnType<typeof pushedSince> }> {
  h.store.clock.advance({ hours: 2 });
  const viewId = (await slashRotate(h, 'U0OWNER', name)).viewId as string;
  const since = h.fake.calls.length;
  await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRollback);
  return { viewId, form: pushedSince(h, since) };
}

describe.runIf(shouldRunMotoSuite('the rollback suite'))(
  'rolling back an AWS database secret whose password was set with ALTER USER',
  () => {
    const moto = useMoto();
    let harness: SlackHarness | undefined;
    afterEach(async () => harness?.close());

    it('asks for the previous password on the database first, then moves AWSCURRENT back and announces what moto now holds', async () => {
      const created = await moto.sdk.send(new CreateSecretCommand({ Name: 'prod/app/db', SecretString: randomBytes(12).toString('hex') }));
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
      const { rotationId } = await rotateToCompletion(h, 'prod/app/db');
      const newVersion = rotationRecord(h, rotationId).rotation.newVersionId as string;

      // The completion announcement does not claim the previous password still works: ALTER USER replaced it.
      const [completed] = await waitForPosts(h, 'C0ANNOUNCE');
      const completion = shown(completed!);
      expect(completion).toContain(
        'The previous version no longer works where “Set the new password on the database (ALTER USER)” replaced it. To roll back, run `/rotate prod/app/db` and press *Roll back* before 2027-02-03 10:',
      );
      expect(completion).toContain(': it asks for the previous one to be set there again first.');
      expect(completion).not.toContain('stays valid');

      const { viewId, form } = await openRollback(h, 'prod/app/db');
      expect(confirmationsOf(form)).toEqual(['undo_set_new_value']);
      expect(textOf(form)).toContain('The previous password is set on the database again');
      expect(textOf(form)).toContain('ALTER USER');

      // Without the confirmation: refused on the checkboxes, nothing written, nothing moved at moto.
      const before = snapshotTables(h.store, TABLES);
      const refused = await submitRollback(h, 'U0OWNER', form, 'checkout errors after the switch', []);
      expect(refused).toEqual({
        response_action: 'errors',
        errors: {
          [ROTATION_BLOCKS.rollbackConfirmations]: 'Confirm each once it is done: The previous password is set on the database again.',
        },
      });
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
      expect((await moto.sdk.send(new DescribeSecretCommand({ SecretId: 'prod/app/db' }))).VersionIdsToStages?.[newVersion]).toContain(
        'AWSCURRENT',
      );

      // Confirmed: AWSCURRENT moves back, and the channel is told what moto holds now.
      expect(await submitRollback(h, 'U0OWNER', form, 'checkout errors after the switch')).toBeNull();
      expect(rotationRecord(h, rotationId).rotation.state).toBe('rolled_back');
      expect(textOf(modal(h, viewId))).toContain('rolled back by <@U0OWNER>');
      const stages = (await moto.sdk.send(new DescribeSecretCommand({ SecretId: 'prod/app/db' }))).VersionIdsToStages ?? {};
      const current = Object.entries(stages).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0] as string;
      expect(current).toBe(created.VersionId);
      const value = (await moto.sdk.send(new GetSecretValueCommand({ SecretId: 'prod/app/db' }))).SecretString as string;
      const [told] = await waitForPosts(h, 'C0ANNOUNCE', /rolled back/);
      expect(shown(told!)).toBe(
        [
          ':leftwards_arrow_with_hook: *The rotation of `prod/app/db` was rolled back* by <@U0OWNER>: “checkout errors after the switch”.',
          `\`AWSCURRENT\` of \`prod/app/db\` is on version \`${current}\` again, the one current before the rotation (fingerprint \`${fingerprintOf(value)}\`, read back from AWS Secrets Manager).`,
          `Consumers that fetched \`${newVersion}\` must fetch again and be redeployed or restarted.`,
          '<@U0OWNER> confirmed before the store moved back: the previous password is set on the database again.',
          'The next rotation is due 2027-04-01 again.',
        ].join('\n'),
      );
      expect(h.store.inventory.get('prod/app/db')).toMatchObject({
        currentVersionId: current,
        currentFingerprint: createFingerprinter(null).of(value),
        nextRotation: '2027-04-01',
      });
      const event = h.store.db.prepare(`SELECT details FROM audit_events WHERE action = 'rotation.rolled_back'`).pluck().get() as string;
      expect(JSON.parse(event)).toMatchObject({
        confirmed: [{ id: 'undo_set_new_value', label: 'The previous password is set on the database again' }],
        restored: { versionId: current, copyOf: null },
      });
    });
  },
);

describe('rolling back a manual secret and a Vault secret', () => {
  const vault = useFakeVault();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('a manual key: the rollback is a checklist the person does and confirms; the announcement says no store changed, and what they confirmed', async () => {
    harness = await startRotationHarness({
      seed: (store) =>
        store.inventoryService.create(
          {
            name: 'prod/stripe/api_key',
            type: 'api_key',
            owner: 'U0OWNER',
            lastRotated: daysAgo(store.clock, 31),
            retrievalInstructions: 'Read STRIPE_API_KEY from 1Password',
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { rotationId } = await rotateToCompletion(h, 'prod/stripe/api_key');
    // A second key at Stripe, the old one kept for the window: the previous version does stay valid.
    const [completed] = await waitForPosts(h, 'C0ANNOUNCE');
    expect(shown(completed!)).toMatch(
      /To roll back, run `\/rotate prod\/stripe\/api_key` and press \*Roll back\* before 2027-02-03 10:\d\d UTC; the previous version stays valid until then\./,
    );

    const { form } = await openRollback(h, 'prod/stripe/api_key');
    expect(confirmationsOf(form)).toEqual(['previous_at_issuer', 'production_uses_previous', 'previous_checked']);
    expect(textOf(form)).toContain('If the issuer deleted it, do not roll back: rotate again instead.');

    // Two of three confirmed: refused on the checkboxes, nothing written.
    const before = snapshotTables(h.store, TABLES);
    const refused = await submitRollback(h, 'U0OWNER', form, 'the new key lacks the refunds scope', [
      'previous_at_issuer',
      'production_uses_previous',
    ]);
    expect(refused).toEqual({
      response_action: 'errors',
      errors: { [ROTATION_BLOCKS.rollbackConfirmations]: 'Confirm each once it is done: Checked that the previous value works.' },
    });
    expect(snapshotTables(h.store, TABLES)).toEqual(before);

    expect(await submitRollback(h, 'U0OWNER', form, 'the new key lacks the refunds scope')).toBeNull();
    expect(rotationRecord(h, rotationId).rotation.state).toBe('rolled_back');
    const [told] = await waitForPosts(h, 'C0ANNOUNCE', /rolled back/);
    expect(shown(told!)).toBe(
      [
        ':leftwards_arrow_with_hook: *The rotation of `prod/stripe/api_key` was rolled back* by <@U0OWNER>: “the new key lacks the refunds scope”.',
        'Rotor keeps no copy of a manual secret, so no store changed: the rollback was done by hand.',
        '<@U0OWNER> confirmed: the previous value is valid at its issuer again; production reads the previous value again, and was redeployed; checked that the previous value works.',
        'The next rotation is due 2027-04-01 again.',
      ].join('\n'),
    );
    expect(shown(told!)).not.toContain('—');
    expect(h.store.inventory.get('prod/stripe/api_key')).toMatchObject({ lifecycle: 'active', nextRotation: '2027-04-01' });
  });

  it('a Vault secret: the previous data written as a new version, announced as the copy it is, as Vault now holds it', async () => {
    const first = randomBytes(8).toString('hex');
    vault.fake.putSecret('secret', 'prod/cache/redis_password', { value: first });
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
    const { rotationId } = await rotateToCompletion(h, 'prod/cache/redis_password');
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({ previousVersionId: '1', newVersionId: '2' });
    // Redis keeps the old password beside the new one (ACL): it does stay valid.
    expect(shown((await waitForPosts(h, 'C0ANNOUNCE'))[0]!)).toContain('the previous version stays valid until then.');

    // Nothing was set at a target that the store moving back would not undo: only a reason is asked.
    const { form } = await openRollback(h, 'prod/cache/redis_password');
    expect(confirmationsOf(form)).toEqual([]);
    expect(await submitRollback(h, 'U0OWNER', form, 'the cache cluster was not reloaded')).toBeNull();

    const metadata = (await (
      await fetch(`${vault.fake.address}/v1/secret/metadata/prod/cache/redis_password`, { headers: { 'X-Vault-Token': vault.token } })
    ).json()) as { data: { current_version: number } };
    const current = metadata.data.current_version;
    expect(current).toBe(3);
    const data = vault.fake.version('secret', 'prod/cache/redis_password', current)?.data as { value: string };
    expect(data.value).toBe(first);
    const [told] = await waitForPosts(h, 'C0ANNOUNCE', /rolled back/);
    expect(shown(told!)).toBe(
      [
        ':leftwards_arrow_with_hook: *The rotation of `prod/cache/redis_password` was rolled back* by <@U0OWNER>: “the cache cluster was not reloaded”.',
        `The current version of \`secret/prod/cache/redis_password\` is now \`${current}\`, a copy of version \`1\`, the one current before the rotation (fingerprint \`${fingerprintOf(data.value)}\`, read back from Vault).`,
        'Consumers that fetched `2` must fetch again and be redeployed or restarted.',
        'The next rotation is due 2027-04-01 again.',
      ].join('\n'),
    );
    expect(h.store.inventory.get('prod/cache/redis_password')).toMatchObject({
      currentVersionId: String(current),
      currentFingerprint: createFingerprinter(null).of(first),
    });
  });

  it('an emergency rotation never offers Roll back, and its announcement keeps nothing to roll back to', async () => {
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
    const { viewId: confirmView } = await slashRevoke(h, 'U0ONCALL', 'prod/stripe/api_key leaked in a public gist');
    await submitRevoke(h, 'U0ONCALL', confirmView as string, { confirm: 'prod/stripe/api_key' });
    await followUpsSettled(h);
    const rotationId = incidentRecord(h, 1).incident.rotationId as number;
    const viewId = (await slashRotate(h, 'U0ONCALL', 'prod/stripe/api_key')).viewId as string;
    await driveModal(h, 'U0ONCALL', viewId, null);
    await press(h, 'U0ONCALL', viewId, ACTION_IDS.rotationComplete);
    await followUpsSettled(h);
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({ kind: 'emergency', state: 'completed' });

    expect(button(modal(h, viewId), ACTION_IDS.rotationRollback)).toBeUndefined();
    expect(textOf(modal(h, viewId))).not.toContain('rolled back until');
    const announced = postsTo(h, 'C0ANNOUNCE')
      .map(shown)
      .find((text) => text.includes('was rotated')) as string;
    expect(announced).toContain(
      'This was an emergency rotation: the version before it is the compromised one, so it is not kept and this rotation is not rolled back.',
    );
    expect(announced).not.toContain('Roll back');
    expect(announced).not.toContain('stays valid');
    // Nor from /rotate afterwards.
    const again = (await slashRotate(h, 'U0OWNER', 'prod/stripe/api_key')).viewId as string;
    expect(again).not.toBeNull();
    expect(button(modal(h, again), ACTION_IDS.rotationRollback)).toBeUndefined();
  });
});
