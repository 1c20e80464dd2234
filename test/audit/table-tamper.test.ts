import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/access/actor.js';
import { AuditTrailRepo } from '../../src/audit/audit-trail-repo.js';
import { checkedRotation, trailSource } from '../../src/audit/chain-checks.js';
import { describeDifference } from '../../src/audit/chain-difference.js';
import { parsePolicy } from '../../src/config/policy.js';
import type { RotationRecord } from '../../src/rotation/rotation.js';
import { RotationRepo } from '../../src/rotation/rotation-repo.js';
import type { Runtime } from '../../src/runtime.js';
import { operator, slackActor } from '../support/actors.js';
import { runRotor } from '../support/cli.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { sideRuntime } from '../support/rotations.js';

/**
 * Issue 19, finding 3: someone who can write the database file edits the rotation, incident and
 * inventory tables, and leaves the hash-chained audit log alone (so `rotor audit verify` alone
 * passes). Each kind of edit the probe made, on a copy of one database, must be caught by
 * `rotor audit verify --deep` and named in the evidence and the period report, which print the
 * chain's side of the fact; the untouched database passes.
 */
const POLICY_YAML = `
channels:
  announce: C0ANNOUNCE
  incident: [C0INCIDENT]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC, U0SEC2]
  devops_leads: [U0OPS]
  responders: [U0RESP]
retention_hours: 48
`;
const OWNER = slackActor('U0OWNER');
const RESPONDER = slackActor('U0RESP', 'C0INCIDENT');

interface Built {
  rotation: number;
  emergency: number;
  incident: number;
  /** The first manual step ticked without a note, and one ticked with one. */
  bareStep: string;
  notedStep: string;
  since: string;
  until: string;
}

/** Ticks every pending step a minute apart, with a note except on `bare`. */
function tickAll(runtime: Runtime, store: TempStore, id: number, actor: Actor, bare: (stepId: string) => boolean): void {
  for (;;) {
    const record = runtime.rotation.get(id);
    const step = record.steps.find((candidate) => candidate.state === 'pending');
    if (!step) return;
    store.clock.advance({ minutes: 1 });
    runtime.rotation.tickStep(actor, id, step.id, {
      expectedVersion: record.rotation.version,
      note: bare(step.id) ? null : `done: ${step.id}`,
    });
  }
}

describe('edits of the rotation, incident and inventory tables, against the audit chain', () => {
  const start = DateTime.utc().startOf('day').minus({ days: 20 });
  let store: TempStore;
  let pristine: string;
  let config: string;
  let built: Built;

  beforeAll(async () => {
    store = openTempStore({ at: start.plus({ hours: 9 }).toISO() as string, policy: parsePolicy(POLICY_YAML) });
    config = join(store.dir, 'policy.yaml');
    writeFileSync(config, POLICY_YAML);
    const runtime = sideRuntime(store);
    const lastRotated = start.minus({ days: 100 }).toISODate() as string;
    for (const name of ['prod/stripe/api_key', 'prod/twilio/api_key'])
      store.inventoryService.create({ name, type: 'api_key', owner: 'U0OWNER', team: 'payments', lastRotated }, operator(), 'test');

    // A production rotation: a ticket, two approvals, every step ticked (one without a note).
    const { rotation } = await runtime.rotation.start(OWNER, 'prod/stripe/api_key', { ticket: 'SEC-101' });
    store.clock.advance({ minutes: 1 });
    runtime.rotation.approve(slackActor('U0SEC'), rotation.id);
    store.clock.advance({ minutes: 1 });
    runtime.rotation.approve(slackActor('U0OPS'), rotation.id);
    const steps = runtime.rotation.get(rotation.id).steps;
    const bareStep = (steps[1] ?? steps[0])!.id;
    const notedStep = steps[0]!.id;
    tickAll(runtime, store, rotation.id, OWNER, (id) => id === bareStep);
    store.clock.advance({ minutes: 1 });
    runtime.rotation.complete(OWNER, rotation.id, runtime.rotation.get(rotation.id).rotation.version);

    // An incident: revoked, acknowledged, its emergency rotation done, signed off, closed.
    store.clock.set(start.plus({ days: 2, hours: 9 }).toISO() as string);
    const opened = await runtime.revocation.open(RESPONDER, 'prod/twilio/api_key', 'leaked in a public gist', {
      confirmName: 'prod/twilio/api_key',
      severity: 'SEV2',
      ticket: 'INC-7',
      order: 'replace_then_disable',
      destroy: false,
    });
    const incident = opened.incident.id;
    store.clock.advance({ minutes: 2 });
    runtime.revocation.acknowledge(slackActor((opened.pages[0]?.userId ?? 'U0RESP') as string), incident);
    const emergency = runtime.revocation.get(incident).incident.rotationId as number;
    tickAll(runtime, store, emergency, RESPONDER, () => false);
    store.clock.advance({ minutes: 1 });
    runtime.rotation.complete(RESPONDER, emergency, runtime.rotation.get(emergency).rotation.version);
    store.clock.advance({ minutes: 5 });
    runtime.revocation.signOff(slackActor('U0SEC'), incident);
    store.clock.advance({ minutes: 5 });
    runtime.revocation.close(RESPONDER, incident, 'https://wiki.example/postmortems/7');
    await runtime.settled();
    runtime.close();

    pristine = join(store.dir, 'pristine.db');
    await store.db.backup(pristine);
    built = {
      rotation: rotation.id,
      emergency,
      incident,
      bareStep,
      notedStep,
      since: start.toISODate() as string,
      until: start.plus({ days: 5 }).toISODate() as string,
    };
  }, 60_000);
  afterAll(() => store.close());

  const cli = (path: string, ...argv: string[]) => runRotor(['--db', path, '--config', config, ...argv]);
  let copies = 0;
  const edited = (sql: (db: Database.Database, b: Built) => void): string => {
    copies += 1;
    const path = join(store.dir, `edited-${copies}.db`);
    copyFileSync(pristine, path);
    const db = new Database(path);
    sql(db, built);
    db.close();
    return path;
  };
  const shifted = (iso: string, days: number) => DateTime.fromISO(iso, { zone: 'utc' }).plus({ days }).toUTC().toISO() as string;
  const at = (db: Database.Database, table: string, column: string, where: string, ...params: unknown[]) =>
    db
      .prepare(`SELECT ${column} FROM ${table} WHERE ${where}`)
      .pluck()
      .get(...params) as string;

  it('the untouched database passes --deep, and its evidence and report say the tables agree with the chain', async () => {
    const deep = await cli(pristine, 'audit', 'verify', '--deep');
    expect(deep).toMatchObject({ code: 0, stderr: expect.stringMatching(/not keyed/) });
    expect(deep.stdout).toMatch(
      /Deep check: replayed the audit events of 2 rotations, 1 incident and 2 secrets; the tables agree with them\./,
    );
    expect(deep.stdout).not.toContain('Not covered by the chain');
    for (const argv of [
      ['rotations', 'evidence', String(built.rotation)],
      ['incidents', 'evidence', String(built.incident)],
    ]) {
      const evidence = await cli(pristine, ...argv);
      expect(evidence.code).toBe(0);
      expect(evidence.stdout).toContain('the tables agree with the chain');
      expect(evidence.stdout).toContain('The whole chain verified at export');
      expect(evidence.stdout).not.toContain('differ from the audit chain');
    }
    const report = await cli(pristine, 'report', 'rotations', '--since', built.since, '--until', built.until);
    expect(report.stdout).toContain('the tables agree with the chain');
    expect(JSON.parse((await cli(pristine, 'audit', 'verify', '--deep', '--json')).stdout)).toMatchObject({
      intact: true,
      deep: { rotations: 2, incidents: 1, secrets: 2, differences: [] },
    });
  });

  type Case = {
    kind: string;
    edit: (db: Database.Database, b: Built) => void;
    /** The difference as `--deep` and the records name it. */
    names: (b: Built) => RegExp;
    /** Where else it is named: the evidence of a rotation or an incident, and whether the period report does too. */
    evidence: (b: Built) => string[];
    inReport: boolean;
    /** What the evidence prints instead: the chain's side. */
    shows?: (b: Built) => RegExp;
  };

  const cases: Case[] = [
    {
      kind: 'an approval re-attributed',
      edit: (db, b) =>
        db
          .prepare(`UPDATE rotation_approvals SET decided_by = 'U0MALLORY' WHERE rotation_id = ? AND role = 'security_lead'`)
          .run(b.rotation),
      names: (b) =>
        new RegExp(
          `rotation #${b.rotation}, approval \\(security lead\\): by: the tables say “U0MALLORY”; the audit chain \\(event #\\d+\\) says “U0SEC”\\.`,
        ),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
      shows: () => /\| security lead \| approved \| U0SEC \|/,
    },
    {
      kind: 'an approval forged',
      edit: (db, b) =>
        db
          .prepare(
            `INSERT INTO rotation_approvals (rotation_id, role, decision, decided_by, decided_at) VALUES (?, 'security_lead', 'approved', 'U0SEC2', ?)`,
          )
          .run(b.emergency, at(db, 'rotations', 'started_at', 'id = ?', b.emergency)),
      names: (b) =>
        new RegExp(
          `rotation #${b.emergency}, approval \\(security lead\\): the tables say approved by U0SEC2 at [^;]+; the audit chain records nothing\\.`,
        ),
      evidence: (b) => ['rotations', 'evidence', String(b.emergency)],
      inReport: true,
      shows: () => /No approval required \(an emergency rotation goes ahead without approvals\)/,
    },
    {
      kind: 'an approval deleted',
      edit: (db, b) => db.prepare(`DELETE FROM rotation_approvals WHERE rotation_id = ? AND role = 'devops_lead'`).run(b.rotation),
      names: (b) =>
        new RegExp(
          `rotation #${b.rotation}, approval \\(DevOps lead\\): the tables hold nothing; the audit chain \\(event #\\d+\\) says approved by U0OPS at `,
        ),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
      shows: () => /\| DevOps lead \| approved \| U0OPS \|/,
    },
    {
      kind: 'the change ticket changed',
      edit: (db, b) => db.prepare(`UPDATE rotations SET ticket = 'SEC-999' WHERE id = ?`).run(b.rotation),
      names: (b) =>
        new RegExp(`rotation #${b.rotation}, change ticket: the tables say “SEC-999”; the audit chain \\(event #\\d+\\) says “SEC-101”\\.`),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
      shows: () => /\| Change ticket \| SEC-101 \|/,
    },
    {
      kind: 'a step note invented',
      edit: (db, b) =>
        db
          .prepare(`UPDATE rotation_steps SET note = 'checked by the auditor' WHERE rotation_id = ? AND step_id = ?`)
          .run(b.rotation, b.bareStep),
      names: (b) =>
        new RegExp(
          `rotation #${b.rotation}, step ${b.bareStep}: note: the tables say “checked by the auditor”; the audit chain \\(event #\\d+\\) records nothing\\.`,
        ),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
    },
    {
      kind: 'a step note rewritten',
      edit: (db, b) =>
        db.prepare(`UPDATE rotation_steps SET note = 'rotated twice' WHERE rotation_id = ? AND step_id = ?`).run(b.rotation, b.notedStep),
      names: (b) =>
        new RegExp(
          `rotation #${b.rotation}, step ${b.notedStep}: note: the tables say “rotated twice”; the audit chain \\(event #\\d+\\) says “done: ${b.notedStep}”\\.`,
        ),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
    },
    {
      kind: 'a step author changed',
      edit: (db, b) =>
        db.prepare(`UPDATE rotation_steps SET done_by = 'U0MALLORY' WHERE rotation_id = ? AND step_id = ?`).run(b.rotation, b.notedStep),
      names: (b) =>
        new RegExp(
          `rotation #${b.rotation}, step ${b.notedStep}: done by: the tables say “U0MALLORY”; the audit chain \\(event #\\d+\\) says “U0OWNER”\\.`,
        ),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
    },
    {
      kind: 'a step date moved',
      edit: (db, b) =>
        db
          .prepare(`UPDATE rotation_steps SET done_at = ? WHERE rotation_id = ? AND step_id = ?`)
          .run(
            shifted(at(db, 'rotation_steps', 'done_at', 'rotation_id = ? AND step_id = ?', b.rotation, b.notedStep), -3),
            b.rotation,
            b.notedStep,
          ),
      names: (b) =>
        new RegExp(
          `rotation #${b.rotation}, step ${b.notedStep}: when: the tables say “[^”]+”; the audit chain \\(event #\\d+\\) says “[^”]+”\\.`,
        ),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
    },
    {
      kind: 'the completion date moved out of the period',
      edit: (db, b) =>
        db
          .prepare(`UPDATE rotations SET completed_at = ? WHERE id = ?`)
          .run(shifted(at(db, 'rotations', 'completed_at', 'id = ?', b.rotation), -30), b.rotation),
      names: (b) =>
        new RegExp(`rotation #${b.rotation}, completed at: the tables say “[^”]+”; the audit chain \\(event #\\d+\\) says “[^”]+”\\.`),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
    },
    {
      kind: 'an approval date moved',
      edit: (db, b) =>
        db
          .prepare(`UPDATE rotation_approvals SET decided_at = ? WHERE rotation_id = ? AND role = 'devops_lead'`)
          .run(shifted(at(db, 'rotation_approvals', 'decided_at', `rotation_id = ? AND role = 'devops_lead'`, b.rotation), -2), b.rotation),
      names: (b) =>
        new RegExp(
          `rotation #${b.rotation}, approval \\(DevOps lead\\): when: the tables say “[^”]+”; the audit chain \\(event #\\d+\\) says “[^”]+”\\.`,
        ),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
    },
    {
      kind: 'the due date it was rotated against moved (a late rotation made on time)',
      edit: (db, b) =>
        db.prepare(`UPDATE rotations SET previous_next_rotation = ? WHERE id = ?`).run(
          DateTime.fromISO(at(db, 'rotations', 'completed_at', 'id = ?', b.rotation), { zone: 'utc' })
            .plus({ days: 10 })
            .toISODate(),
          b.rotation,
        ),
      names: (b) =>
        new RegExp(
          `rotation #${b.rotation}, due date it was rotated against: the tables say “[^”]+”; the audit chain \\(event #\\d+\\) says “[^”]+”\\.`,
        ),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
    },
    {
      kind: 'the rotator re-attributed',
      edit: (db, b) => db.prepare(`UPDATE rotations SET started_by = 'U0MALLORY', held_by = 'U0MALLORY' WHERE id = ?`).run(b.rotation),
      names: (b) =>
        new RegExp(`rotation #${b.rotation}, started by: the tables say “U0MALLORY”; the audit chain \\(event #\\d+\\) says “U0OWNER”\\.`),
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
      shows: () => /\| Started \| \S+ by U0OWNER \|/,
    },
    {
      kind: 'the sign-off re-attributed',
      edit: (db, b) => db.prepare(`UPDATE incidents SET signed_off_by = 'U0MALLORY' WHERE id = ?`).run(b.incident),
      names: (b) =>
        new RegExp(`incident #${b.incident}, signed off by: the tables say “U0MALLORY”; the audit chain \\(event #\\d+\\) says “U0SEC”\\.`),
      evidence: (b) => ['incidents', 'evidence', String(b.incident)],
      inReport: false,
      shows: () => /U0SEC signed off the break-glass rotation/,
    },
    {
      kind: 'the severity rewritten',
      edit: (db, b) => db.prepare(`UPDATE incidents SET severity = 'SEV4' WHERE id = ?`).run(b.incident),
      names: (b) =>
        new RegExp(`incident #${b.incident}, severity: the tables say “SEV4”; the audit chain \\(event #\\d+\\) says “SEV2”\\.`),
      evidence: (b) => ['incidents', 'evidence', String(b.incident)],
      inReport: false,
      shows: () => /\| Severity \| SEV2 \|/,
    },
    {
      kind: 'the incident ticket changed',
      edit: (db, b) => db.prepare(`UPDATE incidents SET ticket = 'INC-0' WHERE id = ?`).run(b.incident),
      names: (b) =>
        new RegExp(`incident #${b.incident}, incident ticket: the tables say “INC-0”; the audit chain \\(event #\\d+\\) says “INC-7”\\.`),
      evidence: (b) => ['incidents', 'evidence', String(b.incident)],
      inReport: false,
      shows: () => /\| Incident ticket \| INC-7 \|/,
    },
    {
      kind: 'the opening moved',
      edit: (db, b) =>
        db
          .prepare(`UPDATE incidents SET opened_at = ? WHERE id = ?`)
          .run(shifted(at(db, 'incidents', 'opened_at', 'id = ?', b.incident), 1), b.incident),
      names: (b) =>
        new RegExp(`incident #${b.incident}, opened at: the tables say “[^”]+”; the audit chain \\(event #\\d+\\) says “[^”]+”\\.`),
      evidence: (b) => ['incidents', 'evidence', String(b.incident)],
      inReport: false,
    },
    {
      kind: 'the postmortem link changed',
      edit: (db, b) =>
        db.prepare(`UPDATE incidents SET postmortem_url = 'https://wiki.example/postmortems/other' WHERE id = ?`).run(b.incident),
      names: (b) =>
        new RegExp(
          `incident #${b.incident}, postmortem: the tables say “https://wiki.example/postmortems/other”; the audit chain \\(event #\\d+\\) says “https://wiki.example/postmortems/7”\\.`,
        ),
      evidence: (b) => ['incidents', 'evidence', String(b.incident)],
      inReport: false,
      shows: () => /Postmortem: https:\/\/wiki\.example\/postmortems\/7\n/,
    },
    {
      kind: 'a page moved to another level and time',
      edit: (db, b) =>
        db
          .prepare(`UPDATE incident_pages SET level = 'cto', paged_at = ? WHERE incident_id = ? AND user_id = 'U0SEC'`)
          .run(shifted(at(db, 'incidents', 'opened_at', 'id = ?', b.incident), 1), b.incident),
      names: (b) =>
        new RegExp(
          `incident #${b.incident}, page of U0SEC: level: the tables say “cto”; the audit chain \\(event #\\d+\\) says “security”\\.`,
        ),
      evidence: (b) => ['incidents', 'evidence', String(b.incident)],
      inReport: false,
    },
    {
      kind: 'a timeline row invented',
      edit: (db, b) =>
        db
          .prepare(
            `INSERT INTO incident_events (incident_id, at, actor, kind, dedupe_key, summary, details) VALUES (?, ?, 'U0MALLORY', 'acknowledged', 'acknowledged:U0MALLORY', 'U0MALLORY acknowledged.', '{}')`,
          )
          .run(b.incident, at(db, 'incidents', 'opened_at', 'id = ?', b.incident)),
      names: (b) =>
        new RegExp(
          `incident #${b.incident}, timeline row \\d+ \\(acknowledged\\): the tables say “U0MALLORY acknowledged\\.” by U0MALLORY at [^;]+; the audit chain records nothing\\.`,
        ),
      evidence: (b) => ['incidents', 'evidence', String(b.incident)],
      inReport: false,
    },
    // Issue 19 re-probe, group C: rows the chain wrote and the tables lost, and a gate the name decides.
    ...(['closed', 'disabled', 'acknowledged'] as const).map(
      (kind): Case => ({
        kind: `a timeline row deleted (${kind})`,
        edit: (db, b) => db.prepare(`DELETE FROM incident_events WHERE incident_id = ? AND kind = ?`).run(b.incident, kind),
        names: (b) =>
          new RegExp(
            `incident #${b.incident}, timeline row of ${{ closed: 'incident\\.closed', disabled: 'rotation\\.step_done', acknowledged: 'incident\\.acknowledged' }[kind]}: the tables hold nothing; the audit chain \\(event #\\d+\\) says “[^”]+ by U0\\w+ at [^”]+”\\.`,
          ),
        evidence: (b) => ['incidents', 'evidence', String(b.incident)],
        inReport: false,
      }),
    ),
    {
      kind: "a prod secret's environment rewritten to dev (its rotations would need no approval)",
      edit: (db) => db.prepare(`UPDATE secrets SET environment = 'dev' WHERE name = 'prod/stripe/api_key'`).run(),
      names: () => /secret prod\/stripe\/api_key, environment: the tables say “dev”; the audit chain \(event #\d+\) says “prod”\./,
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
    },
    {
      kind: 'the owner changed in the inventory',
      edit: (db) => db.prepare(`UPDATE secrets SET owner = 'U0MALLORY' WHERE name = 'prod/stripe/api_key'`).run(),
      names: () => /secret prod\/stripe\/api_key, owner: the tables say “U0MALLORY”; the audit chain \(event #\d+\) says “U0OWNER”\./,
      evidence: (b) => ['rotations', 'evidence', String(b.rotation)],
      inReport: true,
      shows: () => /\| Owner \(now\) \| U0OWNER \|/,
    },
  ];

  it.each(cases)('$kind: caught by --deep, named in its evidence record (and in the report when it reports it)', async (testCase) => {
    const path = edited(testCase.edit);
    expect((await cli(path, 'audit', 'verify')).code, 'the chain itself is untouched').toBe(0);
    const deep = await cli(path, 'audit', 'verify', '--deep');
    expect(deep.code).toBe(1);
    expect(deep.stdout).toMatch(testCase.names(built));
    expect(deep.stderr).toMatch(/rotor: The tables differ from the audit chain in \d+ places?/);

    const evidence = await cli(path, ...testCase.evidence(built));
    expect(evidence.code).toBe(0);
    expect(evidence.stdout).toMatch(testCase.names(built));
    expect(evidence.stdout).toMatch(/\*\*The (rotation|incident) and inventory tables differ from the audit chain in \d+ places?\*\*/);
    expect(evidence.stdout).not.toContain('The whole chain verified');
    if (testCase.shows) expect(evidence.stdout).toMatch(testCase.shows(built));

    if (testCase.inReport) {
      const report = await cli(path, 'report', 'rotations', '--since', built.since, '--until', built.until);
      expect(report.code).toBe(0);
      expect(report.stdout).toMatch(testCase.names(built));
      expect(report.stdout).toMatch(/\*\*The tables differ from the audit chain in \d+ places?\*\*/);
      const csv = await cli(path, 'report', 'rotations', '--since', built.since, '--until', built.until, '--format', 'csv');
      expect(csv.stderr).toMatch(testCase.names(built));
    }
  });

  it('a rotation started by an older release (no environment, reference, due date or fingerprint in its start event): those facts come from the secret’s replay, and what nothing records is named as not covered', () => {
    const db = new Database(pristine, { readonly: true });
    try {
      const trail = new AuditTrailRepo(db);
      const source = trailSource(trail);
      const older = [
        'environment',
        'provider',
        'providerRef',
        'checklistSource',
        'previousFingerprint',
        'previousNextRotation',
        'previousLastRotated',
        'previousLifecycle',
      ];
      const olderSource = {
        ...source,
        rotationEvents: (id: number) =>
          source
            .rotationEvents(id)
            .map((event) =>
              event.action === 'rotation.started'
                ? { ...event, details: Object.fromEntries(Object.entries(event.details).filter(([key]) => !older.includes(key))) }
                : event,
            ),
      };
      const record = new RotationRepo(db).get(built.rotation) as RotationRecord;
      expect(checkedRotation(record, source).check).toEqual({ differences: [], uncovered: [] });
      const { check } = checkedRotation(record, olderSource);
      expect(check.differences).toEqual([]);
      // A manual secret has no fingerprint to cover; its checklist source is in no older event.
      expect(record.rotation.previousFingerprint).toBeNull();
      expect(check.uncovered).toEqual([`rotation #${built.rotation}: checklist source`]);
      const moved = checkedRotation({ ...record, rotation: { ...record.rotation, previousNextRotation: '2099-01-01' } }, olderSource);
      expect(moved.check.differences.map(describeDifference)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^rotation #${built.rotation}, due date it was rotated against: the tables say “2099-01-01”; the audit chain \\(event #\\d+\\) says “`,
          ),
        ),
      ]);
    } finally {
      db.close();
    }
  });

  it('the report prints the chain’s side: the ticket, the approvers, the completion in the period and the due date it was rotated against', async () => {
    const path = edited((db, b) => {
      db.prepare(`UPDATE rotations SET ticket = 'SEC-999', completed_at = ?, previous_next_rotation = '2099-01-01' WHERE id = ?`).run(
        shifted(at(db, 'rotations', 'completed_at', 'id = ?', b.rotation), -30),
        b.rotation,
      );
      db.prepare(`UPDATE rotation_approvals SET decided_by = 'U0MALLORY' WHERE rotation_id = ? AND role = 'security_lead'`).run(b.rotation);
    });
    const clean = JSON.parse(
      (await cli(pristine, 'report', 'rotations', '--since', built.since, '--until', built.until, '--json')).stdout,
    ) as { secrets: { rotations: unknown[] }[] };
    const json = JSON.parse((await cli(path, 'report', 'rotations', '--since', built.since, '--until', built.until, '--json')).stdout) as {
      secrets: { rotations: unknown[] }[];
      chainCheck: { differences: unknown[] };
    };
    expect(json.secrets.map((secret) => secret.rotations)).toEqual(clean.secrets.map((secret) => secret.rotations));
    expect(json.chainCheck.differences.length).toBeGreaterThanOrEqual(4);
  });
});
