import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS, REVOKE_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import {
  clickOnStatus,
  INCIDENT_CHANNEL,
  incidentRecord,
  revokeValues,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  REVOCATION_TABLES,
  shownText,
  slashRevoke,
  statusPosts,
  statusShown,
  statusTsOf,
  submitIncidentForm,
  submitRevoke,
  threadReplies,
} from '../../support/revocation-slack.js';
import {
  clickInMessage,
  dmsTo,
  echoed,
  followUpsSettled,
  modal,
  press,
  rotationRecord,
  startRotationHarness,
  textOf,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { sealedFor } from '../../support/sealed-metadata.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * `/revoke`'s bad input and faults, through Slack: each gets a clear answer where the responder
 * is, and leaves the database as it was (a refusal's audit row aside); a confirmation sent twice
 * opens one incident; Slack refusing to redraw the status message loses nothing.
 */

const SECRET = 'prod/payments/stripe_key';
const PAGED = ['U0OWNER', 'U0BACKUP', 'U0SEC', 'U0SEC2'];

describe('/revoke refusing bad input, and its faults', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function start(): Promise<SlackHarness> {
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) => {
        store.inventoryService.create(
          {
            name: SECRET,
            type: 'api_key',
            owner: 'U0OWNER',
            backupOwner: 'U0BACKUP',
            team: 'payments',
            lastRotated: daysAgo(store.clock, 31),
          },
          operator(),
          'test',
        );
        store.inventoryService.create(
          { name: 'prod/legacy/api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 245) },
          operator(),
          'test',
        );
        store.inventoryService.setLifecycle('prod/legacy/api_key', 'retired', operator());
      },
    });
    return harness;
  }

  /** `/revoke` and the confirmation, accepted: incident #1 is open and its follow-ups are done. */
  async function revoke(h: SlackHarness): Promise<void> {
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    expect(await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: SECRET })).toMatchObject({ response_action: 'update' });
    await followUpsSettled(h);
  }

  it('no reason, an unknown secret, a retired one: a clear reply, no modal, nothing written', async () => {
    const h = await start();
    const before = snapshotTables(h.store, REVOCATION_TABLES);
    const cases: [string, RegExp][] = [
      [SECRET, /Give a reason after the name, like `\/revoke prod\/payments\/stripe_key leaked in a public gist`/],
      [`\`${SECRET}\``, /Give a reason after the name/],
      ['prod/payments/stripe_kye leaked', /Did you mean: prod\/payments\/stripe_key/],
      ['prod/legacy/api_key leaked', /prod\/legacy\/api_key is retired/],
      ['', /Say which secret and why/],
    ];
    for (const [text, expected] of cases) {
      const { viewId, reply } = await slashRevoke(h, 'U0ONCALL', text);
      expect(viewId, text).toBeNull();
      expect(reply, text).toMatchObject({ response_type: 'ephemeral' });
      expect(String(reply?.text), text).toMatch(expected);
    }
    expect(h.fake.callsTo('views.open')).toEqual([]);
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);
  });

  it('a secret already under an open incident: that incident, with a link to its status message; nothing opens', async () => {
    const h = await start();
    await revoke(h);
    const ts = statusTsOf(h);
    const before = snapshotTables(h.store, REVOCATION_TABLES);
    const opens = h.fake.callsTo('views.open').length;
    h.store.clock.advance({ minutes: 3 });
    const { viewId, reply } = await slashRevoke(h, 'U0SEC', `${SECRET} seen again on a paste site`);
    expect(viewId).toBeNull();
    expect(reply).toMatchObject({ response_type: 'ephemeral' });
    const shown = JSON.stringify(reply?.blocks);
    expect(shown).toContain('is already under *incident #1* (SEV1), led by <@U0ONCALL>');
    expect(shown).toContain('not acknowledged yet. Nothing new was opened');
    expect(shown).toContain(`<https://rotor-test.slack.com/archives/${INCIDENT_CHANNEL}/p${ts.replace('.', '')}|its status message>`);
    expect(h.fake.callsTo('views.open')).toHaveLength(opens);
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);
  });

  it('a tampered confirmation: unreadable metadata, another channel, another secret; refused on the form, nothing written', async () => {
    const h = await start();
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    const view = modal(h, viewId as string);
    const submitWith = async (privateMetadata: string) => {
      const reply = await h.untilHandled(() =>
        h.submit({
          userId: 'U0ONCALL',
          view: echoed(h, viewId as string, { ...view, private_metadata: privateMetadata }, revokeValues({ confirm: SECRET })),
        }),
      );
      return reply.json() as { response_action: string; errors: Record<string, string> };
    };
    const before = snapshotTables(h.store, REVOCATION_TABLES);

    const unreadable = await submitWith('{"secret":');
    expect(unreadable).toEqual({
      response_action: 'errors',
      errors: { [REVOKE_BLOCKS.confirm]: expect.stringContaining('This confirmation lost track of what it revokes; nothing was revoked.') },
    });
    // Forgeries sealed with the signing secret (metadata is sealed: see view-metadata-seal.ts) are still checked in full.
    const forged = (metadata: Record<string, string>) => sealedFor(h, CALLBACK_IDS.revokeConfirm, JSON.stringify(metadata));
    const badChannel = await submitWith(forged({ secret: SECRET, channel: 'not a channel' }));
    expect(badChannel.errors[REVOKE_BLOCKS.confirm]).toContain('lost track of what it revokes');
    const otherSecret = await submitWith(forged({ secret: 'prod/legacy/api_key', channel: INCIDENT_CHANNEL }));
    expect(otherSecret.errors[REVOKE_BLOCKS.confirm]).toContain('retired');
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);

    // Moved to a channel that is not an incident channel: the refusal, audited, and nothing else.
    const elsewhere = await submitWith(forged({ secret: SECRET, channel: 'C0GENERAL' }));
    expect(elsewhere.errors[REVOKE_BLOCKS.confirm]).toContain('only allowed in an incident channel');
    const after = snapshotTables(h.store, REVOCATION_TABLES);
    expect({ ...after, audit_events: before.audit_events }).toEqual(before);
    expect((after.audit_events as { action: string }[]).slice(before.audit_events!.length).map((event) => event.action)).toEqual([
      'access.denied',
    ]);
    expect(h.store.db.prepare('SELECT count(*) FROM incidents').pluck().get()).toBe(0);
  });

  it('a confirmation sent twice at once, and replayed later: one incident, one rotation, one status message, each person paged once', async () => {
    const h = await start();
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    const view = modal(h, viewId as string);
    const submission = () => h.submit({ userId: 'U0ONCALL', view: echoed(h, viewId as string, view, revokeValues({ confirm: SECRET })) });
    await h.untilHandled(() => Promise.all([submission(), submission()]), 2);
    await followUpsSettled(h);
    h.store.clock.advance({ minutes: 2 });
    const replayed = await h.untilHandled(() => submission());
    expect(replayed.json()).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(replayed.json())).toContain('is already under *incident #1* (SEV1, led by <@U0ONCALL>); nothing new was opened.');
    // The safety net that starts the emergency rotation after a crash finds it started: nothing more.
    await h.runtime.runJob('follow-up-sweep');
    await followUpsSettled(h);

    const count = (table: string) => h.store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
    expect(count('incidents')).toBe(1);
    expect(count('rotations')).toBe(1);
    expect(h.store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'incident.opened'`).pluck().get()).toBe(1);
    for (const person of PAGED) expect(dmsTo(h, person).filter((call) => /^Paged/.test(String(call.args.text)))).toHaveLength(1);
    expect(statusPosts(h)).toHaveLength(1);
    const ts = statusTsOf(h);
    const texts = threadReplies(h, ts).map((call) => String(call.args.text));
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('a reason holding a credential: refused in the command and on the form, never stored, logged or posted', async () => {
    const h = await start();
    const leaked = ['sk', 'live', randomBytes(12).toString('hex')].join('_');
    const before = snapshotTables(h.store, REVOCATION_TABLES);

    const { viewId, reply } = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked, the key is ${leaked}`);
    expect(viewId).toBeNull();
    expect(String(reply?.text)).toContain('looks like it holds a Stripe secret key. Never paste a secret');
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);

    // Typed into the form's reason instead: refused on that field.
    const opened = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    const ack = await submitRevoke(h, 'U0ONCALL', opened.viewId as string, { confirm: SECRET, reason: `it was ${leaked}` });
    expect(ack).toEqual({
      response_action: 'errors',
      errors: { [REVOKE_BLOCKS.reason]: 'it looks like it holds a Stripe secret key; describe the leak, never paste the value' },
    });
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);

    // And in a status update on an open incident: refused on its field.
    await revoke(h);
    const form = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentStatusUpdate);
    const refused = await submitIncidentForm(h, 'U0ONCALL', form.since, `rotated; old one was ${leaked}`);
    expect(refused).toMatchObject({ response_action: 'errors' });
    await followUpsSettled(h);

    await h.runtime.stop();
    const files = readdirSync(h.store.dir).filter((file) => file.startsWith('rotor.db'));
    for (const file of files) expect(readFileSync(join(h.store.dir, file)).includes(leaked), file).toBe(false);
    expect(h.rawLog()).not.toContain(leaked);
    const sent = JSON.stringify([h.fake.calls.map((call) => call.args), h.fake.responses]);
    expect(sent).not.toContain(leaked);
    await h.restart();
  });

  it('on an open incident: a stranger acknowledging, a second acknowledgement, an empty status update, a close by the owner, a close without a postmortem link or before the rotation ended', async () => {
    const h = await start();
    await revoke(h);
    const [ownerPage] = dmsTo(h, 'U0OWNER');
    h.fake.addUser('U0STRANGER');
    let before = snapshotTables(h.store, REVOCATION_TABLES);

    // Someone neither paged nor allowed to work the incident, with a forwarded page: refused, audited.
    const stranger = await clickInMessage(h, 'U0STRANGER', ownerPage!, ACTION_IDS.incidentAcknowledge);
    expect(String(stranger.reply?.text)).toContain('may not work the incident of');
    const after = snapshotTables(h.store, REVOCATION_TABLES);
    expect({ ...after, audit_events: before.audit_events }).toEqual(before);
    expect((after.audit_events as { action: string }[]).slice(before.audit_events!.length).map((event) => event.action)).toEqual([
      'access.denied',
    ]);

    // The owner acknowledges; pressing it again says when, and changes nothing.
    await clickInMessage(h, 'U0OWNER', ownerPage!, ACTION_IDS.incidentAcknowledge);
    await followUpsSettled(h);
    before = snapshotTables(h.store, REVOCATION_TABLES);
    const again = await clickInMessage(h, 'U0OWNER', ownerPage!, ACTION_IDS.incidentAcknowledge);
    expect(String(again.reply?.text)).toContain('You acknowledged incident #1 at');
    expect(snapshotTables(h.store, REVOCATION_TABLES)).toEqual(before);

    // An empty status update: refused on its field.
    const update = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentStatusUpdate);
    expect(await submitIncidentForm(h, 'U0ONCALL', update.since, '   ')).toEqual({
      response_action: 'errors',
      errors: { incident_update: 'say where the incident stands' },
    });

    // Closing: by the owner (no responder), refused; without a link, or with the rotation still open, refused on the field.
    const byOwner = await slashRevoke(h, 'U0OWNER', 'close 1 https://wiki.example/pm/1');
    expect(String(byOwner.reply?.text)).toContain('may not close the incident of');
    const close = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentClose);
    expect(JSON.stringify(h.fake.calls.slice(close.since).find((call) => call.method === 'views.open')?.args.view)).toContain(
      'The emergency rotation is still open',
    );
    expect(await submitIncidentForm(h, 'U0ONCALL', close.since, 'not a link')).toEqual({
      response_action: 'errors',
      errors: { incident_postmortem: 'must be an http:// or https:// URL, such as the postmortem document or ticket' },
    });
    const open = await submitIncidentForm(h, 'U0ONCALL', close.since, 'https://wiki.example/pm/1');
    expect(open).toMatchObject({
      response_action: 'errors',
      errors: { incident_postmortem: expect.stringContaining('is still open: complete it, or abandon it with a reason') },
    });
    const usage = await slashRevoke(h, 'U0ONCALL', 'close one https://wiki.example/pm/1');
    expect(String(usage.reply?.text)).toContain('Close an incident with `/revoke close &lt;incident&gt; &lt;postmortem link&gt;`');
    const stillOpen = snapshotTables(h.store, REVOCATION_TABLES);
    expect(incidentRecord(h, 1).incident.state).toBe('open');
    expect(stillOpen.incidents).toEqual(before.incidents);
  });

  it('Slack refusing to redraw the status message (an error, then 429 with Retry-After): retried, and the message ends right; never re-posted', async () => {
    const h = await start();
    await revoke(h);
    const ts = statusTsOf(h);
    const edits = statusShown(h).edits;

    // A status update: Slack refuses the redraw, then rate-limits it.
    h.fake.script('chat.update', { error: 'internal_error' }, { rateLimitedForSeconds: 30 });
    h.store.clock.advance({ minutes: 1 });
    const form = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentStatusUpdate);
    expect(await submitIncidentForm(h, 'U0ONCALL', form.since, 'Key rolled at Stripe; deploying the new one.')).toBeNull();
    await followUpsSettled(h);
    expect(incidentRecord(h, 1).events.at(-1)).toMatchObject({ kind: 'status_update' });
    expect(statusShown(h).edits).toBe(edits);
    expect(shownText(statusShown(h))).not.toContain('Key rolled at Stripe');

    // A minute later (the backoff): rate limited, asked to wait 30 s.
    h.store.clock.advance({ minutes: 1 });
    await h.runtime.runJob('follow-up-sweep');
    expect(statusShown(h).edits).toBe(edits);
    h.store.clock.advance({ seconds: 29 });
    await h.runtime.runJob('follow-up-sweep');
    expect(statusShown(h).edits).toBe(edits);

    // After Retry-After: redrawn with the update, in place.
    h.store.clock.advance({ seconds: 1 });
    await h.runtime.runJob('follow-up-sweep');
    await followUpsSettled(h);
    expect(statusShown(h).edits).toBe(edits + 1);
    expect(shownText(statusShown(h))).toContain('Key rolled at Stripe; deploying the new one.');
    expect(statusPosts(h)).toHaveLength(1);
    expect(String(threadReplies(h, ts).at(-1)?.args.text)).toContain('Key rolled at Stripe');
    const attempts = h.fake.callsTo('chat.update').filter((call) => call.args.ts === ts).length;
    expect(attempts).toBe(edits + 3);
  });

  it('Slack slow to take a thread reply while the minute sweep runs too: the thread keeps the order of events', async () => {
    const h = await start();
    await revoke(h);
    const ts = statusTsOf(h);
    const opening = threadReplies(h, ts).length;
    h.fake.script('chat.postMessage', { delayMs: 300 });
    h.store.clock.advance({ minutes: 1 });
    const form = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentStatusUpdate);
    await submitIncidentForm(h, 'U0ONCALL', form.since, 'Key rolled at Stripe.');
    const [ownerPage] = dmsTo(h, 'U0OWNER');
    await clickInMessage(h, 'U0OWNER', ownerPage!, ACTION_IDS.incidentAcknowledge);
    // The scheduled sweep fires while the sweep after the change is still waiting on Slack.
    await h.runtime.runJob('follow-up-sweep');
    await followUpsSettled(h);
    // In the order Slack took them (the fake records a call when it arrives, and holds the message once it is taken).
    const replies = h.fake.messages
      .filter((message) => message.threadTs === ts)
      .slice(opening)
      .map((message) => String(message.text));
    expect(replies).toEqual([
      expect.stringContaining('Status from <@U0ONCALL>: Key rolled at Stripe.'),
      expect.stringContaining('<@U0OWNER> acknowledged.'),
    ]);
  });

  it('the bot killed mid-flow: the answer to a page and to the status post lost in a crash, steps done before a restart; after it nothing is repeated', async () => {
    const h = await start();
    // Slack takes the owner's page and the status message but the bot never hears back (it dies there).
    h.fake.script(
      'chat.postMessage',
      { httpStatus: 500, afterProcessing: true },
      { normal: true },
      { normal: true },
      { normal: true },
      { httpStatus: 500, afterProcessing: true },
    );
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: SECRET });
    await h.fake.waitForCall('chat.postMessage', (call) => call.args.channel === INCIDENT_CHANNEL);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.restart();

    // Past the claim timeout, the sweep finds both in Slack instead of sending them again.
    h.store.clock.advance({ minutes: 11 });
    await h.runtime.runJob('follow-up-sweep');
    await followUpsSettled(h);
    for (const person of PAGED)
      expect(
        dmsTo(h, person).filter((call) => /^Paged/.test(String(call.args.text))),
        person,
      ).toHaveLength(1);
    expect(statusPosts(h)).toHaveLength(1);
    const ts = statusTsOf(h);
    expect(incidentRecord(h, 1).incident.statusTs).toBe(ts);
    const opening = threadReplies(h, ts).length;
    expect(opening).toBe(incidentRecord(h, 1).events.length);

    // Two steps done, then a restart: they stay done, nothing is sent again.
    const since = h.fake.calls.length;
    await h.untilHandled(() => h.command('/rotate', SECRET, 'U0ONCALL', { channelId: INCIDENT_CHANNEL }));
    const rotationView = String(h.fake.calls.slice(since).find((call) => call.method === 'views.update')?.args.view_id);
    for (let step = 0; step < 2; step += 1) {
      h.store.clock.advance({ minutes: 1 });
      await press(h, 'U0ONCALL', rotationView, ACTION_IDS.rotationTickStep);
    }
    await followUpsSettled(h);
    const rotationId = incidentRecord(h, 1).incident.rotationId as number;
    const done = () =>
      h.store.db
        .prepare(`SELECT step_id FROM rotation_steps WHERE rotation_id = ? AND state = 'done' ORDER BY position`)
        .pluck()
        .all(rotationId);
    const audit = () => h.store.db.prepare('SELECT count(*) FROM audit_events').pluck().get();
    const beforeRestart = {
      done: done(),
      audit: audit(),
      posts: h.fake.callsTo('chat.postMessage').length,
      replies: threadReplies(h, ts).length,
    };
    expect(beforeRestart.done).toHaveLength(2);
    expect(beforeRestart.replies).toBeGreaterThan(opening);

    await h.restart();
    await h.runtime.runJob('follow-up-sweep');
    await followUpsSettled(h);
    expect(done()).toEqual(beforeRestart.done);
    expect(h.fake.callsTo('chat.postMessage').length).toBe(beforeRestart.posts);
    expect(audit()).toBe(beforeRestart.audit);

    // The rotation goes on after the restart from where it was; the status message is redrawn in place.
    const again = h.fake.calls.length;
    await h.untilHandled(() => h.command('/rotate', SECRET, 'U0ONCALL', { channelId: INCIDENT_CHANNEL }));
    const resumed = String(h.fake.calls.slice(again).find((call) => call.method === 'views.update')?.args.view_id);
    const total = rotationRecord(h, rotationId).steps.length;
    expect(textOf(modal(h, resumed))).toContain(`2 of ${total} steps done`);
    await press(h, 'U0ONCALL', resumed, ACTION_IDS.rotationTickStep);
    await followUpsSettled(h);
    expect(statusPosts(h)).toHaveLength(1);
    expect(shownText(statusShown(h))).toContain(`3 of ${total} steps`);
    expect(threadReplies(h, ts)).toHaveLength(beforeRestart.replies + 1);
  });
});
