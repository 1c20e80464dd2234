import { CreateSecretCommand, DescribeSecretCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import type { ViewStateValue } from '@slack/bolt';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../src/slack/ids.js';
import { AwsFaultServer } from '../fakes/aws-fault-server.js';
import { isoInstant } from '../../src/core/clock.js';
import { operator } from '../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { startRotorChild, type RotorChild } from '../support/rotor-child-process.js';
import {
  ACTION_IDS,
  driveModal,
  FAST_RETRY,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  ROTATION_POLICY,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitTicket,
  waitForPosts,
} from '../support/rotation-slack.js';
import { sealedFor } from '../support/sealed-metadata.js';
import type { SlackHarness } from '../support/slack-app-harness.js';
import { stateValue, submittedView } from '../support/slack-payloads.js';
import { useFakeVault } from '../support/vault.js';

/**
 * Issue 22, item 3: provenance at the store. A rotation completed through Slack leaves
 * `version=<YYYYMMDD>` and `rotated_by=<Slack name or id>` on its store secret — AWS tags at
 * moto, Vault custom_metadata at the fake — written by the bot's `provenance-tags` job through
 * a durable follow-up, after the completion and never in its way.
 */

const at = () => DateTime.utc().startOf('minute');
const provenanceRows = (h: SlackHarness) =>
  h.store.db.prepare('SELECT rotation_id, provider, provider_ref, tags, outcome FROM provenance_tags ORDER BY rotation_id').all() as Record<
    string,
    unknown
  >[];

/** `/rotate` by `rotator` (U0OPS2, named by Slack, unless told), the ticket, every step, Complete; the rotation's id. */
async function rotateToCompletion(h: SlackHarness, name: string, rotator = 'U0OPS2'): Promise<number> {
  const { viewId } = await slashRotate(h, rotator, name);
  await submitTicket(h, rotator, viewId as string, 'SEC-3');
  const rotationId = metadataOf(modal(h, viewId as string)).rotationId as number;
  await driveModal(h, rotator, viewId as string, null);
  h.store.clock.advance({ minutes: 1 });
  await press(h, rotator, viewId as string, ACTION_IDS.rotationComplete);
  expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
  await followUpsSettled(h);
  return rotationId;
}

const versionTagOf = (h: SlackHarness, rotationId: number) =>
  DateTime.fromISO(rotationRecord(h, rotationId).rotation.completedAt as string, { zone: 'utc' }).toFormat('yyyyLLdd');
const auditedActions = (h: SlackHarness, action: string) =>
  (h.store.db.prepare(`SELECT details FROM audit_events WHERE action = ? ORDER BY seq`).pluck().all(action) as string[]).map(
    (details) => JSON.parse(details) as Record<string, unknown>,
  );

describe.runIf(shouldRunMotoSuite('the provenance tags suite'))('provenance tags on an AWS secret, against moto', () => {
  const moto = useMoto();
  let faults: AwsFaultServer;
  let harness: SlackHarness | undefined;
  beforeAll(async () => {
    // In front of moto: it forwards every call unless a fault is queued.
    faults = new AwsFaultServer(moto.endpoint);
    await faults.start();
  });
  afterAll(async () => faults.stop());
  afterEach(async () => {
    faults.clear();
    await harness?.close();
    harness = undefined;
  });

  const tagsOf = async (name: string) =>
    Object.fromEntries(
      ((await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).Tags ?? []).map((tag) => [tag.Key, tag.Value]),
    );

  async function start(name: string, policy = ROTATION_POLICY): Promise<SlackHarness> {
    await moto.sdk.send(
      new CreateSecretCommand({ Name: name, SecretString: randomBytes(12).toString('hex'), Tags: [{ Key: 'team', Value: 'payments' }] }),
    );
    const started = at();
    harness = await startRotationHarness({
      at: started.toISO() as string,
      policy,
      aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: faults.endpoint }),
      seed: (store) => {
        store.inventoryService.create(
          {
            name,
            type: 'database',
            owner: 'U0OWNER',
            provider: 'aws',
            providerRef: name,
            lastRotated: started.minus({ days: 80 }).toISODate() as string,
          },
          operator(),
          'test',
        );
        // The people cache, as an earlier users.info lookup of the rotator left it.
        store.recipients.save({
          userId: 'U0OPS2',
          tz: 'Europe/London',
          gone: false,
          fetchedAt: started.toISO() as string,
          name: 'Ada Lovelace',
        });
      },
    });
    return harness;
  }

  it('tags version=<YYYYMMDD> and rotated_by=<Slack name> after completion, keeping the other tags, once', async () => {
    const h = await start('staging/app/db');
    const rotationId = await rotateToCompletion(h, 'staging/app/db');
    const completedAt = DateTime.fromISO(rotationRecord(h, rotationId).rotation.completedAt as string, { zone: 'utc' });
    await h.runtime.runJob('provenance-tags');
    expect(await tagsOf('staging/app/db')).toEqual({
      team: 'payments',
      version: completedAt.toFormat('yyyyLLdd'),
      rotated_by: 'Ada Lovelace',
    });
    // The secret so tagged serves the version this rotation made.
    const listed = await moto.sdk.send(new ListSecretVersionIdsCommand({ SecretId: 'staging/app/db' }));
    expect(listed.Versions?.find((version) => version.VersionStages?.includes('AWSCURRENT'))?.VersionId).toBe(
      rotationRecord(h, rotationId).rotation.newVersionId,
    );
    expect(provenanceRows(h)).toEqual([
      {
        rotation_id: rotationId,
        provider: 'aws',
        provider_ref: 'staging/app/db',
        tags: JSON.stringify({ version: completedAt.toFormat('yyyyLLdd'), rotated_by: 'Ada Lovelace' }),
        outcome: 'tagged',
      },
    ]);
    const audited = h.store.db.prepare(`SELECT actor, secret, details FROM audit_events WHERE action = 'provenance.tagged'`).all() as {
      actor: string;
      secret: string;
      details: string;
    }[];
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ actor: 'rotor', secret: 'staging/app/db' });

    const tagCalls = () => faults.operations.filter((operation) => operation === 'TagResource').length;
    const before = tagCalls();
    await h.runtime.runJob('provenance-tags');
    await h.restart();
    await h.runtime.runJob('provenance-tags');
    expect(tagCalls()).toBe(before);
  });

  it('a tag write AWS refuses does not hold the completion up: it is reported, retried by its follow-up a minute later, and lands', async () => {
    const h = await start('staging/app/db');
    faults.queue(
      { kind: 'error', status: 400, type: 'AccessDeniedException', message: 'not authorized to perform secretsmanager:TagResource' },
      1,
      'TagResource',
    );
    const rotationId = await rotateToCompletion(h, 'staging/app/db');
    // The completion is done and announced whatever the tags do.
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    await waitForPosts(h, 'C0ANNOUNCE');

    await h.runtime.runJob('provenance-tags');
    const followUp = () =>
      h.store.db.prepare(`SELECT state, attempts, last_error FROM follow_ups WHERE kind = 'provenance.tag'`).get() as {
        state: string;
        attempts: number;
        last_error: string;
      };
    expect(followUp()).toMatchObject({ state: 'pending', attempts: 1 });
    expect(followUp().last_error).toContain(`Could not tag the store secret of rotation #${rotationId} with its provenance:`);
    expect(followUp().last_error).toContain('Could not tag staging/app/db in AWS Secrets Manager: access denied (AccessDeniedException).');
    expect(await tagsOf('staging/app/db')).toEqual({ team: 'payments' });
    expect(provenanceRows(h)).toEqual([]);
    expect(h.logLines.some((line) => line.msg === 'follow-ups scheduled' && line.job === 'provenance-tags')).toBe(true);

    h.store.clock.advance({ minutes: 1 });
    await h.runtime.runJob('follow-up-sweep');
    expect(followUp()).toMatchObject({ state: 'done', attempts: 2 });
    expect(await tagsOf('staging/app/db')).toMatchObject({ version: expect.stringMatching(/^\d{8}$/), rotated_by: 'Ada Lovelace' });
  });

  it('tags the store secret the rotation was bound to when it started, not the one the inventory names now; the policy names the keys', async () => {
    await moto.sdk.send(new CreateSecretCommand({ Name: 'staging/app/other', SecretString: randomBytes(12).toString('hex') }));
    const h = await start(
      'staging/app/db',
      `${ROTATION_POLICY}\nprovenance:\n  version_tag: rotor:version\n  rotated_by_tag: rotor:rotated-by\n`,
    );
    const rotationId = await rotateToCompletion(h, 'staging/app/db');
    // An admin moves the entry to another store secret after the rotation completed.
    expect(await moveReference(h, 'staging/app/db', 'staging/app/other')).toBeNull();
    expect(h.store.inventory.get('staging/app/db')?.providerRef).toBe('staging/app/other');
    await h.runtime.runJob('provenance-tags');
    const completedAt = DateTime.fromISO(rotationRecord(h, rotationId).rotation.completedAt as string, { zone: 'utc' });
    expect(await tagsOf('staging/app/db')).toEqual({
      team: 'payments',
      'rotor:version': completedAt.toFormat('yyyyLLdd'),
      'rotor:rotated-by': 'Ada Lovelace',
    });
    expect(await tagsOf('staging/app/other')).toEqual({});
  });

  it('a newer completion supersedes older tags: tagged after the first; a second whose tag writes keep failing is superseded by a third, and only the newest lands', async () => {
    const h = await start('staging/app/db');
    const tagCalls = () => faults.operations.filter((operation) => operation === 'TagResource').length;
    const first = await rotateToCompletion(h, 'staging/app/db');
    await h.runtime.runJob('provenance-tags');
    expect(await tagsOf('staging/app/db')).toEqual({ team: 'payments', version: versionTagOf(h, first), rotated_by: 'Ada Lovelace' });

    // The second completion's tag write is refused four times: its follow-up waits an hour for its last try.
    h.store.clock.advance({ days: 1 });
    const second = await rotateToCompletion(h, 'staging/app/db');
    const denied = {
      kind: 'error',
      status: 400,
      type: 'AccessDeniedException',
      message: 'not authorized to perform secretsmanager:TagResource',
    } as const;
    faults.queue(denied, 4, 'TagResource');
    await h.runtime.runJob('provenance-tags');
    for (const wait of [{ minutes: 1 }, { minutes: 5 }, { days: 2 }]) {
      h.store.clock.advance(wait);
      await h.runtime.runJob('follow-up-sweep');
    }
    const secondFollowUp = () =>
      h.store.db
        .prepare(`SELECT state, attempts FROM follow_ups WHERE kind = 'provenance.tag' AND payload = ?`)
        .get(JSON.stringify({ rotationId: second }));
    expect(secondFollowUp()).toEqual({ state: 'pending', attempts: 4 });
    expect(await tagsOf('staging/app/db')).toEqual({ team: 'payments', version: versionTagOf(h, first), rotated_by: 'Ada Lovelace' });

    // Meanwhile a third completes, two days later, by someone the people cache does not name, and is tagged.
    const third = await rotateToCompletion(h, 'staging/app/db', 'U0OWNER');
    expect(versionTagOf(h, third)).not.toBe(versionTagOf(h, second));
    const before = tagCalls();
    await h.runtime.runJob('provenance-tags');
    // The second's last try finds a newer completion and writes nothing over its tags.
    h.store.clock.advance({ minutes: 60 });
    await h.runtime.runJob('follow-up-sweep');
    expect(secondFollowUp()).toEqual({ state: 'done', attempts: 5 });
    // Only the newest completion's tags were written; rotated_by is the member id.
    expect(tagCalls() - before).toBe(1);
    expect(await tagsOf('staging/app/db')).toEqual({ team: 'payments', version: versionTagOf(h, third), rotated_by: 'U0OWNER' });
    expect(provenanceRows(h)).toEqual([
      expect.objectContaining({ rotation_id: first, outcome: 'tagged' }),
      { rotation_id: second, provider: 'aws', provider_ref: 'staging/app/db', tags: '{}', outcome: 'superseded' },
      {
        rotation_id: third,
        provider: 'aws',
        provider_ref: 'staging/app/db',
        tags: JSON.stringify({ version: versionTagOf(h, third), rotated_by: 'U0OWNER' }),
        outcome: 'tagged',
      },
    ]);
    expect(h.store.db.prepare(`SELECT state FROM follow_ups WHERE kind = 'provenance.tag' ORDER BY id`).pluck().all()).toEqual([
      'done',
      'done',
      'done',
    ]);
    expect(auditedActions(h, 'provenance.skipped')).toEqual([
      expect.objectContaining({ taggedRotation: second, outcome: 'superseded', tags: {} }),
    ]);
    expect(auditedActions(h, 'provenance.tagged').map((details) => details.taggedRotation)).toEqual([first, third]);

    // Nothing is due any more: a re-run and a restart never bring older tags back.
    await h.runtime.runJob('provenance-tags');
    await h.restart();
    await h.runtime.runJob('provenance-tags');
    expect(tagCalls() - before).toBe(1);
    expect(await tagsOf('staging/app/db')).toMatchObject({ version: versionTagOf(h, third), rotated_by: 'U0OWNER' });
  });

  it('a newer completion before any tag write: only the newest rotation is due and tagged, the older one never', async () => {
    const h = await start('staging/app/db');
    const older = await rotateToCompletion(h, 'staging/app/db');
    h.store.clock.advance({ days: 2 });
    const newer = await rotateToCompletion(h, 'staging/app/db', 'U0OWNER');
    await h.runtime.runJob('provenance-tags');
    expect(await tagsOf('staging/app/db')).toEqual({ team: 'payments', version: versionTagOf(h, newer), rotated_by: 'U0OWNER' });
    expect(provenanceRows(h)).toEqual([expect.objectContaining({ rotation_id: newer, outcome: 'tagged' })]);
    expect(h.store.db.prepare(`SELECT payload FROM follow_ups WHERE kind = 'provenance.tag'`).pluck().all()).toEqual([
      JSON.stringify({ rotationId: newer }),
    ]);
    expect(older).toBeLessThan(newer);
  });

  it('exactly once across a kill: the bot killed after AWS took the tags and before it recorded them; the next one writes the same tags again and records them once', async () => {
    const h = await start('staging/app/db');
    const rotationId = await rotateToCompletion(h, 'staging/app/db');
    const expected = { version: versionTagOf(h, rotationId), rotated_by: 'Ada Lovelace' };

    // Another bot process on the same database: its start-up provenance-tags job tags the secret, and it is killed the moment moto has answered.
    await h.stopFor(async () => {
      faults.clear();
      let child: RotorChild | undefined;
      let tagged = false;
      faults.queue({ kind: 'forward-then-hang', then: () => ((tagged = true), child?.kill()) }, 1, 'TagResource');
      child = await startRotorChild({
        ...h.botEnv,
        LOG_LEVEL: 'warn',
        ROTOR_TEST_AT: isoInstant(h.store.clock.now()),
        AWS_ENDPOINT_URL: faults.endpoint,
        AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      });
      // The tag may have gone out before the process said it was listening.
      if (tagged) child.kill();
      const ended = await Promise.race([child.exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000))]);
      if (ended === 'timeout') {
        child.kill();
        throw new Error(`the bot process never tagged the secret:\n${child.output()}`);
      }
      expect(ended.signal).toBe('SIGKILL');
      faults.clear();
    });

    // AWS has the tags; Rotor has no record of them, and the follow-up is still claimed by the dead process.
    expect(await tagsOf('staging/app/db')).toEqual({ team: 'payments', ...expected });
    expect(provenanceRows(h)).toEqual([]);
    const followUps = () => h.store.db.prepare(`SELECT state FROM follow_ups WHERE kind = 'provenance.tag'`).pluck().all() as string[];
    expect(followUps()).toEqual(['claimed']);

    // Once the claim is stale the sweep gives it back, and the retry writes the same tags and records them, once.
    h.store.clock.advance({ minutes: 11 });
    await h.runtime.runJob('follow-up-sweep');
    await h.runtime.runJob('follow-up-sweep');
    expect(followUps()).toEqual(['done']);
    expect(await tagsOf('staging/app/db')).toEqual({ team: 'payments', ...expected });
    expect(provenanceRows(h)).toEqual([
      expect.objectContaining({ rotation_id: rotationId, tags: JSON.stringify(expected), outcome: 'tagged' }),
    ]);
    expect(auditedActions(h, 'provenance.tagged')).toHaveLength(1);

    await h.restart();
    await h.runtime.runJob('provenance-tags');
    expect(followUps()).toEqual(['done']);
    expect(auditedActions(h, 'provenance.tagged')).toHaveLength(1);
  });

  it('provenance.enabled: false tags nothing and schedules nothing', async () => {
    const h = await start('staging/app/db', `${ROTATION_POLICY}\nprovenance:\n  enabled: false\n`);
    const before = faults.operations.length;
    await rotateToCompletion(h, 'staging/app/db');
    await expect(h.runtime.runJob('provenance-tags')).rejects.toThrow('No job named provenance-tags.');
    h.store.clock.advance({ minutes: 1 });
    await h.runtime.runJob('follow-up-sweep');
    expect(faults.operations.slice(before)).not.toContain('TagResource');
    expect(await tagsOf('staging/app/db')).toEqual({ team: 'payments' });
    expect(provenanceRows(h)).toEqual([]);
    expect(h.store.db.prepare(`SELECT COUNT(*) FROM follow_ups WHERE kind = 'provenance.tag'`).pluck().get()).toBe(0);
  });
});

/** U0ADMIN submits the edit form of `name` with its reference changed, every other field as shown; the ack's errors, or null. */
async function moveReference(h: SlackHarness, name: string, providerRef: string): Promise<Record<string, string> | null> {
  const secret = h.store.inventory.get(name)!;
  const shown: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>> = {
    type: stateValue.select(secret.type),
    description: stateValue.text(secret.description),
    owner: stateValue.user(secret.owner),
    backupOwner: stateValue.user(secret.backupOwner),
    team: stateValue.text(secret.team),
    consumers: stateValue.text(secret.consumers.join(', ') || null),
    provider: stateValue.select(secret.provider),
    providerRef: stateValue.text(providerRef),
    intervalDays: stateValue.text(String(secret.intervalDays)),
    status: stateValue.select(secret.lifecycle),
    lastRotated: { type: 'datepicker', selected_date: secret.lastRotated?.slice(0, 10) ?? null },
    retrievalInstructions: stateValue.text(secret.retrievalInstructions),
  };
  const values = Object.fromEntries(
    Object.entries(shown).map(([field, value]) => [
      SECRET_FORM_BLOCKS[field as keyof typeof SECRET_FORM_BLOCKS],
      { [FORM_VALUE_ACTION]: value },
    ]),
  );
  const view = submittedView(h.payloads, {
    callbackId: CALLBACK_IDS.editSecret,
    privateMetadata: sealedFor(h, CALLBACK_IDS.editSecret, JSON.stringify({ name })),
    values,
  });
  const reply = await h.untilHandled(() => h.submit({ userId: 'U0ADMIN', view }));
  return reply.text === '' ? null : (reply.json() as { errors: Record<string, string> }).errors;
}

describe('provenance in Vault custom_metadata', () => {
  const vault = useFakeVault();
  let harness: SlackHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('writes version and rotated_by into the secret custom_metadata after completion, keeping its other entries', async () => {
    vault.fake.putSecret('secret', 'staging/cache/redis_password', { value: randomBytes(8).toString('hex') }, { owner: 'U0OWNER' });
    const started = at();
    harness = await startRotationHarness({
      at: started.toISO() as string,
      vault: () => new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY }),
      seed: (store) =>
        store.inventoryService.create(
          {
            name: 'staging/cache/redis_password',
            type: 'redis',
            owner: 'U0OWNER',
            provider: 'vault',
            providerRef: 'secret/staging/cache/redis_password',
            lastRotated: started.minus({ days: 80 }).toISODate() as string,
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const rotationId = await rotateToCompletion(h, 'staging/cache/redis_password');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    await h.runtime.runJob('provenance-tags');
    const completedAt = DateTime.fromISO(rotationRecord(h, rotationId).rotation.completedAt as string, { zone: 'utc' });
    const provider = new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY });
    const described = await provider.describe({
      secretName: 'staging/cache/redis_password',
      providerRef: 'secret/staging/cache/redis_password',
    });
    expect(described.tags).toEqual({ owner: 'U0OWNER', version: completedAt.toFormat('yyyyLLdd'), rotated_by: 'U0OPS2' });
    expect(provenanceRows(h)).toEqual([expect.objectContaining({ rotation_id: rotationId, provider: 'vault', outcome: 'tagged' })]);
  });
});

describe('a manual secret', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('keeps no tags: a completed manual rotation is never due, gets no follow-up, no ledger row and no audit event', async () => {
    const started = at();
    harness = await startRotationHarness({
      at: started.toISO() as string,
      seed: (store) =>
        store.inventoryService.create(
          {
            name: 'staging/mail/smtp_password',
            type: 'smtp',
            owner: 'U0OWNER',
            provider: 'manual',
            lastRotated: started.minus({ days: 40 }).toISODate() as string,
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const rotationId = await rotateToCompletion(h, 'staging/mail/smtp_password');
    expect(rotationRecord(h, rotationId).rotation.provider).toBe('manual');
    await h.runtime.runJob('provenance-tags');
    await h.restart();
    await h.runtime.runJob('provenance-tags');
    expect(provenanceRows(h)).toEqual([]);
    expect(h.store.db.prepare(`SELECT COUNT(*) FROM follow_ups WHERE kind = 'provenance.tag'`).pluck().get()).toBe(0);
    expect(h.store.db.prepare(`SELECT COUNT(*) FROM audit_events WHERE action LIKE 'provenance.%'`).pluck().get()).toBe(0);
  });
});
