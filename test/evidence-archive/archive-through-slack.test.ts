import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { ModalView } from '@slack/types';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { evidenceDigest } from '../../src/evidence-archive/archive-layout.js';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { FORM_VALUE_ACTION, INCIDENT_BLOCKS } from '../../src/slack/ids.js';
import { S3FaultProxy } from '../fakes/s3-fault-proxy.js';
import { operator } from '../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import {
  clickOnStatus,
  incidentRecord,
  INCIDENT_CHANNEL,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  slashRevoke,
  submitRevoke,
} from '../support/revocation-slack.js';
import {
  ACTION_IDS,
  driveModal,
  echoed,
  FAST_RETRY,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  pushedSince,
  ROTATION_POLICY,
  rotationRecord,
  rotorCli,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitRollback,
  submitTicket,
  waitForPosts,
} from '../support/rotation-slack.js';
import type { SlackHarness } from '../support/slack-app-harness.js';
import { stateValue } from '../support/slack-payloads.js';

/**
 * Issue 22, item 5: evidence archived where it cannot be rewritten, against moto with an Object
 * Lock bucket. Rotations and incidents are driven through the real bot with signed Slack
 * requests; the sweep that finds what ended is the bot's `evidence-archive` job, and what lands
 * in the bucket is read back with the S3 SDK (moto has no GetObjectRetention: the lock is read
 * from HeadObject's headers).
 */

const BUCKET = 'rotor-evidence';
const archivePolicy = (policy: string, retention = 'retention_years: 7') => `${policy}
evidence_archive:
  bucket: ${BUCKET}
  prefix: audit/rotor
  ${retention}
  force_path_style: true
`;
/** The harness's clock: now, to the minute, so Object Lock dates lie ahead of moto's own clock. */
const startedAt = () => DateTime.utc().startOf('minute');

interface Versions {
  versions: number;
}

describe.runIf(shouldRunMotoSuite('the evidence archive through Slack'))('evidence archived under S3 Object Lock', () => {
  const moto = useMoto();
  let s3: S3Client;
  let harness: SlackHarness | undefined;
  beforeAll(() => {
    s3 = new S3Client({ forcePathStyle: true, endpoint: moto.endpoint });
  });
  afterAll(() => s3.destroy());
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  const lockedBucket = () => s3.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }));
  const versionsOf = async (key: string): Promise<Versions> => ({
    versions: ((await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: key }))).Versions ?? []).filter(
      (version) => version.Key === key,
    ).length,
  });
  const body = async (key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString('utf8') as Promise<string>;
  const ledger = (h: SlackHarness, kind = 'rotation') =>
    h.store.db
      .prepare(
        'SELECT kind, subject, name, outcome, markdown_key, json_key, markdown_digest, json_digest, retain_until FROM evidence_archive WHERE kind = ? ORDER BY id',
      )
      .all(kind) as Record<string, string>[];
  const archivedEvents = (h: SlackHarness, kind = 'rotation') =>
    h.store.db
      .prepare(`SELECT details FROM audit_events WHERE action = 'evidence.archived' AND json_extract(details, '$.kind') = ? ORDER BY seq`)
      .pluck()
      .all(kind)
      .map((text) => JSON.parse(text as string) as Record<string, unknown>);

  /** A staging rotation of an AWS secret, driven to completion through Slack by U0OPS2; its id. */
  async function rotateToCompletion(h: SlackHarness, name: string): Promise<number> {
    const { viewId } = await slashRotate(h, 'U0OPS2', name);
    await submitTicket(h, 'U0OPS2', viewId as string, 'SEC-22');
    const rotationId = metadataOf(modal(h, viewId as string)).rotationId as number;
    await driveModal(h, 'U0OPS2', viewId as string, null);
    h.store.clock.advance({ minutes: 1 });
    await press(h, 'U0OPS2', viewId as string, ACTION_IDS.rotationComplete);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    await followUpsSettled(h);
    return rotationId;
  }

  async function startWithSecret(policy: string, name = 'staging/app/db'): Promise<SlackHarness> {
    await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: randomBytes(12).toString('hex') }));
    const at = startedAt();
    harness = await startRotationHarness({
      at: at.toISO() as string,
      policy,
      aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
      seed: (store) =>
        store.inventoryService.create(
          {
            name,
            type: 'database',
            owner: 'U0OWNER',
            provider: 'aws',
            providerRef: name,
            lastRotated: at.minus({ days: 80 }).toISODate() as string,
          },
          operator(),
          'test',
        ),
    });
    return harness;
  }

  it('archives a completed rotation once, Markdown and JSON, in COMPLIANCE mode until the retention ends; a retry after a crash and a restart write nothing twice', async () => {
    await lockedBucket();
    const h = await startWithSecret(archivePolicy(ROTATION_POLICY));
    const rotationId = await rotateToCompletion(h, 'staging/app/db');
    const completedAt = DateTime.fromISO(rotationRecord(h, rotationId).rotation.completedAt as string, { zone: 'utc' });

    h.store.clock.advance({ minutes: 1 });
    const archivedAt = h.store.clock.now();
    await h.runtime.runJob('evidence-archive');
    const folder = `audit/rotor/rotations/${completedAt.toFormat('yyyy')}/${completedAt.toFormat('LL')}/staging/app/db`;
    const [row] = ledger(h);
    expect(ledger(h)).toHaveLength(1);
    expect(row).toMatchObject({
      kind: 'rotation',
      subject: String(rotationId),
      name: String(rotationId),
      outcome: 'completed',
      markdown_key: `${folder}/${rotationId}.md`,
      json_key: `${folder}/${rotationId}.json`,
    });

    // The lock, as HeadObject's headers give it: COMPLIANCE, until the retention (7 years) ends.
    for (const key of [`${folder}/${rotationId}.md`, `${folder}/${rotationId}.json`]) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head.ObjectLockMode).toBe('COMPLIANCE');
      expect(head.ObjectLockRetainUntilDate?.toISOString()).toBe(archivedAt.plus({ years: 7 }).toUTC().toISO());
      expect(await versionsOf(key)).toEqual({ versions: 1 });
    }

    // What was archived: the Markdown `rotor rotations evidence` prints, and the same as JSON with the chain positions and the record's digest.
    const markdown = await body(`${folder}/${rotationId}.md`);
    expect(markdown).toContain(`# Rotation evidence: \`staging/app/db\`, rotation #${rotationId}`);
    expect(markdown).toContain('SEC-22');
    const printed = await rotorCli(h, 'rotations', 'evidence', String(rotationId));
    // The same record, but for when it was exported and the chain's head then (the archive's own event came after).
    const exportMoment = (text: string) => text.replace(/^Exported by Rotor at \S+/m, '').replace(/^Chain head at export: .*$/m, '');
    expect(exportMoment(markdown)).toBe(exportMoment(printed.stdout));
    const json = JSON.parse(await body(`${folder}/${rotationId}.json`)) as {
      format: string;
      kind: string;
      outcome: string;
      markdownDigest: string;
      auditChain: { recordDigest: string; positions: { seq: number; hash: string }[] };
      record: { record: { rotation: { id: number } } };
    };
    expect(json).toMatchObject({
      format: 'rotor-evidence/1',
      kind: 'rotation',
      outcome: 'completed',
      markdownDigest: evidenceDigest(markdown),
      record: { record: { rotation: { id: rotationId } } },
    });
    const trail = h.store.db
      .prepare(`SELECT seq, hash FROM audit_events WHERE json_extract(details, '$.rotation') = ? ORDER BY seq`)
      .all(rotationId) as { seq: number; hash: string }[];
    expect(json.auditChain.positions).toEqual(expect.arrayContaining(trail));
    expect(json.auditChain.recordDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const [event] = archivedEvents(h);
    expect(archivedEvents(h)).toHaveLength(1);
    expect(event).toMatchObject({
      kind: 'rotation',
      name: String(rotationId),
      recordDigest: json.auditChain.recordDigest,
      objects: [{ key: `${folder}/${rotationId}.md`, digest: evidenceDigest(markdown) }, { key: `${folder}/${rotationId}.json` }],
    });

    // A crash after the write and before the ledger knew: the record is staged again, as it was, and the job finds it due.
    h.store.db.exec('BEGIN');
    h.store.db
      .prepare(`INSERT INTO evidence_staged (kind, subject, name, outcome, secret_name, occurred_at, markdown_body, json_body, record_digest, chain_seqs, staged_at)
      VALUES ('rotation', ?, ?, 'completed', 'staging/app/db', ?, ?, ?, ?, ?, ?)`)
      .run(
        String(rotationId),
        String(rotationId),
        completedAt.toISO(),
        markdown,
        JSON.stringify(json, null, 2) + '\n',
        json.auditChain.recordDigest,
        JSON.stringify(json.auditChain.positions.map((position) => position.seq)),
        archivedAt.toISO(),
      );
    h.store.db.prepare(`DELETE FROM evidence_archive WHERE kind = 'rotation'`).run();
    h.store.db.exec('COMMIT');
    h.store.clock.advance({ minutes: 1 });
    await h.runtime.runJob('evidence-archive');
    const retried = h.store.db
      .prepare(`SELECT outcome FROM follow_ups WHERE kind = 'evidence.archive' ORDER BY id DESC LIMIT 1`)
      .pluck()
      .get() as string;
    expect(JSON.parse(retried)).toMatchObject({
      status: 'already_archived',
      objects: [{ status: 'already_archived' }, { status: 'already_archived' }],
    });
    expect(ledger(h)).toEqual([row]);
    for (const key of [`${folder}/${rotationId}.md`, `${folder}/${rotationId}.json`])
      expect(await versionsOf(key)).toEqual({ versions: 1 });

    // A restart: the start-up sweep finds nothing due and writes nothing.
    const events = archivedEvents(h).length;
    await h.restart();
    await h.runtime.runJob('evidence-archive');
    expect(ledger(h)).toEqual([row]);
    expect(archivedEvents(h)).toHaveLength(events);
    for (const key of [`${folder}/${rotationId}.md`, `${folder}/${rotationId}.json`])
      expect(await versionsOf(key)).toEqual({ versions: 1 });

    // /healthz says where records go and that it keeps up.
    const health = (await (await fetch(`${h.baseUrl}/healthz`)).json()) as Record<string, unknown>;
    expect(health.evidenceArchive).toEqual({
      state: 'ok',
      bucket: `s3://${BUCKET}/audit/rotor/`,
      lastArchivedAt: expect.any(String),
      due: 0,
      lastError: null,
    });
  });

  it('a rotation rolled back after its completion was archived gets a record of its own; an abandoned one is archived as abandoned', async () => {
    await lockedBucket();
    const h = await startWithSecret(archivePolicy(ROTATION_POLICY));
    const rotationId = await rotateToCompletion(h, 'staging/app/db');
    await h.runtime.runJob('evidence-archive');
    expect(ledger(h).map((row) => [row.name, row.outcome])).toEqual([[String(rotationId), 'completed']]);

    // Two hours later it is rolled back from /rotate.
    h.store.clock.advance({ hours: 2 });
    const again = (await slashRotate(h, 'U0OPS2', 'staging/app/db')).viewId as string;
    const since = h.fake.calls.length;
    await press(h, 'U0OPS2', again, ACTION_IDS.rotationRollback);
    await submitRollback(h, 'U0OPS2', pushedSince(h, since), 'checkout errors after the switch');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('rolled_back');
    const endedAt = DateTime.fromISO(rotationRecord(h, rotationId).rotation.endedAt as string, { zone: 'utc' });
    await h.runtime.runJob('evidence-archive');
    await h.runtime.runJob('evidence-archive');
    const rows = ledger(h);
    expect(rows.map((row) => [row.name, row.outcome])).toEqual([
      [String(rotationId), 'completed'],
      [`${rotationId}-rolled-back`, 'rolled_back'],
    ]);
    expect(rows[1]?.markdown_key).toBe(
      `audit/rotor/rotations/${endedAt.toFormat('yyyy')}/${endedAt.toFormat('LL')}/staging/app/db/${rotationId}-rolled-back.md`,
    );
    expect(await body(rows[1]?.markdown_key as string)).toContain('checkout errors after the switch');
    expect(await versionsOf(rows[0]?.markdown_key as string)).toEqual({ versions: 1 });

    // Another rotation, abandoned with a reason.
    h.store.clock.advance({ minutes: 5 });
    const { viewId } = await slashRotate(h, 'U0OPS2', 'staging/app/db');
    await submitTicket(h, 'U0OPS2', viewId as string, 'SEC-23');
    const abandoned = metadataOf(modal(h, viewId as string)).rotationId as number;
    const pushed = h.fake.calls.length;
    await press(h, 'U0OPS2', viewId as string, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OPS2', pushedSince(h, pushed), 'wrong maintenance window');
    await followUpsSettled(h);
    expect(rotationRecord(h, abandoned).rotation.state).toBe('abandoned');
    await h.runtime.runJob('evidence-archive');
    const record = ledger(h).find((row) => row.name === String(abandoned));
    expect(record).toMatchObject({ outcome: 'abandoned' });
    expect(await body(record?.markdown_key as string)).toContain('wrong maintenance window');
  });

  it('a PutObject S3 refuses is retried with backoff, then announced, and leaves the ledger as it was; once S3 takes it, it is archived once', async () => {
    await lockedBucket();
    const proxy = new S3FaultProxy(moto.endpoint);
    await proxy.start();
    proxy.refusePuts = true;
    process.env.AWS_ENDPOINT_URL_S3 = proxy.endpoint;
    try {
      const h = await startWithSecret(archivePolicy(ROTATION_POLICY));
      const rotationId = await rotateToCompletion(h, 'staging/app/db');
      h.store.clock.advance({ minutes: 1 });
      await h.runtime.runJob('evidence-archive');

      // Refused: nothing in the ledger, no audit event, the follow-up waits a minute to try again.
      const followUp = () =>
        h.store.db
          .prepare(
            `SELECT state, attempts, last_error, occurrence FROM follow_ups WHERE kind = 'evidence.archive' AND topic = ? ORDER BY id DESC LIMIT 1`,
          )
          .get(`evidence:rotation:${rotationId}`) as {
          state: string;
          attempts: number;
          last_error: string;
          occurrence: string;
        };
      expect(followUp()).toMatchObject({ state: 'pending', attempts: 1, occurrence: '' });
      expect(followUp().last_error).toContain(
        `Could not archive the evidence of rotation ${rotationId} to s3://${BUCKET}/audit/rotor/: Could not archive the evidence to s3://${BUCKET}/audit/rotor/rotations/`,
      );
      expect(followUp().last_error).toContain('access denied (Access Denied)');
      expect(ledger(h)).toEqual([]);
      expect(archivedEvents(h)).toEqual([]);
      expect(proxy.refused.length).toBeGreaterThan(0);
      const health = (await (await fetch(`${h.baseUrl}/healthz`)).json()) as {
        status: string;
        evidenceArchive: { state: string; lastError: string; due: number };
      };
      expect(health.status).toBe('ok');
      expect(health.evidenceArchive).toMatchObject({ state: 'failing', due: expect.any(Number) });
      expect(health.evidenceArchive.lastError).toContain(`Could not archive the evidence of rotation ${rotationId}`);

      // Retried with backoff (1, 5, 15, 60 minutes), then given up on and announced.
      for (let attempt = 2; attempt <= 5; attempt += 1) {
        h.store.clock.advance({ minutes: 61 });
        await h.runtime.runJob('follow-up-sweep');
        expect(followUp().attempts).toBe(attempt);
      }
      expect(followUp().state).toBe('failed');
      const [announced] = await waitForPosts(h, 'C0ANNOUNCE', new RegExp(`evidence:rotation:${rotationId}`));
      expect(String(announced?.args.text)).toContain(
        `gave up on a follow-up after 5 attempts: \`evidence.archive\` for \`evidence:rotation:${rotationId}\``,
      );
      expect(ledger(h)).toEqual([]);

      // Within the day nothing new is tried; then S3 takes it, and the sweep starts a new follow-up that archives it once.
      h.store.clock.advance({ hours: 1 });
      await h.runtime.runJob('evidence-archive');
      expect(followUp()).toMatchObject({ state: 'failed', occurrence: '' });
      proxy.refusePuts = false;
      h.store.clock.advance({ hours: 24 });
      await h.runtime.runJob('evidence-archive');
      expect(followUp()).toMatchObject({ state: 'done', occurrence: 'retry-1' });
      const [row] = ledger(h);
      expect(row).toMatchObject({ name: String(rotationId), outcome: 'completed' });
      expect(await versionsOf(row!.markdown_key as string)).toEqual({ versions: 1 });
      expect(await versionsOf(row!.json_key as string)).toEqual({ versions: 1 });
      expect(archivedEvents(h)).toHaveLength(1);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_S3;
      await proxy.stop();
    }
  });

  it('archives a closed incident and its emergency rotation once; a restart writes nothing twice', async () => {
    await lockedBucket();
    const secret = 'prod/app/db';
    const created = await moto.sdk.send(new CreateSecretCommand({ Name: secret, SecretString: randomBytes(12).toString('hex') }));
    const at = startedAt();
    harness = await startRotationHarness({
      at: at.toISO() as string,
      aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
      policy: archivePolicy(REVOCATION_POLICY),
      people: REVOCATION_PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          {
            name: secret,
            type: 'database',
            owner: 'U0OWNER',
            provider: 'aws',
            providerRef: secret,
            lastRotated: at.minus({ days: 80 }).toISODate() as string,
          },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId: confirm } = await slashRevoke(h, 'U0ONCALL', `${secret} leaked in a public gist`);
    await submitRevoke(h, 'U0ONCALL', confirm as string, { confirm: secret });
    await followUpsSettled(h);
    const since = h.fake.calls.length;
    await h.untilHandled(() => h.command('/rotate', secret, 'U0ONCALL', { channelId: INCIDENT_CHANNEL }));
    const viewId = String(h.fake.calls.slice(since).find((call) => call.method === 'views.update')?.args.view_id);
    await driveModal(h, 'U0ONCALL', viewId, null);
    await press(h, 'U0ONCALL', viewId, ACTION_IDS.rotationComplete);
    await followUpsSettled(h);

    // Open: only the completed emergency rotation is due.
    await h.runtime.runJob('evidence-archive');
    expect(ledger(h, 'incident')).toEqual([]);
    expect(ledger(h).map((row) => row.outcome)).toEqual(['completed']);

    h.store.clock.advance({ minutes: 5 });
    expect(await closeFromStatus(h, 'U0ONCALL')).toBeNull();
    const { incident } = incidentRecord(h, 1);
    expect(incident.state).toBe('closed');
    const closedAt = DateTime.fromISO(incident.closedAt as string, { zone: 'utc' });
    await h.runtime.runJob('evidence-archive');
    const folder = `audit/rotor/incidents/${closedAt.toFormat('yyyy')}/${closedAt.toFormat('LL')}/prod/app/db`;
    expect(ledger(h, 'incident')).toEqual([
      expect.objectContaining({ subject: '1', name: '1', outcome: 'closed', markdown_key: `${folder}/1.md`, json_key: `${folder}/1.json` }),
    ]);
    const markdown = await body(`${folder}/1.md`);
    expect(markdown).toContain('incident #1');
    expect(markdown).toContain(created.VersionId as string);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${folder}/1.json` }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockRetainUntilDate?.toISOString()).toBe(h.store.clock.now().plus({ years: 7 }).toUTC().toISO());
    const json = JSON.parse(await body(`${folder}/1.json`)) as {
      kind: string;
      outcome: string;
      auditChain: { positions: { seq: number }[] };
    };
    expect(json).toMatchObject({ kind: 'incident', outcome: 'closed' });
    const closedSeq = h.store.db.prepare(`SELECT seq FROM audit_events WHERE action = 'incident.closed'`).pluck().get() as number;
    expect(json.auditChain.positions.map((position) => position.seq)).toContain(closedSeq);

    await h.restart();
    await h.runtime.runJob('evidence-archive');
    expect(ledger(h, 'incident')).toHaveLength(1);
    expect(archivedEvents(h, 'incident')).toHaveLength(1);
    expect(await versionsOf(`${folder}/1.md`)).toEqual({ versions: 1 });
    expect(await versionsOf(`${folder}/1.json`)).toEqual({ versions: 1 });
  });

  it('rotor evidence verify passes on what was archived, then fails naming a record replaced in the bucket, one whose audit events changed, and one never archived', async () => {
    await lockedBucket();
    const h = await startWithSecret(archivePolicy(ROTATION_POLICY));
    const first = await rotateToCompletion(h, 'staging/app/db');
    h.store.clock.advance({ minutes: 1 });
    await h.runtime.runJob('evidence-archive');
    const verify = (...options: string[]) => rotorCli(h, 'evidence', 'verify', '--at', h.store.clock.now().toISO() as string, ...options);
    const clean = await verify();
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(
      `Evidence archive s3://${BUCKET}/audit/rotor/: 4 objects read back, locked in COMPLIANCE mode, and matching the audit chain.`,
    );

    // A second rotation ends and waits: under an hour it is waiting, not missing.
    const second = await rotateToCompletion(h, 'staging/app/db');
    const waiting = await verify();
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toContain(`Ended less than an hour ago, waiting for their follow-up: rotation ${second}.`);

    // Someone writes over the first record's Markdown: Object Lock keeps the archived version, but the key now serves another (a new version; COMPLIANCE protects versions, not keys).
    const [row] = ledger(h);
    const replaced = row!.markdown_key as string;
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: replaced,
        Body: `# Rotation evidence\n\nnothing happened (${randomBytes(4).toString('hex')})\n`,
      }),
    );
    // And someone rewrites one of the first rotation's audit events in the database.
    const cited = h.store.db
      .prepare(`SELECT seq FROM audit_events WHERE action = 'rotation.started' AND json_extract(details, '$.rotation') = ?`)
      .pluck()
      .get(first) as number;
    h.store.db.prepare('UPDATE audit_events SET hash = ? WHERE seq = ?').run(randomBytes(32).toString('hex'), cited);
    h.store.clock.advance({ hours: 2 });

    const failed = await verify();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(
      new RegExp(
        `  - s3://${BUCKET}/${escape(replaced)}: not locked in COMPLIANCE mode \\(no lock\\); replaced: the key has 2 versions, the latest written over the archived one; its content's digest is sha256:[0-9a-f]{64}, the audit chain's record gives ${escape(row!.markdown_digest as string)}`,
      ),
    );
    expect(failed.stdout).toContain(`  - s3://${BUCKET}/${row!.json_key}: the audit chain no longer holds the events it cites unchanged`);
    expect(failed.stdout).toContain(`  - rotation ${second}: not archived (ended `);
    expect(failed.stderr).toContain(`rotor: The evidence archive at s3://${BUCKET}/audit/rotor/ has 3 problems (listed above).`);
    const json = await verify('--json');
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { problems: { where: string }[] }).problems.map((problem) => problem.where)).toEqual([
      `s3://${BUCKET}/${replaced}`,
      `s3://${BUCKET}/${row!.json_key}`,
      `rotation ${second}`,
    ]);
  });

  it('archives `rotor report rotations` of the month that ended, once a month, and of every month the bot was down for', async () => {
    await lockedBucket();
    const h = await startWithSecret(archivePolicy(ROTATION_POLICY, 'retention_days: 3650'));
    const now = h.store.clock.now();
    const month = (at: DateTime) => at.toFormat('yyyy-LL');
    const ended = now.startOf('month').minus({ months: 1 });
    // The start-up sweep archived the month that ended; running it again writes nothing.
    await h.runtime.runJob('evidence-archive');
    const reports = () => ledger(h, 'report').map((row) => row.subject);
    expect(reports()).toEqual([month(ended)]);
    const key = `audit/rotor/reports/${ended.toFormat('yyyy')}/${ended.toFormat('LL')}/rotations-${month(ended)}.md`;
    expect(ledger(h, 'report')[0]).toMatchObject({ markdown_key: key, outcome: 'month_ended' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockRetainUntilDate?.toISOString()).toBe(now.plus({ days: 3650 }).toUTC().toISO());
    const printed = await rotorCli(
      h,
      'report',
      'rotations',
      '--since',
      ended.toISODate() as string,
      '--until',
      ended.endOf('month').toISODate() as string,
    );
    const generated = (text: string) => text.replace(/^Generated by Rotor at \S+/m, '');
    expect(generated(await body(key))).toBe(generated(printed.stdout));
    expect(await versionsOf(key)).toEqual({ versions: 1 });

    // The next month: its report, once; then the bot is down for two months: both are archived.
    h.store.clock.set(now.startOf('month').plus({ months: 1, hours: 2 }));
    await h.runtime.runJob('evidence-archive');
    await h.runtime.runJob('evidence-archive');
    expect(reports()).toEqual([month(ended), month(now)]);
    await h.restart();
    h.store.clock.set(now.startOf('month').plus({ months: 3, hours: 2 }));
    await h.runtime.runJob('evidence-archive');
    expect(reports()).toEqual([month(ended), month(now), month(now.plus({ months: 1 })), month(now.plus({ months: 2 }))]);
    expect(archivedEvents(h, 'report')).toHaveLength(4);
  });
});

/** Opens the close form from the status message as `userId` and submits it with a postmortem; the ack's body (null for an empty ack). */
async function closeFromStatus(h: SlackHarness, userId: string): Promise<Record<string, unknown> | null> {
  const { since } = await clickOnStatus(h, userId, ACTION_IDS.incidentClose);
  const form = pushedSince(h, since);
  const values = {
    [INCIDENT_BLOCKS.postmortem]: { [FORM_VALUE_ACTION]: stateValue.text('https://wiki.example/postmortems/22') },
    [INCIDENT_BLOCKS.override]: { [FORM_VALUE_ACTION]: stateValue.text(null) },
  };
  const reply = await h.untilHandled(() =>
    h.submit({ userId, view: { ...echoed(h, 'VCLOSE0022', form, values), blocks: form.blocks as ModalView['blocks'] } }),
  );
  return reply.text === '' ? null : (reply.json() as Record<string, unknown>);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
