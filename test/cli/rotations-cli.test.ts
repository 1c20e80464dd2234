import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/access/actor.js';
import { parsePolicy } from '../../src/config/policy.js';
import { createLogger } from '../../src/logging/logger.js';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { operator, slackActor } from '../support/actors.js';
import { runRotor, type CliResult } from '../support/cli.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { useFakeVault } from '../support/vault.js';

const FAST = { attempts: 2, timeoutMs: 3_000, baseDelayMs: 1, maxDelayMs: 2 };
const POLICY_YAML = `
channels:
  announce: C0ANNOUNCE
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
retention_hours: 48
`;
const OWNER = slackActor('U0OWNER');
const SEC = slackActor('U0SEC');
const OPS = slackActor('U0OPS');
const ROTATION_TABLES = ['secrets', 'audit_events', 'audit_head', 'rotations', 'rotation_steps', 'rotation_approvals', 'follow_ups'];

interface Harness {
  store: TempStore;
  runtime: Runtime;
  cli(...argv: string[]): Promise<CliResult>;
}

/** A temp store on a fixed clock, the runtime over it, and the real CLI over the same file with the same policy. */
function harness(
  at: string,
  providers: { aws?: AwsSecretsManagerProvider; vault?: VaultKv2Provider } = {},
  cliEnv: NodeJS.ProcessEnv = {},
): Harness {
  const store = openTempStore({ at, policy: parsePolicy(POLICY_YAML) });
  const config = join(store.dir, 'policy.yaml');
  writeFileSync(config, POLICY_YAML);
  const runtime = createRuntime({
    db: store.db,
    clock: store.clock,
    policy: store.policy,
    logger: createLogger('silent'),
    providers: { registry: createProviderRegistry(providers), close: () => providers.aws?.destroy() },
    slack: null,
  });
  return { store, runtime, cli: (...argv) => runRotor(['--db', store.path, '--config', config, ...argv], cliEnv) };
}

/** Ticks or runs every pending step, five minutes apart, until `stopAt` (exclusive) or the end. */
async function driveSteps({ runtime, store }: Harness, id: number, options: { actor?: Actor; stopAt?: string } = {}): Promise<void> {
  for (;;) {
    const record = runtime.rotation.get(id);
    const step = record.steps.find((candidate) => candidate.state === 'pending');
    if (!step || step.id === options.stopAt) return;
    store.clock.advance({ minutes: 5 });
    if (step.action === null)
      runtime.rotation.tickStep(options.actor ?? OWNER, id, step.id, {
        expectedVersion: record.rotation.version,
        note: `done: ${step.id}`,
      });
    else {
      const { error } = await runtime.rotation.runStep(options.actor ?? OWNER, id, step.id, { expectedVersion: record.rotation.version });
      if (error) throw error;
    }
  }
}

/** A whole rotation through the service: start, approvals (prod), every step, completion. */
async function rotate(h: Harness, name: string, at: string, ticket: string): Promise<number> {
  h.store.clock.set(at);
  const { rotation } = await h.runtime.rotation.start(OWNER, name, { ticket });
  if (rotation.requiredApprovals.length > 0) {
    h.store.clock.advance({ minutes: 1 });
    h.runtime.rotation.approve(SEC, rotation.id);
    h.store.clock.advance({ minutes: 1 });
    h.runtime.rotation.approve(OPS, rotation.id);
  }
  await driveSteps(h, rotation.id);
  h.store.clock.advance({ minutes: 5 });
  h.runtime.rotation.complete(OWNER, rotation.id, h.runtime.rotation.get(rotation.id).rotation.version);
  return rotation.id;
}

/** The rows of the Markdown table that follows `heading`, as cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('| ') || line.startsWith('|---')) continue;
    rows.push(line.slice(2, -2).split(' | '));
  }
  return rows.slice(1);
}

describe.runIf(shouldRunMotoSuite('the rotation evidence CLI suite'))('rotor rotations over a production rotation at AWS (moto)', () => {
  const moto = useMoto();
  let h: Harness;
  let initialVersion: string;

  beforeEach(async () => {
    h = harness('2027-02-01T10:00:00Z', { aws: new AwsSecretsManagerProvider({ retry: FAST }) });
    initialVersion = (await moto.sdk.send(new CreateSecretCommand({ Name: 'prod/app/db', SecretString: randomBytes(12).toString('hex') })))
      .VersionId as string;
    h.store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: 'U0OWNER', provider: 'aws', providerRef: 'prod/app/db', lastRotated: '2026-11-01' },
      operator(),
      'test',
    );
  });
  afterEach(() => {
    h.runtime.close();
    h.store.close();
  });

  it('prints an evidence record with every step, the approvals, the versions and audit positions whose hashes match the log', async () => {
    const id = await rotate(h, 'prod/app/db', '2027-02-01T10:00:00Z', 'SEC-123');
    h.store.clock.advance({ hours: 49 });
    await h.runtime.rotation.removePrevious(OWNER, id);
    const { rotation, steps, approvals } = h.runtime.rotation.get(id);
    const before = snapshotTables(h.store, ROTATION_TABLES);

    const result = await h.cli('rotations', 'evidence', String(id));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const md = result.stdout;
    expect(md).toContain('# Rotation evidence: `prod/app/db`, rotation #12'.replace('#12', `#${id}`));
    expect(md).toMatch(/\| Change ticket \| SEC-123 \|/);
    expect(md).toMatch(/\| Reference \| `prod\/app\/db` \|/);
    expect(md).toMatch(/\| Type \| database \|/);
    expect(md).toMatch(/\| Started \| 2027-02-01T10:00:00\.000Z by U0OWNER \|/);
    expect(md).toContain(`completed at ${rotation.completedAt} by U0OWNER`);
    expect(md).toContain('the built-in database template');

    const stepRows = tableAfter(md, '## Steps');
    expect(stepRows).toHaveLength(steps.length);
    for (const [index, step] of steps.entries()) {
      const row = stepRows[index] as string[];
      expect(row[1]).toContain(step.title);
      expect(row[4]).toBe('done');
      expect(row[5]).toBe('U0OWNER');
      expect(row[6]).toBe(step.doneAt);
      if (step.action === null) expect(row[7]).toBe(`done: ${step.id}`);
    }
    const created = stepRows[steps.findIndex((step) => step.action === 'create_version')] as string[];
    expect(created[8]).toContain(`versionId=${rotation.newVersionId}`);
    expect(created[8]).toContain(`fingerprint=${rotation.newFingerprint}`);

    const approvalRows = tableAfter(md, '## Approvals');
    expect(approvalRows).toEqual(
      approvals.map((approval) => [
        approval.role === 'security_lead' ? 'security lead' : 'DevOps lead',
        'approved',
        approval.decidedBy,
        approval.decidedAt,
        '–',
      ]),
    );
    expect(approvalRows.map((row) => row[2])).toEqual(['U0SEC', 'U0OPS']);

    expect(tableAfter(md, '## Versions')).toEqual([
      ['Previous', `\`${initialVersion}\``, `\`${rotation.previousFingerprint}\``],
      ['New', `\`${rotation.newVersionId}\``, `\`${rotation.newFingerprint}\``],
    ]);
    const removed = h.store.db.prepare(`SELECT seq, at FROM audit_events WHERE action = 'rotation.previous_removed'`).get() as {
      seq: number;
      at: string;
    };
    expect(md).toContain(`Previous version: removed at ${removed.at} by U0OWNER (audit #${removed.seq})`);
    expect(md).toMatch(
      /\*\*Verify the new version is current and works\*\* \(`verify`\): done by U0OWNER at .*; provider: versionId=.*matches=true/,
    );
    expect(md).toContain(`read back at ${rotation.verifiedAt} and matched`);

    const trail = tableAfter(md, '## Audit trail');
    const rows = h.store.db.prepare('SELECT seq, at, actor, action, hash FROM audit_events ORDER BY seq').all() as {
      seq: number;
      at: string;
      actor: string;
      action: string;
      hash: string;
    }[];
    const bySeq = new Map(rows.map((row) => [row.seq, row]));
    for (const [seq, at, actor, action, , hash] of trail) {
      const stored = bySeq.get(Number(seq));
      expect(stored, `audit #${seq}`).toBeDefined();
      expect([at, actor, action, hash]).toEqual([stored?.at, stored?.actor, `\`${stored?.action}\``, `\`${stored?.hash}\``]);
    }
    const printed = trail.map((row) => Number(row[0]));
    const ofRotation = h.store.db
      .prepare(`SELECT seq FROM audit_events WHERE json_extract(details, '$.rotation') = ?`)
      .pluck()
      .all(id) as number[];
    expect(printed).toEqual(expect.arrayContaining(ofRotation));
    const providerActions = trail.map((row) => row[3]).filter((action) => action?.startsWith('`provider.'));
    expect(providerActions).toEqual([
      '`provider.version_created`',
      '`provider.version_promoted`',
      '`provider.version_verified`',
      '`provider.version_deprecated`',
    ]);
    expect(trail.filter((row) => row[3] === '`rotation.step_done`')).toHaveLength(steps.length);
    const head = h.store.db.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
    expect(md).toContain(`Chain head at export: seq ${head.seq}, hash \`${head.hash}\`.`);
    expect(md).toContain('The whole chain verified at export');
    expect(md).toContain('`rotor audit verify`');
    expect(snapshotTables(h.store, ROTATION_TABLES)).toEqual(before);
  });

  it('shows one rotation by id or by name: steps with who and when, fingerprints cut to 12 hex; JSON keeps them whole', async () => {
    const id = await rotate(h, 'prod/app/db', '2027-02-01T10:00:00Z', 'SEC-124');
    const { rotation, steps } = h.runtime.rotation.get(id);
    const byName = await h.cli('rotations', 'show', 'prod/app/db');
    expect(byName.code).toBe(0);
    expect((await h.cli('rotations', 'show', `#${id}`)).stdout).toBe(byName.stdout);
    const text = byName.stdout;
    expect(text).toContain(`Rotation #${id} of prod/app/db: scheduled, completed`);
    expect(text).toContain(
      `new version       ${rotation.newVersionId}  fingerprint SHA-256 ${rotation.newFingerprint?.replace(/^sha256:/, '').slice(0, 12)}`,
    );
    expect(text).not.toContain(rotation.newFingerprint as string);
    expect(text).toMatch(/approvals {9}security lead: approved by U0SEC at 2027-02-01T10:01:00\.000Z\n {18}DevOps lead: approved by U0OPS/);
    for (const step of steps) expect(text).toContain(`done by U0OWNER at ${step.doneAt}`);
    expect(text).toMatch(/preflight\n {2}ok {7}reference:/);
    const json = JSON.parse((await h.cli('rotations', 'show', String(id), '--json')).stdout) as {
      rotation: { newFingerprint: string };
      steps: unknown[];
      currentStep: unknown;
    };
    expect(json.rotation.newFingerprint).toBe(rotation.newFingerprint);
    expect(json.steps).toHaveLength(steps.length);
    expect(json.currentStep).toBeNull();
  });
});

describe('rotor rotations and rotor report rotations over manual secrets', () => {
  let h: Harness;

  beforeEach(() => {
    h = harness('2026-12-15T09:00:00Z');
    const add = (fields: Record<string, unknown>) => h.store.inventoryService.create({ owner: 'U0OWNER', ...fields }, operator(), 'test');
    add({
      name: 'prod/stripe/api_key',
      type: 'api_key',
      intervalDays: 30,
      lastRotated: '2026-12-10',
      team: '=HYPERLINK("http://evil.example","x")',
    });
    add({ name: 'staging/sendgrid/api_key', type: 'api_key', intervalDays: 30, lastRotated: '2026-12-01', team: '+SUM(1,1)' });
    add({ name: 'staging/legacy/api_key', type: 'api_key', intervalDays: 30, lastRotated: '2026-12-05', team: '-2+3' });
    add({ name: 'staging/search/api_key', type: 'api_key', intervalDays: 90, lastRotated: '2026-12-01', team: '@cmd' });
    add({ name: 'staging/mailer/smtp_password', type: 'smtp', lastRotated: '2026-12-01' });
    add({ name: 'dev/old/token', type: 'generic', intervalDays: 30, lastRotated: '2026-11-30' });
    add({ name: 'dev/ancient/token', type: 'generic', intervalDays: 30, lastRotated: '2026-11-01' });
    // A type whose first step changes nothing outside the store, so the open rotation gets a step done before the approvals.
    add({ name: 'prod/twilio/api_key', type: 'database', lastRotated: '2026-12-14' });
    h.store.inventoryService.update('dev/ancient/token', { lifecycle: 'retired' }, operator(), 'test');
  });
  afterEach(() => {
    h.runtime.close();
    h.store.close();
  });

  /** January 2027: on time, late, recorded by hand, missed, retired in the period, one left open. */
  async function january(): Promise<{ onTime: number; late: number; open: number }> {
    h.store.clock.set('2027-01-03T12:00:00Z');
    h.store.inventoryService.update('staging/mailer/smtp_password', { lastRotated: '2027-01-03' }, operator('ops'), 'import:rotated.yaml');
    const onTime = await rotate(h, 'prod/stripe/api_key', '2027-01-05T10:00:00Z', 'SEC-101');
    const late = await rotate(h, 'staging/sendgrid/api_key', '2027-01-12T10:00:00Z', 'https://tracker.example/OPS-7');
    h.store.clock.set('2027-01-20T08:00:00Z');
    h.store.inventoryService.update('dev/old/token', { lifecycle: 'retired' }, operator(), 'test');
    h.store.clock.set('2027-01-25T09:00:00Z');
    const { rotation } = await h.runtime.rotation.start(OWNER, 'prod/twilio/api_key', { ticket: 'SEC-102' });
    await driveSteps(h, rotation.id, { stopAt: 'set_new_value' });
    return { onTime, late, open: rotation.id };
  }

  it('lists rotations newest first, and the open ones with their current step and the approvals still missing', async () => {
    const { onTime, late, open } = await january();
    const all = JSON.parse((await h.cli('rotations', 'list', '--json')).stdout) as {
      id: number;
      state: string;
      currentStep: { position: number; of: number } | null;
      missingApprovals: string[];
      ticket: string;
      heldBy: string;
    }[];
    expect(all.map((rotation) => [rotation.id, rotation.state])).toEqual([
      [open, 'awaiting_approval'],
      [late, 'completed'],
      [onTime, 'completed'],
    ]);
    const record = h.runtime.rotation.get(open);
    const position = record.steps.findIndex((step) => step.id === 'set_new_value') + 1;
    expect(all[0]).toMatchObject({
      ticket: 'SEC-102',
      heldBy: 'U0OWNER',
      currentStep: { position, of: record.steps.length },
      missingApprovals: ['security_lead', 'devops_lead'],
    });
    expect(all[1]).toMatchObject({ currentStep: null, missingApprovals: [] });

    const text = await h.cli('rotations', 'list', '--open');
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +SECRET +KIND +STATE +TICKET +HELD BY +STARTED +STEP +APPROVALS MISSING$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^#${open} +prod/twilio/api_key +scheduled +awaiting approval +SEC-102 +U0OWNER +2027-01-25 09:00Z +${position} of ${record.steps.length} +security lead, DevOps lead$`,
        ),
      ),
    ]);

    const shown = (await h.cli('rotations', 'show', 'prod/twilio/api_key')).stdout;
    expect(shown).toContain(`current step      ${position} of ${record.steps.length}: ${record.steps[position - 1]?.title}`);
    expect(shown).toMatch(/approvals {9}security lead: missing\n {18}DevOps lead: missing/);
    expect(shown).toContain('<- current');
    expect(shown).toContain('note: done: ');
  });

  it('reports January: on time, late by the right days, recorded outside Rotor, missed with days overdue, retired in the period', async () => {
    const { onTime, late } = await january();
    const before = snapshotTables(h.store, ROTATION_TABLES);
    const md = await h.cli('report', 'rotations', '--since', '2027-01-01', '--until', '2027-01-31');
    expect(md).toMatchObject({ code: 0, stderr: '' });
    expect(md.stdout).toContain('# Rotation report: 2027-01-01 to 2027-01-31');
    expect(md.stdout).toContain('**7** secrets; **3** rotations (1 on time, 2 late; 1 done outside Rotor); **2** missed.');
    expect(md.stdout).not.toContain('dev/ancient/token');

    const secrets = tableAfter(md.stdout, '## Secrets');
    const secretRow = (name: string) => secrets.find((row) => row[0]?.startsWith(`\`${name}\``)) as string[];
    expect(secretRow('prod/stripe/api_key')[6]).toBe('30 days (policy default 90)');
    expect(secretRow('staging/mailer/smtp_password')[6]).toBe('30 days (policy default)');
    expect(secretRow('dev/old/token')[0]).toBe('`dev/old/token` (retired 2027-01-20)');

    const rotations = tableAfter(md.stdout, '## Rotations');
    expect(rotations).toEqual([
      [
        '`staging/mailer/smtp_password`',
        '2027-01-03',
        'outside Rotor (recorded by hand)',
        'recorded by cli:ops via import:rotated.yaml',
        '–',
        '–',
        '2026-12-31',
        'late by 3 days',
      ],
      [
        '`prod/stripe/api_key`',
        '2027-01-05',
        `Rotor #${onTime}`,
        'U0OWNER',
        'SEC-101',
        'security lead U0SEC (2027-01-05T10:01:00.000Z); DevOps lead U0OPS (2027-01-05T10:02:00.000Z)',
        '2027-01-09',
        'on time',
      ],
      [
        '`staging/sendgrid/api_key`',
        '2027-01-12',
        `Rotor #${late}`,
        'U0OWNER',
        'https://tracker.example/OPS-7',
        '–',
        '2026-12-31',
        'late by 12 days',
      ],
    ]);
    expect(tableAfter(md.stdout, '## Missed')).toEqual([
      ['`dev/old/token`', '2026-12-30', '21', '2027-01-20 (retired)', 'U0OWNER'],
      ['`staging/legacy/api_key`', '2027-01-04', '27', '2027-01-31', 'U0OWNER'],
    ]);

    const csv = await h.cli('report', 'rotations', '--since', '2027-01-01', '--until', '2027-01-31', '--format', 'csv');
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    const of = (secret: string) => rows.filter((row) => row.secret === secret);
    expect(of('prod/stripe/api_key')).toEqual([
      expect.objectContaining({
        record: 'rotation',
        source: 'rotor',
        rotation_id: String(onTime),
        status: 'on_time',
        days_late: '0',
        due_date: '2027-01-09',
        ticket: 'SEC-101',
      }),
    ]);
    expect(of('prod/stripe/api_key')[0]?.approvals).toBe(
      'security_lead:U0SEC@2027-01-05T10:01:00.000Z;devops_lead:U0OPS@2027-01-05T10:02:00.000Z',
    );
    expect(of('staging/sendgrid/api_key')).toEqual([expect.objectContaining({ status: 'late', days_late: '12' })]);
    expect(of('staging/mailer/smtp_password')).toEqual([
      expect.objectContaining({ source: 'recorded', status: 'late', days_late: '3', by: 'cli:ops' }),
    ]);
    expect(of('staging/legacy/api_key')).toEqual([
      expect.objectContaining({ record: 'missed', status: 'missed', due_date: '2027-01-04', days_overdue: '27' }),
    ]);
    expect(of('dev/old/token')).toEqual([expect.objectContaining({ record: 'missed', lifecycle_now: 'retired', days_overdue: '21' })]);
    expect(of('staging/search/api_key')).toEqual([expect.objectContaining({ record: 'none', status: 'not due' })]);
    expect(of('prod/twilio/api_key')).toEqual([expect.objectContaining({ record: 'none' })]);
    expect(of('dev/ancient/token')).toEqual([]);
    expect(of('prod/stripe/api_key')[0]?.policy_interval_days).toBe('90');
    const completion = h.store.db
      .prepare(`SELECT seq FROM audit_events WHERE action = 'secret.rotated' AND json_extract(details, '$.rotation') = ?`)
      .pluck()
      .get(onTime);
    expect(of('prod/stripe/api_key')[0]?.audit_seq).toBe(String(completion));

    // A spreadsheet would run these teams as formulas: each goes out as text.
    expect(of('prod/stripe/api_key')[0]?.team).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(of('staging/sendgrid/api_key')[0]?.team).toBe(`'+SUM(1,1)`);
    expect(of('staging/legacy/api_key')[0]?.team).toBe(`'-2+3`);
    expect(of('staging/search/api_key')[0]?.team).toBe(`'@cmd`);
    expect(csv.stdout.split('\n').filter((line) => /(^|,)"?[=+\-@]/.test(line))).toEqual([]);

    const json = JSON.parse((await h.cli('report', 'rotations', '--since', '2027-01-01', '--until', '2027-01-31', '--json')).stdout) as {
      totals: Record<string, number>;
    };
    expect(json.totals).toMatchObject({ secrets: 7, rotations: 3, onTime: 1, late: 2, outsideRotor: 1, missed: 2 });
    expect(snapshotTables(h.store, ROTATION_TABLES)).toEqual(before);
  });

  it('a period before the rotations: the due dates then, a secret retired in it counted until its retirement', async () => {
    await january();
    const csv = await h.cli('report', 'rotations', '--since', '2026-12-01', '--until', '2026-12-31', '--format', 'csv');
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    // Reconstructed from the audit log, not from today's dates: sendgrid was due 2026-12-31 and not yet rotated.
    expect(rows.filter((row) => row.record === 'missed').map((row) => [row.secret, row.due_date, row.days_overdue])).toEqual([
      ['dev/ancient/token', '2026-12-01', '14'],
      ['dev/old/token', '2026-12-30', '1'],
      ['staging/mailer/smtp_password', '2026-12-31', '0'],
      ['staging/sendgrid/api_key', '2026-12-31', '0'],
    ]);
    expect(rows.filter((row) => row.record === 'rotation')).toEqual([]);
  });

  it('refuses bad input with what to type instead, exit 2, and writes nothing', async () => {
    await january();
    const before = snapshotTables(h.store, ROTATION_TABLES);
    const cases: [string[], RegExp][] = [
      [['rotations', 'show', '999'], /^rotor: No rotation #999\. List them with `rotor rotations list`\./],
      [['rotations', 'evidence', '#999'], /^rotor: No rotation #999\./],
      [
        ['rotations', 'show', 'prod/stripe/api_kee'],
        /^rotor: No rotation #ID or secret named `prod\/stripe\/api_kee`.*Did you mean: prod\/stripe\/api_key\b/,
      ],
      [
        ['rotations', 'evidence', 'staging/search/api_key'],
        /^rotor: staging\/search\/api_key has never been rotated in Rotor; start a rotation with `\/rotate staging\/search\/api_key`/,
      ],
      [
        ['report', 'rotations', '--since', '2027-02-01', '--until', '2027-01-31'],
        /^rotor: --since 2027-02-01 is after --until 2027-01-31\.\n {2}--since: give the first day of the period, on or before 2027-01-31/,
      ],
      [
        ['report', 'rotations', '--since', '2027-13-01', '--until', '2027-01-31'],
        /^rotor: The report period has a malformed date\.\n {2}--since: `2027-13-01` is not a date; write it as YYYY-MM-DD/,
      ],
      [
        ['report', 'rotations', '--since', '2027-01-01', '--until', 'last week'],
        /--until: `last week` is not a date; write it as YYYY-MM-DD, e\.g\. --until 2027-03-31/,
      ],
      [['report', 'rotations', '--since', '2027-01-01'], /^rotor: The report needs its period: add --since YYYY-MM-DD --until YYYY-MM-DD/],
      [
        ['report', 'rotations', '--since', '2027-01-01', '--until', '2027-01-31', '--format', 'xlsx'],
        /^rotor: --format xlsx is not a report format; use --format md \(Markdown, the default\) or --format csv\./,
      ],
      [
        ['report', 'rotations', '--since', '2027-01-01', '--until', '2027-01-31', '--format', 'csv', '--json'],
        /^rotor: --json and --format csv both choose the output; give one of them\./,
      ],
    ];
    for (const [argv, message] of cases) {
      const result = await h.cli(...argv);
      expect(result, argv.join(' ')).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toMatch(message);
    }
    expect(snapshotTables(h.store, ROTATION_TABLES)).toEqual(before);
  });

  it('evidence of a manual rotation: every step ticked by a person with its note, no provider versions, the removal due at the end of retention', async () => {
    const { onTime } = await january();
    const md = (await h.cli('rotations', 'evidence', String(onTime))).stdout;
    const { rotation, steps } = h.runtime.rotation.get(onTime);
    const rows = tableAfter(md, '## Steps');
    expect(rows.map((row) => [row[2], row[5], row[6], row[7]])).toEqual(
      steps.map((step) => ['a person', 'U0OWNER', step.doneAt, `done: ${step.id}`]),
    );
    expect(md).toContain('| Reference | manual (rotated at its issuer by hand) |');
    const due = DateTime.fromISO(rotation.completedAt as string, { zone: 'utc' })
      .plus({ hours: 48 })
      .toISO();
    expect(md).toContain(`Previous version: due ${due} (end of the 48 h retention window; revoked at the issuer by hand`);
    expect(md).not.toMatch(/`provider\./);
  });
});

describe('rotor report rotations: a rotation found by rotor sync', () => {
  const { fake, token } = useFakeVault();
  let h: Harness;

  beforeEach(() => {
    // Vault stamps versions with the wall clock, so this suite's dates are derived from the real now.
    h = harness(DateTime.utc().toISO(), { vault: new VaultKv2Provider({ endpoint: fake.address, token, retry: FAST }) });
  });
  afterEach(() => {
    h.runtime.close();
    h.store.close();
  });

  it('is marked as outside Rotor and timed against the due date it had before the sync', async () => {
    const today = DateTime.utc().startOf('day');
    h.store.inventoryService.create(
      {
        name: 'prod/hooks/hmac',
        type: 'webhook',
        owner: 'U0OWNER',
        provider: 'vault',
        providerRef: 'secret/prod/hooks/hmac',
        intervalDays: 30,
        lastRotated: today.minus({ days: 40 }).toISODate(),
      },
      operator(),
      'test',
    );
    const dueBefore = h.store.inventory.get('prod/hooks/hmac')?.nextRotation as string;
    fake.putSecret('secret', 'prod/hooks/hmac', { value: randomBytes(8).toString('hex') });
    const report = await h.runtime.providers.sync.run({ actor: operator('sync') });
    expect(report.rotations).toHaveLength(1);
    const details = JSON.parse(
      h.store.db.prepare(`SELECT details FROM audit_events WHERE action = 'secret.rotated_outside_rotor'`).pluck().get() as string,
    ) as { rotatedAt: string; previousNextRotation: string };
    expect(details.previousNextRotation).toBe(dueBefore);

    const csv = await h.cli(
      'report',
      'rotations',
      '--since',
      today.minus({ days: 30 }).toISODate() as string,
      '--until',
      today.plus({ days: 1 }).toISODate() as string,
      '--format',
      'csv',
    );
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    const expectedLate = DateTime.fromISO(details.rotatedAt.slice(0, 10), { zone: 'utc' }).diff(
      DateTime.fromISO(dueBefore, { zone: 'utc' }),
      'days',
    ).days;
    expect(rows).toEqual([
      expect.objectContaining({
        secret: 'prod/hooks/hmac',
        record: 'rotation',
        source: 'sync',
        by: 'cli:sync',
        due_date: dueBefore,
        status: 'late',
        days_late: String(expectedLate),
      }),
    ]);
    const md = await h.cli(
      'report',
      'rotations',
      '--since',
      today.minus({ days: 30 }).toISODate() as string,
      '--until',
      today.plus({ days: 1 }).toISODate() as string,
    );
    expect(md.stdout).toContain('outside Rotor (found by sync)');
  });
});
