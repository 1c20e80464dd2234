import type { ModalView } from '@slack/types';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS, encodePickedSecret } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { modalClickPayload, slashRotate, startRotationHarness, textOf } from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Issue 19, finding 9: `/rotate` with a misspelt name suggested any secret's name, and a picker
 * id resolved to its secret's name for anyone. Names are suggested only among the secrets the
 * caller may rotate, and a picked id the caller may not rotate says nothing of its secret.
 */

const MINE = 'dev/payments/stripe_key';
const THEIRS = 'prod/payments/stripe_key';

describe('/rotate names only what the caller may rotate', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function start(): Promise<SlackHarness> {
    harness = await startRotationHarness({
      people: ['U0OWNER', 'U0OTHER', 'U0STRANGER', 'U0SEC', 'U0OPS', 'U0OPS2', 'U0ADMIN'],
      seed: (store) => {
        store.inventoryService.create(
          { name: MINE, type: 'api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        );
        store.inventoryService.create(
          { name: THEIRS, type: 'api_key', owner: 'U0OTHER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        );
      },
    });
    return harness;
  }

  it('a misspelt name: the owner is offered their secret, never the other one; a stranger is offered nothing', async () => {
    const h = await start();
    const before = snapshotTables(h.store);
    const owner = await slashRotate(h, 'U0OWNER', 'prod/payments/stripe_kye');
    expect(owner.viewId).toBeNull();
    expect(String(owner.reply?.text)).toContain('No secret named `prod/payments/stripe_kye`.');
    expect(String(owner.reply?.text)).toContain(`Did you mean: ${MINE}?`);
    expect(String(owner.reply?.text)).not.toContain(THEIRS);

    const stranger = await slashRotate(h, 'U0STRANGER', 'prod/payments/stripe_kye');
    expect(String(stranger.reply?.text)).toContain('No secret named `prod/payments/stripe_kye`.');
    expect(String(stranger.reply?.text)).not.toContain('Did you mean');
    expect(String(stranger.reply?.text)).not.toContain(MINE);

    // Someone who may rotate everything (a DevOps lead) is offered the real name.
    const lead = await slashRotate(h, 'U0OPS', 'prod/payments/stripe_kye');
    expect(String(lead.reply?.text)).toContain(`Did you mean: ${THEIRS}`);
    expect(snapshotTables(h.store)).toEqual(before);
  });

  it("a picker id of someone else's secret resolves to nothing: no name, nothing opened", async () => {
    const h = await start();
    const theirsId = h.store.inventory.get(THEIRS)!.id;
    const picker = await h.untilHandled(() => h.command('/rotate', '', 'U0STRANGER'));
    expect(picker.status).toBe(200);
    const opened = h.fake.callsTo('views.open').at(-1)?.args.view as ModalView;
    expect(JSON.stringify(opened.blocks)).not.toContain(THEIRS);
    const before = snapshotTables(h.store);
    const since = h.fake.calls.length;
    const payload = {
      ...modalClickPayload(h, 'U0STRANGER', 'VPICKER02', ACTION_IDS.rotationPick, '', { ...opened, callback_id: CALLBACK_IDS.rotation }),
      actions: [
        {
          type: 'static_select',
          action_id: ACTION_IDS.rotationPick,
          block_id: 'rotation_picker',
          selected_option: { text: { type: 'plain_text', text: 'x' }, value: encodePickedSecret(theirsId) },
          action_ts: '1.2',
        },
      ],
    };
    await h.untilHandled(() => h.post({ kind: 'payload', payload }));
    const shown = h.fake.calls
      .slice(since)
      .filter((call) => call.method === 'views.update')
      .map((call) => textOf(call.args.view as ModalView))
      .join('\n');
    expect(shown).toContain('That choice is not a secret you may rotate');
    expect(JSON.stringify(h.fake.calls.slice(since))).not.toContain(THEIRS);
    expect(snapshotTables(h.store)).toEqual(before);
  });
});
