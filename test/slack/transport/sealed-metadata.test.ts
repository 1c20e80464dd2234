import type { ModalView } from '@slack/types';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS, encodeRotationMetadata, SECRET_FORM_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { clickInModal, metadataOf, modal, slashRotate, startRotationHarness, submitTicket, textOf } from '../../support/rotation-slack.js';
import { sealedFor, unsealed } from '../../support/sealed-metadata.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue, submittedView } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';

/**
 * Issue 19, finding 9: a modal's private_metadata was trusted as Slack echoed it. Rotor seals
 * it (an HMAC under a key derived from the signing secret, over the form and the metadata):
 * edited, forged or moved to another form, it is refused as unreadable and nothing changes.
 */

const MINE = 'dev/app/api_key';
const OTHER = 'dev/other/api_key';
const TABLES = ['secrets', 'rotations', 'rotation_steps', 'rotation_approvals', 'audit_events'];

describe("modals' private_metadata is sealed, and a mismatch is refused", () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function start(): Promise<SlackHarness> {
    harness = await startRotationHarness({
      seed: (store) => {
        store.inventoryService.create({ name: MINE, type: 'api_key', owner: 'U0OWNER', lastRotated: '2027-01-01' }, operator(), 'test');
        store.inventoryService.create({ name: OTHER, type: 'api_key', owner: 'U0OWNER', lastRotated: '2027-01-01' }, operator(), 'test');
      },
    });
    return harness;
  }

  it('every view Rotor sends carries sealed metadata, acknowledged views included', async () => {
    const h = await start();
    const { viewId } = await slashRotate(h, 'U0OWNER', MINE);
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-1');
    const sent = h.fake.calls.filter((call) => call.method.startsWith('views.')).map((call) => call.args.view as ModalView);
    expect(sent.length).toBeGreaterThan(2);
    for (const view of sent) if (view.private_metadata) expect(() => unsealed(view.private_metadata as string)).not.toThrow();
    expect(metadataOf(modal(h, viewId as string))).toMatchObject({ secret: MINE });
  });

  it('edited metadata (another rotation, another version), a forgery, and metadata moved to another form: refused, nothing changes', async () => {
    const h = await start();
    const { viewId } = await slashRotate(h, 'U0OWNER', MINE);
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-2');
    const id = viewId as string;
    const shown = modal(h, id);
    const real = metadataOf(shown);
    const other = (await slashRotate(h, 'U0OWNER', OTHER)).viewId as string;
    await submitTicket(h, 'U0OWNER', other, 'SEC-3');
    const otherRotation = metadataOf(modal(h, other)).rotationId as number;
    const before = snapshotTables(h.store, TABLES);

    // The seal kept, the metadata edited to point at the other rotation; then an unsealed forgery.
    const seal = /^(rotor1\.[^.]+\.)/.exec(String(shown.private_metadata))?.[1] as string;
    for (const forged of [
      seal + encodeRotationMetadata({ secret: OTHER, rotationId: otherRotation, version: real.version }),
      encodeRotationMetadata({ secret: MINE, rotationId: real.rotationId, version: real.version }),
      sealedFor(h, CALLBACK_IDS.editSecret, encodeRotationMetadata({ secret: MINE, rotationId: real.rotationId, version: real.version })),
    ]) {
      await clickInModal(h, 'U0OWNER', id, ACTION_IDS.rotationTickStep, 'create_version', { ...shown, private_metadata: forged });
      expect(textOf(modal(h, id))).toContain('This rotation form lost track of its secret');
    }
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    expect(
      h.logLines.filter((line) => line.msg === 'a view came back with private_metadata Rotor did not seal; read as none'),
    ).toHaveLength(3);

    // The rotation form's own sealed metadata, moved into an edit form: not the edit form's.
    const moved = submittedView(h.payloads, {
      callbackId: CALLBACK_IDS.editSecret,
      privateMetadata: String(shown.private_metadata),
      values: { [SECRET_FORM_BLOCKS.intervalDays]: { value: stateValue.text('30') } },
    });
    const reply = (await h.submit({ userId: 'U0OWNER', view: moved })).json() as {
      response_action: string;
      errors: Record<string, string>;
    };
    expect(reply.response_action).toBe('errors');
    expect(JSON.stringify(reply.errors)).toContain('run `/secrets edit <name>` again');
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
  });
});
