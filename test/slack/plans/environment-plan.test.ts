import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toUtcDate } from '../../../src/inventory/schedule.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import {
  button,
  driveModal,
  followUpsSettled,
  modal,
  postsTo,
  press,
  slashRotate,
  submitTicket,
  textOf,
} from '../../support/rotation-slack.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

const KEY = 'db/app-primary';
const POLICY = `
environments: [prod, staging, dev]
channels:
  announce: C0ANNOUNCE
  incident: [C0INCIDENT]
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
approvals: {}
plans:
  order: [dev, staging, prod]
`;

/** Issue 23 item 5: a registry key's variants rotated as one plan, dev → staging → prod, through signed Slack requests. */
describe('environments in order, through Slack', () => {
  let harness: SlackHarness;
  beforeEach(async () => {
    harness = await startSlackHarness({
      policy: POLICY,
      env: { ROTOR_AUDIT_KEY: randomBytes(32).toString('hex') },
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0OWNER', 'U0SEC', 'U0OPS', 'U0ADMIN']) fake.addUser(user);
        const lastRotated = toUtcDate(store.clock.now().minus({ days: 80 }));
        for (const environment of ['dev', 'staging', 'prod'])
          store.inventoryService.create(
            { name: `${environment}/${KEY}`, type: 'database', owner: 'U0OWNER', lastRotated, intervalDays: 90 },
            operator(),
            'test',
          );
        store.inventoryService.create({ name: 'dev/db/mixed', type: 'database', owner: 'U0OWNER', lastRotated }, operator(), 'test');
        store.inventoryService.create(
          { name: 'prod/db/mixed', type: 'database', owner: 'U0OWNER', lastRotated, provider: 'vault', providerRef: 'secret/db/mixed' },
          operator(),
          'test',
        );
      },
    });
  });
  afterEach(async () => harness.close());

  const rotateReply = async (text: string) => {
    const { responseUrl } = await harness.untilHandled(() => harness.command('/rotate', text, 'U0OWNER'));
    return (await harness.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl))).body as Record<string, unknown>;
  };

  /** Starts and completes the rotation of `name` in its modal. */
  const rotateFully = async (name: string) => {
    const { viewId } = await slashRotate(harness, 'U0OWNER', name);
    await submitTicket(harness, 'U0OWNER', viewId as string, `CHG-${randomBytes(2).readUInt16BE()}`);
    await driveModal(harness, 'U0OWNER', viewId as string, null);
    await press(harness, 'U0OWNER', viewId as string, ACTION_IDS.rotationComplete);
    expect(textOf(modal(harness, viewId as string))).toContain('Completed at');
  };

  const threadRoots = () => postsTo(harness, 'C0ANNOUNCE').filter((call) => String(call.args.text).includes('in every environment'));

  it('offers the plan, runs dev → staging → prod, staging refused before dev is verified, in one announcement thread', async () => {
    const offer = await rotateReply(KEY);
    const start = button(offer as { blocks: unknown[] }, ACTION_IDS.planStart);
    expect(JSON.stringify(offer)).toMatch(/1\. `dev\/db\/app-primary`.*2\. `staging\/db\/app-primary`.*3\. `prod\/db\/app-primary`/);
    await harness.untilHandled(() =>
      harness.click({ actionId: ACTION_IDS.planStart, value: start?.value ?? '', userId: 'U0OWNER', channelId: 'C0OPS' }),
    );
    await followUpsSettled(harness);
    expect(threadRoots()).toHaveLength(1);

    // Staging may not start before dev is verified: the modal says why, and no rotation starts.
    const early = await slashRotate(harness, 'U0OWNER', `staging/${KEY}`);
    expect(textOf(modal(harness, early.viewId as string))).toContain(`it starts once dev/${KEY} is verified`);
    expect(harness.store.db.prepare('SELECT count(*) FROM rotations').pluck().get()).toBe(0);

    await rotateFully(`dev/${KEY}`);
    await followUpsSettled(harness);
    await rotateFully(`staging/${KEY}`);
    await followUpsSettled(harness);
    await rotateFully(`prod/${KEY}`);
    await followUpsSettled(harness);

    // One thread: one root, every step of the plan a reply in it.
    const [root] = threadRoots();
    expect(threadRoots()).toHaveLength(1);
    const inThread = postsTo(harness, 'C0ANNOUNCE').filter((call) => call.args.thread_ts !== undefined);
    const replies = inThread.filter((call) => String(call.args.text).includes('is verified.'));
    expect(replies.map((call) => String(call.args.text))).toEqual([
      expect.stringContaining(`dev/${KEY}\` is verified. Next: \`staging/${KEY}\` may start now`),
      expect.stringContaining(`staging/${KEY}\` is verified. Next: \`prod/${KEY}\` may start now`),
      expect.stringContaining(`prod/${KEY}\` is verified. Every environment is rotated`),
    ]);
    const rootTs = harness.store.db
      .prepare(`SELECT json_extract(outcome, '$.ts') FROM follow_ups WHERE kind = 'rotation_plan.thread'`)
      .pluck()
      .get();
    expect(root).toBeDefined();
    for (const reply of replies) expect(reply.args.thread_ts).toBe(rootTs);
    expect(harness.store.db.prepare(`SELECT state FROM rotation_plans`).pluck().all()).toEqual(['done']);

    // Each variant's completion announcement is a reply in that thread too; none is top-level.
    expect(inThread).toHaveLength(6);
    expect(inThread.map((call) => String(call.args.text))).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`dev/${KEY}\` is verified`),
        expect.stringContaining(`dev/${KEY} was rotated`),
        expect.stringContaining(`staging/${KEY}\` is verified`),
        expect.stringContaining(`staging/${KEY} was rotated`),
        expect.stringContaining(`prod/${KEY}\` is verified`),
        expect.stringContaining(`prod/${KEY} was rotated`),
      ]),
    );
    for (const reply of inThread) expect(reply.args.thread_ts).toBe(rootTs);
    expect(
      postsTo(harness, 'C0ANNOUNCE').filter((call) => call.args.thread_ts === undefined && String(call.args.text).includes('was rotated')),
    ).toEqual([]);
  });

  it("a variant's announcement reply whose answer is lost (Slack posted it), then a restart: reconciled from the thread, never posted twice", async () => {
    const offer = await rotateReply(KEY);
    const start = button(offer as { blocks: unknown[] }, ACTION_IDS.planStart);
    await harness.untilHandled(() =>
      harness.click({ actionId: ACTION_IDS.planStart, value: start?.value ?? '', userId: 'U0OWNER', channelId: 'C0OPS' }),
    );
    await followUpsSettled(harness);
    const { viewId } = await slashRotate(harness, 'U0OWNER', `dev/${KEY}`);
    await submitTicket(harness, 'U0OWNER', viewId as string, `CHG-${randomBytes(2).readUInt16BE()}`);
    await driveModal(harness, 'U0OWNER', viewId as string, null);
    await followUpsSettled(harness);

    // Slack posts the announcement in the thread, then answers 500: Rotor cannot tell, so it keeps the claim.
    harness.fake.script('chat.postMessage', { httpStatus: 500, afterProcessing: true });
    await press(harness, 'U0OWNER', viewId as string, ACTION_IDS.rotationComplete);
    const announced = () =>
      harness.fake.messages.filter(
        (message) => message.channel === 'C0ANNOUNCE' && String(message.text).includes(`dev/${KEY} was rotated`),
      );
    await harness.fake.waitForCall('chat.postMessage', (call) => String(call.args.text).includes(`dev/${KEY} was rotated`));
    const claimed = () =>
      harness.store.db.prepare(`SELECT state FROM follow_ups WHERE kind = 'rotation.announce'`).pluck().get() as string | undefined;
    for (let waited = 0; waited < 5_000 && claimed() !== 'claimed'; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(claimed()).toBe('claimed');
    expect(announced()).toHaveLength(1);

    // A restart, and the claim's timeout later: reconciliation finds the reply in the plan's thread.
    await harness.restart();
    harness.store.clock.advance({ minutes: 11 });
    await harness.runtime.runJob('follow-up-sweep');
    await followUpsSettled(harness);
    const rootTs = harness.store.db
      .prepare(`SELECT json_extract(outcome, '$.ts') FROM follow_ups WHERE kind = 'rotation_plan.thread'`)
      .pluck()
      .get();
    expect(announced()).toHaveLength(1);
    expect(announced()[0]?.threadTs).toBe(rootTs);
    expect(
      harness.fake.callsTo('chat.postMessage').filter((call) => String(call.args.text).includes(`dev/${KEY} was rotated`)),
    ).toHaveLength(1);
    expect(
      harness.store.db.prepare(`SELECT state, json_extract(outcome, '$.ts') AS ts FROM follow_ups WHERE kind = 'rotation.announce'`).get(),
    ).toEqual({ state: 'done', ts: announced()[0]?.ts });
  });

  it('an unknown key, or variants on different providers, is answered clearly and starts nothing', async () => {
    const before = snapshotTables(harness.store, ['rotation_plans', 'follow_ups', 'rotations']);
    expect(JSON.stringify(await rotateReply('db/nothing'))).toContain('No secret named `db/nothing` in any environment');
    expect(JSON.stringify(await rotateReply('db/mixed'))).toContain('The variants of db/mixed are on different providers');
    expect(snapshotTables(harness.store, ['rotation_plans', 'follow_ups', 'rotations'])).toEqual(before);
  });
});
