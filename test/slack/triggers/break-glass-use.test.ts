import type { KnownBlock } from '@slack/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isoInstant } from '../../../src/core/clock.js';
import { toUtcDate } from '../../../src/inventory/schedule.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { responseIdOf, startSlackHarness, TEST_POLICY, type SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

const ROOT = 'prod/vault/root_token';
const PLAIN = 'prod/app/db';
const TABLES = ['secrets', 'audit_events', 'rotation_needs', 'follow_ups'];
const POLICY = `${TEST_POLICY.replace('  incident: [C0INCIDENT]', '  incident: [C0INCIDENT]\n  security: C0SECURITY')}`;

/** Issue 23, item 2: a break-glass credential used is recorded, its rotation due within 24 h, unsnoozable, security told. */
describe('/secrets used on a break-glass credential', () => {
  let harness: SlackHarness;
  beforeEach(async () => {
    harness = await startSlackHarness({
      policy: POLICY,
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0OWNER', 'U0BACKUP', 'U0ONCALL', 'U0SEC', 'U0ADMIN']) fake.addUser(user, 'UTC');
        // Rotated recently: nothing is due by its own date, so whatever is owed comes from the use.
        const lastRotated = toUtcDate(store.clock.now().minus({ days: 10 }));
        store.inventoryService.create(
          {
            name: ROOT,
            type: 'generic',
            owner: 'U0OWNER',
            backupOwner: 'U0BACKUP',
            access: ['U0ONCALL'],
            breakGlass: true,
            lastRotated,
            intervalDays: 90,
          },
          operator(),
          'test',
        );
        store.inventoryService.create(
          { name: PLAIN, type: 'database', owner: 'U0OWNER', backupOwner: 'U0BACKUP', access: ['U0ONCALL'], lastRotated, intervalDays: 90 },
          operator(),
          'test',
        );
      },
    });
  });
  afterEach(async () => harness.close());

  const replyTo = async (responseUrl: string) =>
    (await harness.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl))).body;

  it('records who and why, opens a rotation due in 24 h that cannot be snoozed, and tells the security channel and the owner', async () => {
    const now = harness.store.clock.now();
    const { responseUrl } = await harness.command('/secrets', `used ${ROOT} restored the cluster after the outage`, 'U0ONCALL');
    const reply = JSON.stringify(await replyTo(responseUrl));
    expect(reply).toContain(`Recorded your use of \`${ROOT}\``);

    const [need] = harness.store.rotationNeeds.open('break_glass_use');
    expect(need).toMatchObject({
      secretName: ROOT,
      person: 'U0ONCALL',
      detail: 'restored the cluster after the outage',
      dueAt: isoInstant(now.plus({ hours: 24 })),
    });
    const event = harness.store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'secret.break_glass_used'`).get() as {
      actor: string;
      details: string;
    };
    expect(event.actor).toBe('U0ONCALL');
    expect(JSON.parse(event.details)).toMatchObject({ usedBy: 'U0ONCALL', reason: 'restored the cluster after the outage' });

    const security = await harness.fake.waitForCall('chat.postMessage', (call) => call.args.channel === 'C0SECURITY');
    expect(String(security.args.text)).toContain(`Break-glass credential ${ROOT} was used`);
    expect(JSON.stringify(security.args.blocks)).toContain('<@U0ONCALL>');
    const owner = await harness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === 'U0OWNER' && String(call.args.text).includes('was used'),
    );
    const buttons = (owner.args.blocks as KnownBlock[]).flatMap((block) =>
      'elements' in block ? (block.elements as { action_id?: string }[]) : [],
    );
    expect(buttons.map((element) => element.action_id)).toContain(ACTION_IDS.rotationOpen);

    // The reminder the sweep now owes the owner counts from the use, and offers no snooze.
    await harness.runtime.runJob('reminder-sweep');
    const reminder = await harness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === 'U0OWNER' && String(call.args.text).startsWith('Reminder:'),
    );
    expect(String(reminder.args.text)).toContain(`${ROOT} is due for rotation in 1 day (${toUtcDate(now.plus({ hours: 24 }))})`);
    const actions = (reminder.args.blocks as KnownBlock[]).find((block) => block.type === 'actions') as {
      elements: { action_id: string }[];
    };
    expect(actions.elements.map((element) => element.action_id)).toEqual([ACTION_IDS.rotationOpen, ACTION_IDS.notMine]);
    expect(JSON.stringify(reminder.args.blocks)).toContain('(cannot be snoozed)');

    // /secrets review lists it as used and not yet rotated.
    const review = await harness.command('/secrets', 'review', 'U0ADMIN');
    expect(JSON.stringify(await replyTo(review.responseUrl))).toContain('Break-glass credentials used, not yet rotated');
  });

  it('on a secret that is not break-glass it is refused with what to do, and nothing changes', async () => {
    const before = snapshotTables(harness.store, TABLES);
    const { responseUrl } = await harness.command('/secrets', `used ${PLAIN} needed the password`, 'U0ONCALL');
    const reply = JSON.stringify(await replyTo(responseUrl));
    expect(reply).toContain(`${PLAIN} is not a break-glass credential, so no use is recorded and nothing was changed`);
    expect(snapshotTables(harness.store, TABLES)).toEqual(before);
  });

  it('without a reason, or from someone who may not read it, nothing is recorded', async () => {
    const before = snapshotTables(harness.store, TABLES);
    const bare = await harness.command('/secrets', `used ${ROOT}`, 'U0ONCALL');
    expect(JSON.stringify(await replyTo(bare.responseUrl))).toContain('Say why you used it');
    harness.fake.addUser('U0STRANGER', 'UTC');
    const stranger = await harness.command('/secrets', `used ${ROOT} curious`, 'U0STRANGER');
    // Under restricted visibility the stranger is refused as if the secret did not exist: no owner named.
    const strangerReply = JSON.stringify(await replyTo(stranger.responseUrl));
    expect(strangerReply).toContain(`There is no secret named \`${ROOT}\` that you may see`);
    expect(strangerReply).not.toContain('U0OWNER');
    const after = snapshotTables(harness.store, TABLES);
    // A refusal is itself audited (access.denied); nothing else moves.
    expect(after.rotation_needs).toEqual(before.rotation_needs);
    expect(after.secrets).toEqual(before.secrets);
    expect(after.follow_ups).toEqual(before.follow_ups);
  });
});
