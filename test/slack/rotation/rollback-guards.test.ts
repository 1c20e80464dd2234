import { afterEach, describe, expect, it } from 'vitest';
import { ROTATION_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { incidentRecord, REVOCATION_PEOPLE, REVOCATION_POLICY, slashRevoke, submitRevoke } from '../../support/revocation-slack.js';
import {
  ACTION_IDS,
  button,
  callsSince,
  driveModal,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  pushedSince,
  rotationRecord,
  slashRotate,
  startRotationHarness,
  submitRollback,
  submitTicket,
  textOf,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * Rollback without guards (issue 19, item 5): during an open incident a rollback turned a
 * compromised secret active again, and under a newer open rotation it set the secret active
 * under it. Both are refused, from the button and from a form opened before, and change nothing.
 */

const SECRET = 'staging/stripe/api_key';
const TABLES = ['secrets', 'rotations', 'rotation_steps', 'rotation_approvals', 'incidents', 'follow_ups', 'audit_events'];

describe('a rollback is refused while something newer holds the secret', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  /** A staging key (no approvals) rotated by hand to completion by its owner: the rotation and the modal that shows it, offering Roll back. */
  async function rotated(): Promise<{ h: SlackHarness; rotationId: number; viewId: string }> {
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) =>
        store.inventoryService.create(
          { name: SECRET, type: 'api_key', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31) },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const viewId = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await submitTicket(h, 'U0OWNER', viewId, 'SEC-7');
    await driveModal(h, 'U0OWNER', viewId, null);
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationComplete);
    await followUpsSettled(h);
    expect(button(modal(h, viewId), ACTION_IDS.rotationRollback)).toBeDefined();
    return { h, rotationId: metadataOf(modal(h, viewId)).rotationId as number, viewId };
  }

  it('during an open incident on the secret: neither the button nor a form opened before the revocation rolls it back', async () => {
    const { h, rotationId, viewId } = await rotated();
    h.store.clock.advance({ hours: 1 });
    // The owner opens the rollback form, then the key leaks and is revoked.
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRollback);
    const form = pushedSince(h, since);
    const { viewId: confirm } = await slashRevoke(h, 'U0ONCALL', `${SECRET} leaked in a public gist`);
    await submitRevoke(h, 'U0ONCALL', confirm as string, { confirm: SECRET });
    await followUpsSettled(h);
    expect(incidentRecord(h, 1).incident.state).toBe('open');
    expect(h.store.inventory.get(SECRET)?.lifecycle).toBe('compromised');

    const before = snapshotTables(h.store, TABLES);
    const refused = await submitRollback(h, 'U0OWNER', form, 'the new key lacks a scope');
    expect(refused).toMatchObject({ response_action: 'errors' });
    expect(String((refused?.errors as Record<string, string>)[ROTATION_BLOCKS.reason])).toContain(
      `${SECRET} is under incident #1 (marked compromised), so nothing of it is rolled back`,
    );

    const pushesBefore = callsSince(h, 'views.push', 0).length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRollback);
    expect(callsSince(h, 'views.push', 0)).toHaveLength(pushesBefore);
    expect(textOf(modal(h, viewId))).toContain(`${SECRET} is under incident #1`);
    expect(button(modal(h, viewId), ACTION_IDS.rotationRollback)).toBeUndefined();

    await followUpsSettled(h);
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    expect(h.store.inventory.get(SECRET)?.lifecycle).toBe('compromised');
  });

  it('under a newer open rotation: refused, with which one and who holds it; the secret stays as the newer rotation has it', async () => {
    const { h, rotationId, viewId } = await rotated();
    h.store.clock.advance({ hours: 1 });
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRollback);
    const form = pushedSince(h, since);
    // The owner starts the next rotation from a second /rotate.
    const next = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    await submitTicket(h, 'U0OWNER', next, 'SEC-8');
    const newer = metadataOf(modal(h, next)).rotationId as number;
    expect(rotationRecord(h, newer).rotation.state).toBe('in_progress');
    expect(h.store.inventory.get(SECRET)?.lifecycle).toBe('rotating');
    await followUpsSettled(h);

    const before = snapshotTables(h.store, TABLES);
    const refused = await submitRollback(h, 'U0OWNER', form, 'the new key lacks a scope');
    expect(String((refused?.errors as Record<string, string>)[ROTATION_BLOCKS.reason])).toContain(
      `A newer rotation of ${SECRET} is open (#${newer}, in progress, held by U0OWNER`,
    );
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRollback);
    expect(textOf(modal(h, viewId))).toContain(`A newer rotation of ${SECRET} is open (#${newer}`);
    await followUpsSettled(h);
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    expect(h.store.inventory.get(SECRET)?.lifecycle).toBe('rotating');
  });
});
