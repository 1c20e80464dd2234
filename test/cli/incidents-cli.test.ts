import { CreateSecretCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { parsePolicy } from '../../src/config/policy.js';
import { createLogger } from '../../src/logging/logger.js';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import type { IncidentRecord } from '../../src/revocation/incident.js';
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
  incident: [C0INCIDENT]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  responders: [U0RESP]
  team_leads: { payments: U0LEAD }
retention_hours: 48
`;
const INCIDENT_CHANNEL = 'C0INCIDENT';
const RESPONDER = slackActor('U0RESP');
const INCIDENT_TABLES = [
  'secrets',
  'audit_events',
  'audit_head',
  'incidents',
  'incident_events',
  'incident_pages',
  'rotations',
  'rotation_steps',
  'follow_ups',
];
const POSTMORTEM = 'https://wiki.example/postmortems/stripe-leak';

interface Harness {
  store: TempStore;
  runtime: Runtime;
  cli(...argv: string[]): Promise<CliResult>;
}

/**
 * A temp store whose clock stands a few hours before the real now (the CLI closes incidents at
 * the real time), the runtime over it, and the real CLI over the same file with the same policy.
 */
function harness(providers: { aws?: AwsSecretsManagerProvider; vault?: VaultKv2Provider } = {}): Harness {
  const store = openTempStore({ at: DateTime.utc().minus({ hours: 6 }).toISO(), policy: parsePolicy(POLICY_YAML) });
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
  return { store, runtime, cli: (...argv) => runRotor(['--db', store.path, '--config', config, ...argv]) };
}

/** `/revoke` confirmed in the incident channel, as the Slack layer calls it. */
function revoke(
  h: Harness,
  name: string,
  options: { order?: 'replace_then_disable' | 'disable_now'; destroy?: boolean } = {},
): Promise<IncidentRecord> {
  return h.runtime.revocation.open(slackActor('U0RESP', INCIDENT_CHANNEL), name, 'leaked in a public gist', {
    confirmName: name,
    severity: 'SEV2',
    ticket: null,
    order: options.order ?? 'replace_then_disable',
    destroy: options.destroy ?? false,
  });
}

/**
 * With *disable now*, the disable step runs as the revocation opens, from `open` itself or from
 * the follow-up that backs it up after a crash, whichever gets there first: wait for it to settle.
 */
async function disabledAtOnce({ runtime }: Harness, record: IncidentRecord): Promise<void> {
  await vi.waitFor(() => {
    const rotationId = runtime.revocation.get(record.incident.id).incident.rotationId;
    const step = rotationId
      ? runtime.rotation.get(rotationId).steps.find((candidate) => candidate.id === 'disable_compromised')
      : undefined;
    expect(step?.state).toBe('done');
  });
}

/** Ticks or runs every pending step of the emergency rotation, five minutes apart, then completes it. */
async function finishRotation({ runtime, store }: Harness, id: number, options: { stopAt?: string } = {}): Promise<void> {
  for (;;) {
    const record = runtime.rotation.get(id);
    const step = record.steps.find((candidate) => candidate.state === 'pending');
    if (step && step.id === options.stopAt) return;
    store.clock.advance({ minutes: 5 });
    if (!step) break;
    if (step.action === null)
      runtime.rotation.tickStep(RESPONDER, id, step.id, { expectedVersion: record.rotation.version, note: `done: ${step.id}` });
    else {
      const { error } = await runtime.rotation.runStep(RESPONDER, id, step.id, { expectedVersion: record.rotation.version });
      if (error) throw error;
    }
  }
  runtime.rotation.complete(RESPONDER, id, runtime.rotation.get(id).rotation.version);
}

/** The rows of the Markdown table that follows `heading`, as cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('| ') || line.startsWith('|---')) continue;
    rows.push(line.slice(2, -2).split(' | '));
  }
  return rows.slice(1);
}

/** The text between `heading` and the next heading. */
function sectionAfter(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,3} /);
  return end === -1 ? rest : rest.slice(0, end);
}

function auditEvents(store: TempStore): AuditEvent[] {
  return (
    store.db.prepare('SELECT seq, at, actor, action, secret, details, hash FROM audit_events ORDER BY seq').all() as (Omit<
      AuditEvent,
      'details'
    > & { details: string })[]
  ).map((row) => ({
    ...row,
    details: JSON.parse(row.details) as Record<string, unknown>,
  })) as AuditEvent[];
}

describe('rotor incidents over a revoked manual secret', () => {
  let h: Harness;
  const name = 'prod/payments/stripe_key';

  beforeEach(() => {
    h = harness();
    h.store.inventoryService.create(
      { name, type: 'api_key', owner: 'U0OWNER', backupOwner: 'U0BACK', team: 'payments', provider: 'manual', intervalDays: 90 },
      operator(),
      'test',
    );
  });
  afterEach(() => {
    h.runtime.close();
    h.store.close();
  });

  /**
   * An incident worked to the end of its emergency rotation: nobody acknowledges within 15
   * minutes, so the team lead is paged and acknowledges; a status update, every step, the sign-off.
   */
  async function workedIncident(): Promise<number> {
    const { incident } = await revoke(h, name);
    h.store.clock.advance({ minutes: 16 });
    await h.runtime.followUps.service.sweep();
    h.store.clock.advance({ minutes: 4 });
    h.runtime.revocation.acknowledge(slackActor('U0LEAD'), incident.id);
    h.store.clock.advance({ minutes: 2 });
    h.runtime.revocation.recordStatusUpdate(RESPONDER, incident.id, 'New key minted at Stripe; deploying.');
    await finishRotation(h, incident.rotationId as number);
    h.store.clock.advance({ minutes: 10 });
    h.runtime.revocation.signOff(slackActor('U0SEC'), incident.id);
    await h.runtime.followUps.service.sweep();
    return incident.id;
  }

  it('lists and shows an incident while open, closes it with the postmortem link, and prints its evidence record', async () => {
    const id = await workedIncident();
    const opened = h.runtime.revocation.get(id);

    const list = await h.cli('incidents', 'list');
    expect(list).toMatchObject({ code: 0, stderr: '' });
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +SECRET +SEV +STATE +LEAD +OPENED +ACKNOWLEDGED +EMERGENCY ROTATION +POSTMORTEM$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^#${id} +${name} +SEV2 +open +U0RESP +${opened.incident.openedAt.slice(0, 10)} \\S+ +U0LEAD after 20 min +#${opened.incident.rotationId} completed +-$`,
        ),
      ),
    ]);
    expect((await h.cli('incidents', 'list', '--open')).stdout).toBe(list.stdout);
    expect(JSON.parse((await h.cli('incidents', 'list', '--json')).stdout)).toEqual([
      expect.objectContaining({
        id,
        secret: name,
        severity: 'SEV2',
        state: 'open',
        responder: 'U0RESP',
        channel: INCIDENT_CHANNEL,
        acknowledgedBy: 'U0LEAD',
        rotation: { id: opened.incident.rotationId, state: 'completed' },
        postmortemUrl: null,
      }),
    ]);

    const shown = await h.cli('incidents', 'show', String(id));
    expect(shown.code).toBe(0);
    expect((await h.cli('incidents', 'show', `#${id}`)).stdout).toBe(shown.stdout);
    expect(shown.stdout).toContain(`Incident #${id} of ${name}: SEV2, open`);
    expect(shown.stdout).toContain('reason              leaked in a public gist');
    expect(shown.stdout).toContain(`emergency rotation  #${opened.incident.rotationId} completed at`);
    expect(shown.stdout).toContain(`closed              no: close it with \`rotor incidents close ${id} --postmortem URL\``);
    expect(shown.stdout).toMatch(
      /pages\n {2}U0BACK +backup owner +paged \S+\n {2}U0OWNER +owner +paged \S+\n {2}U0SEC +security +paged \S+\n {2}U0LEAD +team lead +paged \S+, acknowledged \S+\n/,
    );
    for (const event of opened.events) expect(shown.stdout).toContain(`  ${event.at}  ${event.actor.padEnd(12)} ${event.summary}`);
    const json = JSON.parse((await h.cli('incidents', 'show', String(id), '--json')).stdout) as {
      incident: { state: string };
      events: unknown[];
      pages: unknown[];
      rotation: { state: string };
    };
    expect(json).toMatchObject({ id, state: 'open', incident: { state: 'open' }, rotation: { state: 'completed' } });
    expect(json.events).toHaveLength(opened.events.length);
    expect(json.pages).toHaveLength(4);

    // The bot posted the status message (this runtime has no Slack): the CLI's close is drawn on it.
    h.runtime.revocation.statusMessagePosted(id, '1700000000.000100', null);
    const closed = await h.cli('incidents', 'close', String(id), '--postmortem', POSTMORTEM);
    expect(closed).toMatchObject({ code: 0, stderr: '' });
    expect(closed.stdout).toContain(`Closed incident #${id} of ${name}; postmortem: ${POSTMORTEM}.`);
    const after = h.runtime.revocation.get(id).incident;
    expect(after).toMatchObject({ state: 'closed', postmortemUrl: POSTMORTEM, closedBy: expect.stringMatching(/^cli:/) });
    // The bot's status message is redrawn from the follow-ups the close left for it.
    const waiting = h.store.db
      .prepare(`SELECT kind FROM follow_ups WHERE topic = ? AND state = 'pending' ORDER BY kind`)
      .pluck()
      .all(`incident:${id}`) as string[];
    expect(waiting).toEqual(expect.arrayContaining(['incident.status_refresh', 'incident.thread_event']));
    expect((await h.cli('incidents', 'list', '--open')).stdout).toBe('No incidents.\n');
    expect((await h.cli('incidents', 'list')).stdout).toMatch(
      new RegExp(`#${id} +${name} +SEV2 +closed .* ${POSTMORTEM.replace(/[.]/g, '\\.')}\\n$`),
    );

    const before = snapshotTables(h.store, INCIDENT_TABLES);
    const result = await h.cli('incidents', 'evidence', String(id));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const md = result.stdout;
    const record = h.runtime.revocation.get(id);
    const rotation = h.runtime.rotation.get(record.incident.rotationId as number);
    const events = auditEvents(h.store);
    const seqOf = (action: string) => events.find((event) => event.action === action && event.details.incident === id)?.seq;

    expect(md).toMatch(new RegExp(`^# Incident evidence: \`${name}\`, incident #${id}\n`));
    const facts = Object.fromEntries(tableAfter(md, '## Incident').map(([field, value]) => [field, value]));
    expect(facts).toMatchObject({
      Secret: `\`${name}\``,
      Provider: 'manual',
      Severity: 'SEV2',
      Reason: 'leaked in a public gist',
      'Incident ticket': 'none',
      'Incident channel': INCIDENT_CHANNEL,
      'Responder (leads it)': 'U0RESP',
      Opened: `${record.incident.openedAt} (audit #${seqOf('incident.opened')})`,
      'Order of disabling': expect.stringMatching(
        /^replace, then disable: the compromised version stays current until its replacement is promoted/,
      ),
      Destroy: 'not applicable (Vault or Google Secret Manager only)',
      'Compromised version': 'none recorded (rotated by hand at its issuer: the store holds no version id)',
      'Emergency rotation': expect.stringMatching(
        new RegExp(`^#${rotation.rotation.id}, completed at ${rotation.rotation.completedAt} \\(\\d+ min after the revocation\\)$`),
      ),
      State: `closed at ${record.incident.closedAt} by ${record.incident.closedBy}`,
    });
    const disable = rotation.steps.find((step) => step.id === 'disable_compromised');
    expect(facts['Disabled in the store']).toMatch(new RegExp(`^done by U0RESP at ${disable?.doneAt}`));
    expect(facts['Revoked at its issuer']).toMatch(/^done by U0RESP at /);

    // Every timeline event, in order, with who and when, and the audit event that records it.
    const timeline = tableAfter(md, '## Timeline');
    expect(timeline.map(([, at, who, what]) => [at, who, what])).toEqual(
      record.events.map((event) => [event.at, event.actor, event.summary]),
    );
    const kinds = record.events.map((event) => event.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'opened',
        'compromised',
        'paged',
        'escalated',
        'rotation_started',
        'acknowledged',
        'status_update',
        'disabled',
        'rotation_completed',
        'signed_off',
        'closed',
      ]),
    );
    const bySeq = new Map(events.map((event) => [event.seq, event]));
    const expectedAction: Record<string, string> = {
      opened: 'incident.opened',
      compromised: 'secret.lifecycle_changed',
      escalated: 'incident.escalated',
      rotation_started: 'rotation.started',
      acknowledged: 'incident.acknowledged',
      status_update: 'incident.status_update',
      step_done: 'rotation.step_done',
      disabled: 'rotation.step_done',
      rotation_completed: 'rotation.completed',
      signed_off: 'incident.signed_off',
      closed: 'incident.closed',
    };
    for (const [index, event] of record.events.entries()) {
      const cited = bySeq.get(Number(timeline[index]?.[4]));
      if (event.kind !== 'paged') expect(cited?.action, `${event.kind}: ${event.summary}`).toBe(expectedAction[event.kind]);
      if (event.kind === 'step_done' || event.kind === 'disabled') expect(cited?.details.step).toBe(event.details.step);
      if (event.kind === 'paged') {
        expect(cited?.action).toBe(event.details.level === 'team_lead' ? 'incident.escalated' : 'incident.opened');
        expect(cited?.details.paged).toContain((event.details.people as string[])[0]);
      }
    }
    expect(new Set(timeline.filter((row) => row[4] !== '–').map((row) => row[4])).size).toBe(
      timeline.filter((row) => !row[3]?.startsWith('Paged ')).length,
    );

    expect(sectionAfter(md, '## Provider actions')).toContain('None: the secret is rotated by hand at its issuer');
    expect(tableAfter(md, '## Pages and acknowledgements')).toEqual(
      record.pages.map((page) => [page.userId, page.level.replace('_', ' '), page.pagedAt, page.acknowledgedAt ?? '–']),
    );
    expect(md).toContain(
      `- U0LEAD acknowledged at ${record.incident.acknowledgedAt}, 20 min after the revocation (paged as team lead) (audit #${seqOf('incident.acknowledged')}).`,
    );
    expect(md).toContain(
      `U0SEC signed off the break-glass rotation at ${record.incident.signedOffAt} (audit #${seqOf('incident.signed_off')}); the glass was broken by U0RESP.`,
    );
    const postmortem = sectionAfter(md, '## Postmortem');
    expect(postmortem).toContain(`Closed at ${record.incident.closedAt} by ${record.incident.closedBy}`);
    expect(postmortem).toContain(`(audit #${seqOf('incident.closed')})`);
    expect(postmortem).toContain(`Postmortem: ${POSTMORTEM}`);

    // The audit rows cited are the log's own, every event naming the incident or its rotation among them.
    const trail = tableAfter(md, '## Audit trail');
    for (const [seq, at, actor, action, , hash] of trail) {
      const stored = bySeq.get(Number(seq));
      expect([at, actor, action, hash]).toEqual([stored?.at, stored?.actor, `\`${stored?.action}\``, `\`${stored?.hash}\``]);
    }
    const cited = events
      .filter((event) => event.details.incident === id || event.details.rotation === rotation.rotation.id)
      .map((event) => String(event.seq));
    expect(trail.map((row) => row[0])).toEqual(cited);
    const head = h.store.db.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
    expect(sectionAfter(md, '## Audit trail')).toContain(
      `Chain head at export: seq ${head.seq}, hash \`${head.hash}\`.\nThe whole chain verified at export`,
    );

    // The emergency rotation's own evidence, one heading level down.
    expect(md).toContain(`\n## Rotation evidence: \`${name}\`, rotation #${rotation.rotation.id}\n`);
    expect(md).toMatch(/\n### Steps\n/);
    expect(tableAfter(md, '### Steps')).toHaveLength(rotation.steps.length);
    expect(md).toContain(`| Kind | emergency, break-glass by U0RESP: leaked in a public gist (incident #${id}) |`);
    expect(md).toContain(`- Previous version: compromised: disabled at ${disable?.doneAt} by U0RESP`);
    expect(md).not.toContain('retention window');

    expect(JSON.parse((await h.cli('incidents', 'evidence', `#${id}`, '--json')).stdout)).toMatchObject({
      record: { incident: { id, state: 'closed' } },
      rotation: { record: { rotation: { id: rotation.rotation.id } } },
    });
    expect(snapshotTables(h.store, INCIDENT_TABLES)).toEqual(before);
  });

  it('says why it refuses: unknown or malformed ids, a close without a postmortem link, with a link that is not a URL, or while the emergency rotation is open', async () => {
    const { incident } = await revoke(h, name);
    h.store.clock.advance({ minutes: 3 });
    h.runtime.revocation.acknowledge(slackActor('U0OWNER'), incident.id);
    await finishRotation(h, incident.rotationId as number, { stopAt: 'search_logs' });
    await h.runtime.followUps.service.sweep();
    const before = snapshotTables(h.store, INCIDENT_TABLES);
    const id = String(incident.id);

    for (const command of ['show', 'evidence']) {
      expect(await h.cli('incidents', command, '99'), command).toMatchObject({
        code: 2,
        stdout: '',
        stderr: 'rotor: No incident #99. List them with `rotor incidents list`.\n',
      });
      expect(await h.cli('incidents', command, 'stripe'), command).toMatchObject({
        code: 2,
        stdout: '',
        stderr: expect.stringMatching(/^rotor: `stripe` is not an incident id\.\n {2}incident: give the incident number, e\.g\. 12 or #12/),
      });
    }
    expect(await h.cli('incidents', 'show', '1.5')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('`1.5` is not an incident id.'),
    });
    expect(await h.cli('incidents', 'show', '0')).toMatchObject({ code: 2, stderr: expect.stringContaining('`0` is not an incident id.') });
    expect(await h.cli('incidents', 'close', 'abc', '--postmortem', POSTMORTEM)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('`abc` is not an incident id.'),
    });
    expect(await h.cli('incidents', 'close', '99', '--postmortem', POSTMORTEM)).toMatchObject({
      code: 2,
      stderr: 'rotor: No incident #99.\n',
    });
    expect(await h.cli('incidents', 'close', id)).toMatchObject({
      code: 2,
      stderr: "rotor: required option '--postmortem <url>' not specified\nType `rotor incidents close --help` to see what it accepts.\n",
    });
    expect(await h.cli('incidents', 'show')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("missing required argument 'incident'"),
    });
    expect(await h.cli('incidents', 'close', id, '--postmortem', 'the wiki page')).toMatchObject({
      code: 2,
      stderr:
        'rotor: The postmortem link must be an http:// or https:// URL, such as the postmortem document or ticket.\n  postmortem: must be an http:// or https:// URL, such as the postmortem document or ticket\n',
    });
    expect(await h.cli('incidents', 'close', id, '--postmortem', '')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('The postmortem link is required'),
    });
    expect(await h.cli('incidents', 'close', id, '--postmortem', POSTMORTEM)).toMatchObject({
      code: 2,
      stderr: `rotor: The emergency rotation of ${name} is still open: complete it, or abandon it with a reason (\`/rotate ${name}\`), then close incident #${id}.\n`,
    });
    expect(snapshotTables(h.store, INCIDENT_TABLES)).toEqual(before);

    // The incident still shows what it waits for, and closes once the rotation ends; a second close is refused.
    expect((await h.cli('incidents', 'show', id)).stdout).toContain(
      'closed              no: it closes once the emergency rotation is completed or abandoned',
    );
    await finishRotation(h, incident.rotationId as number);
    // Issue 19 re-probe, group E: the override reason is free text like any other: a key in it, or an invisible character, is refused, never echoed, nothing written.
    const beforeOverride = snapshotTables(h.store, INCIDENT_TABLES);
    const key = [
      'sk',
      'live',
      randomBytes(18)
        .toString('base64')
        .replace(/[^A-Za-z0-9]/g, 'x'),
    ].join('_');
    const leaked = await h.cli('incidents', 'close', id, '--postmortem', POSTMORTEM, '--override', `ok, key was ${key}`);
    expect(leaked).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('The override reason looks like it holds a Stripe secret key.'),
    });
    expect(leaked.stderr + leaked.stdout).not.toContain(key);
    expect(await h.cli('incidents', 'close', id, '--postmortem', POSTMORTEM, '--override', 'checked\u200Bby the DBA')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('invisible formatting characters'),
    });
    expect(snapshotTables(h.store, INCIDENT_TABLES)).toEqual(beforeOverride);
    expect((await h.cli('incidents', 'close', id, '--postmortem', POSTMORTEM)).code).toBe(0);
    const closed = snapshotTables(h.store, INCIDENT_TABLES);
    expect(await h.cli('incidents', 'close', id, '--postmortem', POSTMORTEM)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(new RegExp(`^rotor: Incident #${id} was closed by cli:\\S+ at `)),
    });
    expect(snapshotTables(h.store, INCIDENT_TABLES)).toEqual(closed);
  });

  it('every incident event is in `rotor audit export`, in the verified chain', async () => {
    const id = await workedIncident();
    expect((await h.cli('incidents', 'close', String(id), '--postmortem', POSTMORTEM)).code).toBe(0);
    const exported = (await h.cli('audit', 'export')).stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEvent);
    const ofIncident = exported.filter((event) => event.details.incident === id);
    expect(ofIncident.map((event) => event.action)).toEqual([
      'secret.lifecycle_changed',
      'incident.opened',
      'rotation.started',
      'incident.escalated',
      'incident.acknowledged',
      'incident.status_update',
      'incident.signed_off',
      'incident.closed',
    ]);
    expect(ofIncident.every((event) => event.secret === name)).toBe(true);
    expect(ofIncident.find((event) => event.action === 'incident.closed')?.details).toMatchObject({
      postmortemUrl: POSTMORTEM,
      rotationState: 'completed',
    });
    const rotationId = h.runtime.revocation.get(id).incident.rotationId;
    expect(exported.filter((event) => event.details.rotation === rotationId).map((event) => event.action)).toEqual(
      expect.arrayContaining(['rotation.started', 'rotation.step_done', 'rotation.completed', 'incident.signed_off', 'incident.closed']),
    );
    const csv = parse((await h.cli('audit', 'export', '--format', 'csv')).stdout, { columns: true }) as {
      action: string;
      details: string;
    }[];
    expect(
      csv.filter((row) => row.action.startsWith('incident.')).map((row) => (JSON.parse(row.details) as { incident: number }).incident),
    ).toEqual([id, id, id, id, id, id]);
    expect(JSON.parse((await h.cli('audit', 'verify', '--json')).stdout)).toMatchObject({ intact: true, events: exported.length });
  });
});

describe('rotor incidents evidence: provider actions on a Vault-backed secret', () => {
  const { fake, token } = useFakeVault();
  let h: Harness;
  const name = 'prod/hooks/hmac';

  beforeEach(() => {
    // Vault stamps versions with the wall clock; the harness's clock is derived from the real now too.
    h = harness({ vault: new VaultKv2Provider({ endpoint: fake.address, token, retry: FAST }) });
    fake.putSecret('secret', name, { value: randomBytes(8).toString('hex') });
    h.store.inventoryService.create(
      { name, type: 'webhook', owner: 'U0OWNER', provider: 'vault', providerRef: `secret/${name}`, intervalDays: 30 },
      operator(),
      'test',
    );
  });
  afterEach(() => {
    h.runtime.close();
    h.store.close();
  });

  it('disable now with destroy: the compromised version destroyed first, then the replacement, each with its version id and audit seq', async () => {
    const opened = await revoke(h, name, { order: 'disable_now', destroy: true });
    await disabledAtOnce(h, opened);
    const { incident } = h.runtime.revocation.get(opened.incident.id);
    h.store.clock.advance({ minutes: 2 });
    h.runtime.revocation.acknowledge(slackActor('U0SEC'), incident.id);
    await finishRotation(h, incident.rotationId as number);
    await h.runtime.followUps.service.sweep();
    const { rotation } = h.runtime.rotation.get(incident.rotationId as number);
    const compromised = h.runtime.revocation.get(incident.id).incident.compromisedVersionId as string;
    expect(compromised).toBe(rotation.previousVersionId);

    const md = (await h.cli('incidents', 'evidence', String(incident.id))).stdout;
    const facts = Object.fromEntries(tableAfter(md, '## Incident').map(([field, value]) => [field, value]));
    expect(facts).toMatchObject({
      Provider: 'vault',
      Reference: `\`secret/${name}\``,
      'Order of disabling': expect.stringMatching(/^disable now: /),
      Destroy: "yes: the compromised version's data is destroyed in Vault",
      'Compromised version': expect.stringMatching(new RegExp(`^\`${compromised}\``)),
      'Replacement version': `\`${rotation.newVersionId}\`, current since ${rotation.promotedAt}`,
      State: 'open',
    });
    const provider = auditEvents(h.store).filter((event) => event.action.startsWith('provider.'));
    const rows = tableAfter(md, '## Provider actions');
    expect(rows.map(([seq, , , action, version]) => [seq, action, version])).toEqual(
      provider.map((event) => [
        String(event.seq),
        `\`${event.action}\``,
        `\`${String(event.details.versionId)}\`${event.details.versionId === compromised ? ' (compromised)' : event.details.versionId === rotation.newVersionId ? ' (replacement)' : ''}`,
      ]),
    );
    expect(rows[0]).toEqual([
      expect.any(String),
      expect.any(String),
      'U0RESP',
      '`provider.version_disabled`',
      `\`${compromised}\` (compromised)`,
      'action=destroyed',
    ]);
    expect(rows.map((row) => row[3])).toEqual([
      '`provider.version_disabled`',
      '`provider.version_created`',
      '`provider.version_promoted`',
      '`provider.version_verified`',
    ]);
    expect(md).toContain(
      `- Previous version: compromised: disabled at ${h.runtime.rotation.get(rotation.id).steps.find((step) => step.id === 'disable_compromised')?.doneAt} by U0RESP (destroyed)`,
    );
    expect(sectionAfter(md, '## Postmortem')).toMatch(/^\nNot closed yet\. The postmortem is due by \S+ \(48 h after the revocation\)/);
    expect(sectionAfter(md, '## Sign-off')).toContain('Not signed off: a security lead other than whoever broke the glass (U0RESP)');
  });
});

describe.runIf(shouldRunMotoSuite('the incident evidence CLI suite'))('rotor incidents evidence: disable now at AWS (moto)', () => {
  const moto = useMoto();
  let h: Harness;
  const name = 'prod/app/db';
  let compromised: string;

  beforeEach(async () => {
    h = harness({ aws: new AwsSecretsManagerProvider({ retry: FAST }) });
    compromised = (await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: randomBytes(12).toString('hex') })))
      .VersionId as string;
    h.store.inventoryService.create({ name, type: 'database', owner: 'U0OWNER', provider: 'aws', providerRef: name }, operator(), 'test');
  });
  afterEach(() => {
    h.runtime.close();
    h.store.close();
  });

  it('shows the placeholder AWS needed before the compromised version could lose its labels, in the incident and the rotation evidence', async () => {
    const opened = await revoke(h, name, { order: 'disable_now' });
    await disabledAtOnce(h, opened);
    const { incident } = h.runtime.revocation.get(opened.incident.id);
    const { rotation } = h.runtime.rotation.get(incident.rotationId as number);
    const placeholder = rotation.placeholderVersionId as string;
    expect(placeholder).toMatch(/\S/);
    const versions = (await moto.sdk.send(new ListSecretVersionIdsCommand({ SecretId: name }))).Versions ?? [];
    expect(versions.find((version) => version.VersionId === compromised)?.VersionStages ?? []).toEqual([]);
    h.runtime.revocation.acknowledge(slackActor('U0OWNER'), incident.id);
    await finishRotation(h, rotation.id);
    await h.runtime.followUps.service.sweep();

    const md = (await h.cli('incidents', 'evidence', String(incident.id))).stdout;
    const facts = Object.fromEntries(tableAfter(md, '## Incident').map(([field, value]) => [field, value]));
    expect(facts['Placeholder version']).toBe(
      `\`${placeholder}\` (generated and made current so the compromised version could be disabled first)`,
    );
    const rows = tableAfter(md, '## Provider actions').map(([, , , action, version, details]) => [action, version, details]);
    expect(rows.slice(0, 3)).toEqual([
      ['`provider.version_created`', `\`${placeholder}\` (placeholder)`, expect.stringContaining(`previousVersionId=${compromised}`)],
      ['`provider.version_promoted`', `\`${placeholder}\` (placeholder)`, `previousVersionId=${compromised}`],
      ['`provider.version_disabled`', `\`${compromised}\` (compromised)`, 'action=labels_removed'],
    ]);
    // The rotation's own record proves the placeholder too.
    const rotationTrail = tableAfter(md, '### Audit trail').map((row) => row[3]);
    expect(rotationTrail.filter((action) => action?.startsWith('`provider.'))).toEqual([
      '`provider.version_created`',
      '`provider.version_promoted`',
      '`provider.version_disabled`',
      '`provider.version_created`',
      '`provider.version_promoted`',
      '`provider.version_verified`',
    ]);
  });
});
