import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { REVOCATION_PEOPLE, REVOCATION_POLICY, slashRevoke } from '../../support/revocation-slack.js';
import {
  button,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  press,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitTicket,
  textOf,
  waitForDms,
  waitForPosts,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { useFakeVault } from '../../support/vault.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Issue 18, item 9: the commands and facts Rotor's texts quote work as written. Driven through
 * signed Slack requests; the checklist a rotation holds is read from the database it started.
 */

describe.runIf(shouldRunMotoSuite('the copy-paste texts suite'))('commands an AWS rotation quotes, at moto', () => {
  const moto = useMoto();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('an ARN reference: the announcement fetches with the same --region as the checklist; Detect names the file the create step names', async () => {
    const arn = (await moto.sdk.send(new CreateSecretCommand({ Name: 'dev/app/db', SecretString: randomBytes(12).toString('hex') })))
      .ARN as string;
    const issuerArn = (
      await moto.sdk.send(new CreateSecretCommand({ Name: 'dev/app/token', SecretString: randomBytes(12).toString('hex') }))
    ).ARN as string;
    harness = await startRotationHarness({
      aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
      seed: (store) => {
        store.inventoryService.create(
          {
            name: 'dev/app/db',
            type: 'database',
            owner: 'U0OWNER',
            provider: 'aws',
            providerRef: arn,
            lastRotated: daysAgo(store.clock, 31),
          },
          operator(),
          'test',
        );
        store.inventoryService.create(
          {
            name: 'dev/app/token',
            type: 'generic',
            owner: 'U0OWNER',
            provider: 'aws',
            providerRef: issuerArn,
            lastRotated: daysAgo(store.clock, 31),
            tags: { 'rotor:value_source': 'issuer' },
          },
          operator(),
          'test',
        );
      },
    });
    const h = harness;
    // arn:aws:secretsmanager:<region>:<account>:secret:<name>
    const region = ` --region ${arn.split(':')[3]}`;

    const { viewId } = await slashRotate(h, 'U0OWNER', 'dev/app/db');
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-1');
    const rotationId = metadataOf(modal(h, viewId as string)).rotationId as number;
    const checklist = rotationRecord(h, rotationId)
      .steps.map((step) => step.detail ?? '')
      .join('\n');
    expect(checklist).toContain(`get-secret-value --secret-id ${arn}${region} --version-stage AWSPENDING`);
    await driveModal(h, 'U0OWNER', viewId as string, null);
    await press(h, 'U0OWNER', viewId as string, ACTION_IDS.rotationComplete);
    const [announcement] = await waitForPosts(h, 'C0ANNOUNCE');
    expect(textOf({ blocks: announcement!.args.blocks as unknown[] })).toContain(
      `aws secretsmanager get-secret-value --secret-id ${arn}${region} --version-stage AWSCURRENT`,
    );

    // An issuer's value written by hand: Detect with nothing written says the create step's own command, file name included.
    const issuer = (await slashRotate(h, 'U0OWNER', 'dev/app/token')).viewId as string;
    await submitTicket(h, 'U0OWNER', issuer, 'SEC-2');
    const issuerRotation = rotationRecord(h, metadataOf(modal(h, issuer)).rotationId as number);
    const write = `aws secretsmanager put-secret-value --secret-id ${issuerArn}${region} --version-stages AWSPENDING --secret-string file://new-secret.txt`;
    expect(issuerRotation.steps[0]?.detail).toContain(write);
    expect(issuerRotation.steps[0]?.detail).toContain('shred -u new-secret.txt');
    await press(h, 'U0OWNER', issuer, ACTION_IDS.rotationRunStep);
    expect(textOf(modal(h, issuer))).toContain(`Write it with \`${write}\``);
    // The step names the action to take next; the modal says it as the step's button reads.
    expect(textOf(modal(h, issuer))).toContain(`Write it with \`${write}\`. Then press “Try again: Detect new version”.`);
    expect(button(modal(h, issuer), ACTION_IDS.rotationRunStep)?.text).toBe('Try again: Detect new version');
  });
});

describe('what checklists, approval requests and the revoke modal say', () => {
  const vault = useFakeVault();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it("a staging secret's checklist is not promoted to production; a Stripe key's quotes no other team's commands", async () => {
    harness = await startRotationHarness({
      seed: (store) => {
        store.inventoryService.create(
          { name: 'staging/stripe/api_key', type: 'api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        );
        store.inventoryService.create(
          { name: 'prod/stripe/api_key', type: 'api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        );
      },
    });
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', 'staging/stripe/api_key');
    const start = textOf(modal(h, viewId as string));
    expect(start).toContain('Promote the new version to staging');
    expect(start).not.toContain('production');
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-3');
    const steps = rotationRecord(h, metadataOf(modal(h, viewId as string)).rotationId as number).steps;
    const everything = steps.map((step) => `${step.title}\n${step.detail ?? ''}`).join('\n');
    expect(everything).not.toMatch(/production/i);
    for (const foreign of ['validate_event_contracts', 'bandit', 'safety']) expect(everything).not.toContain(foreign);

    const prod = (await slashRotate(h, 'U0OWNER', 'prod/stripe/api_key')).viewId as string;
    expect(textOf(modal(h, prod))).toContain('Promote the new version to production');
  });

  it('Vault: the approval texts say the write is what waits, and the revoke modal says a write is current at once', async () => {
    vault.fake.putSecret('secret', 'prod/cache/redis_password', { value: randomBytes(8).toString('hex') });
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
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
    const start = textOf(modal(h, viewId as string));
    expect(start).toContain('must approve before “Create the new version”, the first step that changes something outside the store');
    expect(start).not.toContain('before the new version is promoted');
    await submitTicket(h, 'U0OWNER', viewId as string, 'OPS-7');
    const [request] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    const asked = textOf({ blocks: request!.args.blocks as unknown[] });
    expect(asked).toContain('“Create the new version” and every step after it stay locked until every required role has approved');
    expect(asked).not.toContain('Promote stays locked');

    const revoke = await slashRevoke(h, 'U0ONCALL', 'prod/cache/redis_password leaked in a public gist');
    const shown = textOf(modal(h, revoke.viewId as string));
    expect(shown).toContain('Stays current until the new version is written (Vault: current at once).');
    expect(shown).not.toContain('until the new version is promoted');
    expect(shown).toContain('Vault makes a written version current at once');
  });
});
