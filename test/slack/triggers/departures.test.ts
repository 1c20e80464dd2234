import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { slackActor } from '../../../src/access/actor.js';
import { isoInstant } from '../../../src/core/clock.js';
import { toUtcDate } from '../../../src/inventory/schedule.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import type { RecordedCall } from '../../fakes/fake-slack-api.js';
import { operator } from '../../support/actors.js';
import { runRotor } from '../../support/cli.js';
import { sideRuntime, startRotation } from '../../support/rotations.js';
import { startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/** The leaver is also the only DevOps lead, whom prod rotations need (approvals default: security and DevOps leads). */
const POLICY = `
environments: [prod, staging, dev]
channels:
  incident: [C0INCIDENT]
  security: C0SECURITY
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0LEAVER]
  responders: [U0SEC]
  team_leads: { payments: U0PAYLEAD }
`;

const TABLES = ['secrets', 'audit_events', 'rotation_needs', 'follow_ups', 'personnel_changes'];
const OWNED_WITH_BACKUP = 'prod/app/db';
const OWNED_ALONE = 'staging/payments/api_key';
const READABLE = ['prod/app/cache', 'prod/billing/token', 'dev/tools/key'];

/** Slack's user_change event, as it is delivered: the member's whole profile, `deleted` set when deactivated. */
function userChange(harness: SlackHarness, userId: string, deleted: boolean) {
  return {
    token: 'legacy',
    team_id: harness.payloads.teamId,
    api_app_id: harness.payloads.appId ?? 'A0ROTOR',
    type: 'event_callback',
    event_id: 'Ev' + randomBytes(5).toString('hex').toUpperCase(),
    event_time: Math.floor(harness.store.clock.now().toSeconds()),
    event: {
      type: 'user_change',
      user: { id: userId, team_id: harness.payloads.teamId, name: 'leaver', deleted, is_bot: false, profile: { real_name: 'Lee Vaver' } },
      cache_ts: 1,
      event_ts: `${Math.floor(harness.store.clock.now().toSeconds())}.000100`,
    },
  };
}

/** Issue 23, item 1: a member deactivated in Slack, over signed event requests and the fake Web API. */
describe('a person leaves: user_change with deleted', () => {
  let harness: SlackHarness;
  beforeEach(async () => {
    harness = await startSlackHarness({
      policy: POLICY,
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0LEAVER', 'U0BACKUP', 'U0OWNER', 'U0OTHER', 'U0PAYLEAD', 'U0SEC', 'U0ADMIN', 'U0NOBODY'])
          fake.addUser(user, 'UTC');
        const lastRotated = toUtcDate(store.clock.now().minus({ days: 10 }));
        const add = (name: string, fields: Record<string, unknown>) =>
          store.inventoryService.create({ name, type: 'generic', lastRotated, intervalDays: 90, ...fields }, operator(), 'test');
        add(OWNED_WITH_BACKUP, { owner: 'U0LEAVER', backupOwner: 'U0BACKUP' });
        add(OWNED_ALONE, { owner: 'U0LEAVER', team: 'payments' });
        add(READABLE[0] as string, { owner: 'U0OWNER', access: ['U0LEAVER', 'S0OPS'] });
        add(READABLE[1] as string, { owner: 'U0OWNER', backupOwner: 'U0LEAVER' });
        add(READABLE[2] as string, { owner: 'U0OTHER', access: ['U0LEAVER'] });
        add('prod/unrelated/key', { owner: 'U0OTHER' });
      },
    });
  });
  afterEach(async () => harness.close());

  const deactivate = (userId: string) =>
    harness.untilHandled(() => harness.post({ kind: 'json', json: userChange(harness, userId, true) }));
  const digests = () => harness.fake.callsTo('chat.postMessage').filter((call) => String(call.args.text).includes('has left'));

  it('marks the 5 secrets, tells each owner once and security once, moves ownership, hands over the open rotation; a second event changes nothing', async () => {
    // The leaver holds an open rotation of the secret they own alone.
    await startRotation(harness.store, slackActor('U0LEAVER'), OWNED_ALONE);
    const now = harness.store.clock.now();
    const reply = await deactivate('U0LEAVER');
    expect(reply.status).toBe(200);

    const needs = harness.store.rotationNeeds.open('personnel_change');
    expect(needs.map((need) => need.secretName).sort()).toEqual([OWNED_WITH_BACKUP, OWNED_ALONE, ...READABLE].sort());
    for (const need of needs) expect(need).toMatchObject({ person: 'U0LEAVER', dueAt: isoInstant(now.plus({ days: 7 })) });

    // Ownership: to the backup owner; no backup, offered to the team lead; the leaver no longer backs anything up.
    expect(harness.store.inventory.get(OWNED_WITH_BACKUP)).toMatchObject({ owner: 'U0BACKUP', backupOwner: null });
    expect(harness.store.inventory.get(READABLE[1] as string)).toMatchObject({ owner: 'U0OWNER', backupOwner: null });

    // One digest per person asked, with Start rotation; one summary to security.
    await harness.fake.waitForCall('chat.postMessage', () => digests().length >= 5);
    const byChannel = new Map<string, RecordedCall[]>();
    for (const call of digests()) byChannel.set(String(call.args.channel), [...(byChannel.get(String(call.args.channel)) ?? []), call]);
    expect([...byChannel.keys()].sort()).toEqual(['C0SECURITY', 'U0BACKUP', 'U0OTHER', 'U0OWNER', 'U0PAYLEAD']);
    for (const calls of byChannel.values()) expect(calls).toHaveLength(1);
    const owner = JSON.stringify(byChannel.get('U0OWNER')?.[0]?.args.blocks);
    expect(owner).toContain(ACTION_IDS.rotationOpen);
    expect(owner).toContain(READABLE[0]);
    expect(owner).toContain(READABLE[1]);
    const lead = JSON.stringify(byChannel.get('U0PAYLEAD')?.[0]?.args.blocks);
    expect(lead).toContain(`/secrets owner ${OWNED_ALONE} @you`);
    expect(lead).toContain('press *Take over*');
    const summary = JSON.stringify(byChannel.get('C0SECURITY')?.[0]?.args.blocks);
    expect(summary).toContain('5 secrets they owned, backed up or could read are marked *rotation needed (personnel change)*');
    expect(summary).toContain(`\`${OWNED_WITH_BACKUP}\` → <@U0BACKUP>`);
    expect(summary).toContain('only DevOps lead');
    expect(summary).toContain('`roles.devops_leads`');

    const event = harness.store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'personnel.departed'`).get() as {
      actor: string;
      details: string;
    };
    expect(JSON.parse(event.details)).toMatchObject({
      user: 'U0LEAVER',
      source: 'event',
      handedOver: [{ secret: OWNED_WITH_BACKUP, to: 'U0BACKUP' }],
      offered: [{ secret: OWNED_ALONE, to: 'U0PAYLEAD' }],
    });
    expect(harness.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'rotation_need.opened'`).pluck().get()).toBe(5);

    // The same deactivation delivered again (a retry, another event): nothing changes, nobody is told again.
    await harness.runtime.runJob('follow-up-sweep');
    await vi.waitFor(() =>
      expect(
        harness.store.db.prepare(`SELECT count(*) FROM follow_ups WHERE topic = 'departure:1' AND state <> 'done'`).pluck().get(),
      ).toBe(0),
    );
    const before = snapshotTables(harness.store, TABLES);
    const posts = harness.fake.callsTo('chat.postMessage').length;
    await deactivate('U0LEAVER');
    expect(snapshotTables(harness.store, TABLES)).toEqual(before);
    await harness.runtime.runJob('follow-up-sweep');
    expect(harness.fake.callsTo('chat.postMessage')).toHaveLength(posts);
  });

  it('a deactivation of someone who owns, backs up and can read nothing changes nothing', async () => {
    const before = snapshotTables(harness.store, TABLES);
    const reply = await deactivate('U0NOBODY');
    expect(reply.status).toBe(200);
    expect(snapshotTables(harness.store, TABLES)).toEqual(before);
    const logged = await harness.waitForLog((line) => line.outcome === 'nothing_to_do');
    expect(String(logged.msg)).toContain('U0NOBODY left, but owned, backed up and could read no secret');
  });

  it('a rotation of a marked secret, completed, carries reason personnel_change into its evidence and rotor report rotations, and meets the need', async () => {
    await deactivate('U0LEAVER');
    const name = READABLE[2] as string;
    const owner = slackActor('U0OTHER');
    const runtime = sideRuntime(harness.store);
    const started = await runtime.rotation.start(owner, name, { ticket: 'SEC-23' });
    expect(started.rotation.reason).toBe('personnel_change');
    for (;;) {
      const record = runtime.rotation.get(started.rotation.id);
      const step = record.steps.find((candidate) => candidate.state === 'pending');
      if (!step) break;
      harness.store.clock.advance({ minutes: 5 });
      runtime.rotation.tickStep(owner, started.rotation.id, step.id, {
        expectedVersion: record.rotation.version,
        note: `done: ${step.id}`,
      });
    }
    harness.store.clock.advance({ minutes: 5 });
    runtime.rotation.complete(owner, started.rotation.id, runtime.rotation.get(started.rotation.id).rotation.version);
    // Completing it settled the need it met (audited), and only that one.
    expect(harness.store.rotationNeeds.open('personnel_change').map((need) => need.secretName)).not.toContain(name);
    expect(harness.store.rotationNeeds.open('personnel_change')).toHaveLength(4);
    expect(harness.store.db.prepare(`SELECT secret FROM audit_events WHERE action = 'rotation_need.resolved'`).pluck().all()).toEqual([
      name,
    ]);

    const cli = (...argv: string[]) => runRotor(['--db', harness.store.path, '--config', join(harness.store.dir, 'policy.yml'), ...argv]);
    const evidence = await cli('rotations', 'evidence', String(started.rotation.id));
    expect(evidence.code).toBe(0);
    expect(evidence.stdout).toContain('| Reason | personnel_change (personnel change) |');
    const today = toUtcDate(harness.store.clock.now());
    const report = await cli('report', 'rotations', '--since', toUtcDate(harness.store.clock.now().minus({ days: 1 })), '--until', today);
    expect(report.stdout).toContain(`Rotor #${started.rotation.id} (personnel change)`);
    const csv = await cli(
      'report',
      'rotations',
      '--since',
      toUtcDate(harness.store.clock.now().minus({ days: 1 })),
      '--until',
      today,
      '--format',
      'csv',
    );
    expect(csv.stdout.split('\n')[0]).toMatch(/,reason$/);
    expect(csv.stdout).toMatch(new RegExp(`${name.replace(/\//g, '\\/')},.*,personnel_change\\s*$`, 'm'));
  });

  it("someone removed from the policy's roles (read at start-up) is a personnel change: what they could read is marked, owners and security told, once", async () => {
    writeFileSync(join(harness.store.dir, 'policy.yml'), POLICY.replace('devops_leads: [U0LEAVER]', 'devops_leads: [U0OPS]'));
    await harness.restart();
    const needs = harness.store.rotationNeeds.open('personnel_change');
    expect(needs.map((need) => need.secretName).sort()).toEqual([OWNED_WITH_BACKUP, OWNED_ALONE, ...READABLE].sort());
    expect(needs[0]?.detail).toContain('removed from roles.devops_leads in the policy');
    // Still here: ownership stays.
    expect(harness.store.inventory.get(OWNED_WITH_BACKUP)).toMatchObject({ owner: 'U0LEAVER', backupOwner: 'U0BACKUP' });
    const event = harness.store.db.prepare(`SELECT details FROM audit_events WHERE action = 'personnel.removed_from_roles'`).get() as {
      details: string;
    };
    expect(JSON.parse(event.details)).toMatchObject({ user: 'U0LEAVER', roles: ['devops_leads'] });
    const summary = await harness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === 'C0SECURITY' && String(call.args.text).includes('changed role'),
    );
    expect(JSON.stringify(summary.args.blocks)).toContain('was removed from roles.devops_leads in the policy');
    await harness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === 'U0OWNER' && String(call.args.text).includes('changed role'),
    );

    await vi.waitFor(() =>
      expect(
        harness.store.db.prepare(`SELECT count(*) FROM follow_ups WHERE kind LIKE 'departure.%' AND state <> 'done'`).pluck().get(),
      ).toBe(0),
    );
    const before = snapshotTables(harness.store, TABLES);
    await harness.restart();
    expect(snapshotTables(harness.store, TABLES).rotation_needs).toEqual(before.rotation_needs);
    expect(harness.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'personnel.removed_from_roles'`).pluck().get()).toBe(
      1,
    );
  });
});

/** Without a security channel the security leads are told one by one: a user group among them reaches its members, never the group's id. */
describe('a person leaves, and the security leads are a user group', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  it('the summary goes to each member of the group, by DM', async () => {
    const h = (harness = await startSlackHarness({
      policy: `
environments: [prod, staging, dev]
roles:
  admins: [U0ADMIN]
  security_leads: [S0SECURITY]
`,
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0LEAVER', 'U0SECA', 'U0SECB', 'U0OWNER', 'U0ADMIN']) fake.addUser(user, 'UTC');
        fake.script('usergroups.list', { body: { ok: true, usergroups: [{ id: 'S0SECURITY', users: ['U0SECA', 'U0SECB'] }] } });
        const lastRotated = toUtcDate(store.clock.now().minus({ days: 10 }));
        store.inventoryService.create(
          { name: OWNED_WITH_BACKUP, type: 'generic', owner: 'U0LEAVER', backupOwner: 'U0OWNER', lastRotated, intervalDays: 90 },
          operator(),
          'test',
        );
      },
    }));
    await h.untilHandled(() => h.post({ kind: 'json', json: userChange(h, 'U0LEAVER', true) }));
    for (const lead of ['U0SECA', 'U0SECB'])
      await h.fake.waitForCall('chat.postMessage', (call) => call.args.channel === lead && String(call.args.text).includes('has left'));
    const told = h.fake
      .callsTo('chat.postMessage')
      .filter((call) => String(call.args.text).includes('has left'))
      .map((call) => String(call.args.channel));
    expect(told).not.toContain('S0SECURITY');
  });
});
