import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { ValidationError } from '../../../src/core/errors.js';
import { googleAccessTokenSourceFromEnv } from '../../../src/providers/google-secret-manager/google-access-token.js';
import { GoogleSecretManagerProvider } from '../../../src/providers/google-secret-manager/google-secret-manager-provider.js';
import { PENDING_ALIAS } from '../../../src/providers/google-secret-manager/google-secret-manager-store.js';
import { FakeGoogleSecretManager } from '../../fakes/google-secret-manager-server.js';
import { operator } from '../../support/actors.js';
import {
  ACTION_IDS,
  button,
  clickInMessage,
  driveModal,
  dmsTo,
  FAST_RETRY,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  rotorCliWith,
  pushedSince,
  ROTATION_POLICY,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitRollback,
  submitTicket,
  textOf,
  waitForDms,
  waitForPosts,
} from '../../support/rotation-slack.js';
import { INCIDENT_CHANNEL, incidentRecord, slashRevoke, submitRevoke } from '../../support/revocation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/**
 * Google Secret Manager as a store, end to end through Slack (signed requests to the real bot,
 * answers read from the fake Slack) against the local fake of the v1 REST API: consumers read
 * the alias `current`, which promote moves; verify accesses it; the previous version is disabled
 * after the retention window; a rollback moves the alias back; `/revoke` disables the
 * compromised version; `rotor discover` and `rotor sync` over the same fake.
 */

const SECRET = 'prod/app/db';
const PROJECT = 'acme-prod';
const REF = `projects/${PROJECT}/secrets/app-db`;
const POLICY = `${ROTATION_POLICY}google_secret_manager:\n  version_alias: current\n`;
const token = `ya29.${randomBytes(12).toString('hex')}`;
const fake = new FakeGoogleSecretManager({ token, projects: { [PROJECT]: '314159265358' } });
const value = () => randomBytes(16).toString('hex');

beforeAll(async () => {
  await fake.start();
});
afterAll(async () => fake.stop());
beforeEach(() => fake.reset());

function google(alias: string | null = 'current'): GoogleSecretManagerProvider {
  return new GoogleSecretManagerProvider(
    {
      tokens: googleAccessTokenSourceFromEnv({ GOOGLE_OAUTH_ACCESS_TOKEN: token }, systemClock),
      endpoint: fake.address,
      retry: FAST_RETRY,
    },
    alias,
  );
}

/** A Google secret with one version, named by the alias `current` unless told otherwise. */
function googleSecret(options: { alias?: boolean; labels?: Record<string, string> } = {}): void {
  fake.createSecret(REF, { labels: options.labels ?? { team: 'payments' } });
  fake.addVersion(REF, value());
  if (options.alias !== false) fake.setAlias(REF, 'current', 1);
}

async function start(policy = POLICY, alias: string | null = 'current'): Promise<SlackHarness> {
  const harness = await startRotationHarness({
    google: () => google(alias),
    policy,
    seed: (store) =>
      store.inventoryService.create(
        {
          name: SECRET,
          type: 'database',
          owner: 'U0OWNER',
          provider: 'google',
          providerRef: REF,
          lastRotated: store.clock.now().minus({ days: 31 }).toISODate() as string,
          consumers: ['checkout'],
        },
        operator(),
        'test',
      ),
  });
  fake.now = () => harness.store.clock.now().toJSDate();
  return harness;
}

/** `/rotate`, ticket, both approvals, every step to the end, Complete; the rotation's id. */
async function rotateThroughSlack(h: SlackHarness, rotator: string, ticket: string): Promise<number> {
  const { viewId } = await slashRotate(h, rotator, SECRET);
  const id = viewId as string;
  h.store.clock.advance({ minutes: 1 });
  await submitTicket(h, rotator, id, ticket);
  const rotationId = metadataOf(modal(h, id)).rotationId as number;
  for (const lead of ['U0SEC', 'U0OPS']) {
    const requests = await waitForDms(h, lead, /^Approval requested/);
    await clickInMessage(h, lead, requests.at(-1)!, ACTION_IDS.rotationApprove);
  }
  await driveModal(h, rotator, id, null);
  h.store.clock.advance({ minutes: 1 });
  await press(h, rotator, id, ACTION_IDS.rotationComplete);
  expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
  return rotationId;
}

const aliases = () => fake.secret(REF).versionAliases;
const stateOf = (version: number) => fake.version(REF, version)?.state;

describe('a Google secret read through the alias `current`, rotated through Slack', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('create parks the version under rotor-pending, promote moves `current`, verify, the gcloud line, labels, rollback, removal after retention, /revoke', async () => {
    googleSecret();
    harness = await start();
    const h = harness;
    const rotator = 'U0OPS2';

    // Rotation 1: with an alias, the new version waits (staged) until promote, so it is made before the approvals.
    const { viewId } = await slashRotate(h, rotator, SECRET);
    const id = viewId as string;
    expect(textOf(modal(h, id))).toContain('Create the new version _(Rotor does it)_');
    h.store.clock.advance({ minutes: 1 });
    await submitTicket(h, rotator, id, 'SEC-41');
    const first = metadataOf(modal(h, id)).rotationId as number;
    h.store.clock.advance({ minutes: 1 });
    await press(h, rotator, id, ACTION_IDS.rotationRunStep);
    expect(rotationRecord(h, first).rotation.newVersionId).toBe('2');
    expect(aliases()).toEqual({ current: 1, [PENDING_ALIAS]: 2 });
    for (const lead of ['U0SEC', 'U0OPS'])
      await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    await driveModal(h, rotator, id, 'promote');
    expect(aliases().current).toBe(1);
    await driveModal(h, rotator, id, null);
    // Promote moved the consumers' alias and dropped rotor-pending; verify read `current` back.
    expect(aliases()).toEqual({ current: 2 });
    expect(rotationRecord(h, first).rotation.verifiedAt).not.toBeNull();
    h.store.clock.advance({ minutes: 1 });
    await press(h, rotator, id, ACTION_IDS.rotationComplete);
    const [announcement] = await waitForPosts(h, 'C0ANNOUNCE');
    expect(textOf({ blocks: announcement!.args.blocks as unknown[] })).toContain(
      'gcloud secrets versions access current --secret=app-db --project=acme-prod',
    );
    expect(h.store.inventory.get(SECRET)?.currentVersionId).toBe('2');

    // Provenance: labels written after completion by the follow-up, the others kept, in Google's characters.
    await h.runtime.runJob('provenance-tags');
    await followUpsSettled(h);
    expect(fake.secret(REF).labels).toEqual({
      team: 'payments',
      version: h.store.clock.now().toUTC().toFormat('yyyyLLdd'),
      rotated_by: 'u0ops2',
    });

    // Two hours later: rolled back from /rotate, `current` names version 1 again.
    h.store.clock.advance({ hours: 2 });
    const again = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', again, ACTION_IDS.rotationRollback);
    await submitRollback(h, 'U0OWNER', pushedSince(h, since), 'checkout errors after the switch');
    expect(rotationRecord(h, first).rotation.state).toBe('rolled_back');
    expect(aliases()).toEqual({ current: 1 });
    expect(stateOf(2)).toBe('ENABLED');
    expect(h.store.inventory.get(SECRET)?.currentVersionId).toBe('1');
    await waitForPosts(h, 'C0ANNOUNCE', /rolled back/);

    // Rotation 2 runs to the end: version 3 is current.
    h.store.clock.advance({ hours: 1 });
    const second = await rotateThroughSlack(h, rotator, 'SEC-42');
    expect(aliases()).toEqual({ current: 3 });
    const { promotedAt } = rotationRecord(h, second).rotation;

    // The previous version (1) stays enabled through the 48 h retention window…
    const removalDms = () => dmsTo(h, rotator).filter((call) => /^Remove the previous version/.test(String(call.args.text)));
    h.store.clock.set(new Date(Date.parse(promotedAt as string) + 47 * 3_600_000).toISOString());
    await h.runtime.runJob('follow-up-sweep');
    expect(removalDms()).toHaveLength(0);
    // …then the removal is offered, and disables it (not destroyed).
    h.store.clock.advance({ hours: 1, minutes: 1 });
    await h.runtime.runJob('follow-up-sweep');
    await waitForDms(h, rotator, /^Remove the previous version/);
    expect(stateOf(1)).toBe('ENABLED');
    const removal = await clickInMessage(h, rotator, removalDms()[0]!, ACTION_IDS.rotationRemovePrevious);
    expect(removal.reply).toBeNull();
    expect(stateOf(1)).toBe('DISABLED');
    expect(fake.version(REF, 1)?.data).not.toBeNull();
    expect(stateOf(3)).toBe('ENABLED');

    // /revoke of version 3, disable now: a placeholder version becomes `current`, then 3 is disabled.
    h.store.clock.advance({ minutes: 5 });
    const revoke = (await slashRevoke(h, 'U0SEC', `${SECRET} leaked in a public gist`, INCIDENT_CHANNEL)).viewId as string;
    expect(textOf(modal(h, revoke))).toContain('Destroy the compromised version');
    await submitRevoke(h, 'U0SEC', revoke, { confirm: SECRET, order: 'disable_now', severity: 'SEV1' });
    await followUpsSettled(h);
    const { incident } = incidentRecord(h, 1);
    expect(incident.compromisedVersionId).toBe('3');
    const emergency = rotationRecord(h, incident.rotationId as number);
    expect(emergency.steps.find((step) => step.id === 'disable_compromised')?.state).toBe('done');
    expect(stateOf(3)).toBe('DISABLED');
    expect(aliases().current).toBe(4);
    expect(stateOf(4)).toBe('ENABLED');

    expect((await cli(h, 'audit', 'verify')).code).toBe(0);
  });

  it('a label write Google refuses does not hold the completion up: reported on its follow-up, retried a minute later, and lands', async () => {
    googleSecret();
    harness = await start();
    const h = harness;
    const rotationId = await rotateThroughSlack(h, 'U0OPS2', 'SEC-46');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    await waitForPosts(h, 'C0ANNOUNCE');
    // Rotor's service account may not update the secret's labels (no secretmanager.secrets.update) this once.
    fake.failNext(1, 403, 'PERMISSION_DENIED', /secrets\/app-db$/, 'PATCH');

    await h.runtime.runJob('provenance-tags');
    const followUp = () =>
      h.store.db.prepare(`SELECT state, attempts, last_error FROM follow_ups WHERE kind = 'provenance.tag'`).get() as {
        state: string;
        attempts: number;
        last_error: string;
      };
    expect(followUp()).toMatchObject({ state: 'pending', attempts: 1 });
    expect(followUp().last_error).toContain(`Could not tag the store secret of rotation #${rotationId} with its provenance:`);
    expect(followUp().last_error).toContain(
      'Could not label prod/app/db (projects/acme-prod/secrets/app-db) in Google Secret Manager: permission denied',
    );
    expect(fake.secret(REF).labels).toEqual({ team: 'payments' });

    h.store.clock.advance({ minutes: 1 });
    await h.runtime.runJob('follow-up-sweep');
    expect(followUp()).toMatchObject({ state: 'done', attempts: 2 });
    expect(fake.secret(REF).labels).toEqual({ team: 'payments', version: expect.stringMatching(/^\d{8}$/), rotated_by: 'u0ops2' });
  });

  it('`latest` (no alias in the policy): approvals come before the version is added, promote only confirms, the line reads latest', async () => {
    googleSecret({ alias: false });
    harness = await start(ROTATION_POLICY, null);
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OPS2', SECRET);
    const id = viewId as string;
    await submitTicket(h, 'U0OPS2', id, 'SEC-43');
    const rotationId = metadataOf(modal(h, id)).rotationId as number;
    // Adding a version switches every consumer of `latest`, so it waits for the approvals.
    expect(button(modal(h, id), ACTION_IDS.rotationRunStep)).toBeUndefined();
    expect(fake.version(REF, 2)).toBeUndefined();
    for (const lead of ['U0SEC', 'U0OPS'])
      await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    await driveModal(h, 'U0OPS2', id, null);
    expect(fake.version(REF, 2)?.state).toBe('ENABLED');
    expect(aliases()).toEqual({});
    await press(h, 'U0OPS2', id, ACTION_IDS.rotationComplete);
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({ state: 'completed', newVersionId: '2' });
    const [announcement] = await waitForPosts(h, 'C0ANNOUNCE');
    expect(textOf({ blocks: announcement!.args.blocks as unknown[] })).toContain(
      'gcloud secrets versions access latest --secret=app-db --project=acme-prod',
    );
  });
});

describe('bad input for a Google secret: a clear answer, nothing changed', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('a reference in the wrong form is refused with the forms accepted, and nothing is written', async () => {
    googleSecret();
    harness = await start();
    const h = harness;
    const before = snapshotTables(h.store, ['secrets', 'audit_events']);
    for (const [wrong, problem] of [
      [`${REF}/versions/1`, `names a version; write the secret, ${REF}`],
      ['app-db', 'is not a Secret Manager secret name'],
      [`projects/${PROJECT}/secret/app-db`, 'is not a Secret Manager secret name'],
    ] as const) {
      let refused: unknown;
      try {
        h.store.inventoryService.create(
          { name: 'prod/app/other', type: 'generic', owner: 'U0OWNER', provider: 'google', providerRef: wrong },
          operator(),
          'test',
        );
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(ValidationError);
      expect((refused as ValidationError).issues).toEqual([
        {
          where: 'provider_ref',
          message: expect.stringMatching(new RegExp(`${escapeRegExp(problem)}; use projects/<project>/secrets/<secret>`)),
        },
      ]);
    }
    // The same through `rotor import`: the row is refused with the forms accepted, nothing written.
    const file = join(h.store.dir, 'google.yaml');
    writeFileSync(
      file,
      `- name: prod/app/other\n  type: generic\n  owner: U0OWNER\n  provider: google\n  provider_ref: projects/${PROJECT}/secrets/app-db/versions/latest\n`,
    );
    const imported = await cli(h, 'import', file);
    expect(imported.code).not.toBe(0);
    expect(imported.stdout + imported.stderr).toContain(`names a version; write the secret, ${REF}`);
    expect(snapshotTables(h.store, ['secrets', 'audit_events'])).toEqual(before);
  });

  it('a version alias the secret does not have: /rotate says how to create it, no rotation starts, Google untouched', async () => {
    googleSecret({ alias: false });
    harness = await start();
    const h = harness;
    const before = snapshotTables(h.store, ['secrets', 'rotations', 'audit_events']);
    const etag = fake.secret(REF).etag;
    const { viewId } = await slashRotate(h, 'U0OPS2', SECRET);
    const shown = textOf(modal(h, viewId as string));
    expect(shown).toContain('has no version alias current');
    expect(shown).toContain('gcloud secrets update app-db --project=acme-prod --update-version-aliases=current=');
    await submitTicket(h, 'U0OPS2', viewId as string, 'SEC-44');
    expect(textOf(modal(h, viewId as string))).toContain(
      ':warning: prod/app/db cannot be rotated yet: prod/app/db has no version alias current',
    );
    expect(snapshotTables(h.store, ['secrets', 'rotations', 'audit_events'])).toEqual(before);
    expect(fake.secret(REF)).toMatchObject({ etag, versionAliases: {} });
    expect(fake.version(REF, 2)).toBeUndefined();
  });

  it('a stale etag at promote (someone changed the secret meanwhile): the step fails saying so, `current` stays, a retry reads afresh', async () => {
    googleSecret();
    harness = await start();
    const h = harness;
    const rotator = 'U0OPS2';
    const { viewId } = await slashRotate(h, rotator, SECRET);
    const id = viewId as string;
    await submitTicket(h, rotator, id, 'SEC-45');
    const rotationId = metadataOf(modal(h, id)).rotationId as number;
    for (const lead of ['U0SEC', 'U0OPS'])
      await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    await driveModal(h, rotator, id, 'promote');
    const before = snapshotTables(h.store, ['secrets', 'rotations']);
    // Between Rotor's read and its write, another client changes the secret: its etag no longer matches.
    fake.beforeNextChange = () => fake.touch(REF);
    await press(h, rotator, id, ACTION_IDS.rotationRunStep);
    expect(textOf(modal(h, id))).toContain('the secret changed meanwhile');
    expect(aliases()).toEqual({ current: 1, [PENDING_ALIAS]: 2 });
    expect(rotationRecord(h, rotationId).rotation.promotedAt).toBeNull();
    expect(snapshotTables(h.store, ['secrets'])).toEqual({ secrets: before.secrets });
    // Pressed again, the etag is read afresh and the alias moves.
    await press(h, rotator, id, ACTION_IDS.rotationRunStep);
    expect(aliases()).toEqual({ current: 2 });
  });
});

describe('rotor discover and rotor sync against Google', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('discover proposes the secrets carrying the label, then adds them; sync picks up a version added and promoted outside Rotor', async () => {
    googleSecret();
    fake.createSecret(`projects/${PROJECT}/secrets/billing-api`, { labels: { 'rotor-managed': 'yes', type: 'api_key' } });
    fake.addVersion(`projects/${PROJECT}/secrets/billing-api`, value());
    fake.setAlias(`projects/${PROJECT}/secrets/billing-api`, 'current', 1);
    fake.createSecret(`projects/${PROJECT}/secrets/untracked`, { labels: { team: 'other' } });
    harness = await start();
    const h = harness;
    // Google labels cannot hold `/` or capitals: the annotation gives the name and the owner's Slack id.
    fake.annotate(`projects/${PROJECT}/secrets/billing-api`, { name: 'prod/billing/api_key', owner: 'U0OWNER' });

    const missing = await cli(h, 'discover', '--provider', 'google', '--tag-key', 'rotor-managed');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('needs the project to list: add --project');

    const proposed = await cli(h, 'discover', '--provider', 'google', '--project', PROJECT, '--tag-key', 'rotor-managed', '--json');
    expect(proposed.stderr).toBe('');
    const report = JSON.parse(proposed.stdout) as { proposals: { after: { name: string; providerRef: string } }[] };
    expect(report.proposals.map((proposal) => proposal.after)).toEqual([
      expect.objectContaining({ name: 'prod/billing/api_key', providerRef: `projects/${PROJECT}/secrets/billing-api` }),
    ]);
    expect(h.store.inventory.get('prod/billing/api_key')).toBeNull();
    const applied = await cli(h, 'discover', '--provider', 'google', '--project', PROJECT, '--tag-key', 'rotor-managed', '--apply');
    expect(applied.code).toBe(0);
    expect(h.store.inventory.get('prod/billing/api_key')).toMatchObject({ provider: 'google', owner: 'U0OWNER' });

    // Someone adds version 2 with gcloud and moves `current` to it: sync records it.
    const first = await cli(h, 'sync', '--provider', 'google');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(h.store.inventory.get(SECRET)?.currentVersionId).toBe('1');
    fake.addVersion(REF, value());
    fake.setAlias(REF, 'current', 2);
    const synced = await cli(h, 'sync', '--provider', 'google');
    expect(synced.code).toBe(0);
    expect(h.store.inventory.get(SECRET)?.currentVersionId).toBe('2');
  });
});

/** The real CLI over the harness's database and policy, connected to the fake. */
function cli(h: SlackHarness, ...argv: string[]) {
  return rotorCliWith(h, { GOOGLE_OAUTH_ACCESS_TOKEN: token, GOOGLE_SECRET_MANAGER_ENDPOINT: fake.address }, ...argv);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
