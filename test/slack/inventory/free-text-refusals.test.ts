import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, REVOKE_BLOCKS, ROTATION_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import {
  clickOnStatus,
  REVOCATION_PEOPLE,
  REVOCATION_POLICY,
  REVOCATION_TABLES,
  slashRevoke,
  submitIncidentForm,
  submitRevoke,
} from '../../support/revocation-slack.js';
import {
  clickInMessage,
  driveModal,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  pushedSince,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  waitForDms,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/**
 * Issue 19, findings 4 and 9: credential-shaped text, and invisible direction-changing or
 * control characters, are refused in every free-text field of a rotation and an incident (the
 * change ticket, step notes, skip / abandon / reject / rollback reasons, the incident ticket,
 * the postmortem link), on the field, without echoing the value; nothing is stored, logged or
 * posted. Values are made at run time.
 */

const PROD = 'prod/payments/stripe_key';
const STAGING = 'staging/auth/jwt_key';
const TABLES = [...REVOCATION_TABLES, 'rotation_approvals'];

const alphanumeric = (length: number) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
};
/** A value shaped like a Stripe secret key, made now. */
const stripeShaped = () => ['sk', 'live', alphanumeric(24)].join('_');

describe('free text holding a credential or hidden characters is refused in every rotation and incident field', () => {
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  async function start(): Promise<SlackHarness> {
    harness = await startRotationHarness({
      policy: REVOCATION_POLICY,
      people: REVOCATION_PEOPLE,
      seed: (store) => {
        store.inventoryService.create(
          { name: PROD, type: 'api_key', owner: 'U0OWNER', backupOwner: 'U0BACKUP', team: 'payments', lastRotated: '2027-01-01' },
          operator(),
          'test',
        );
        store.inventoryService.create({ name: STAGING, type: 'jwt', owner: 'U0OWNER', lastRotated: '2027-01-01' }, operator(), 'test');
      },
    });
    return harness;
  }

  /** Nothing of `value` anywhere: the database files, the log, every call to Slack. */
  async function expectNowhere(h: SlackHarness, values: readonly string[]): Promise<void> {
    await followUpsSettled(h);
    const sent = JSON.stringify([h.fake.calls.map((call) => call.args), h.fake.responses]);
    const files = readdirSync(h.store.dir).filter((file) => file.startsWith('rotor.db'));
    for (const value of values) {
      expect(h.rawLog(), 'the log').not.toContain(value);
      expect(sent, 'what Slack received').not.toContain(value);
      for (const file of files) expect(readFileSync(join(h.store.dir, file)).includes(value), file).toBe(false);
    }
  }

  it('the change ticket: a token in its query, a password in its user part, a key as the ticket, direction controls in it', async () => {
    const h = await start();
    const { viewId } = await slashRotate(h, 'U0OWNER', PROD);
    const key = stripeShaped();
    // A value as Rotor's detector defines one after `password:` (a digit or a symbol in it): 20 random letters
    // and digits lack a digit about 3 times in 100, and an all-letter word reads as an ordinary word.
    const password = `${alphanumeric(19)}${randomBytes(1).readUInt8(0) % 10}`;
    const before = snapshotTables(h.store, TABLES);
    for (const [ticket, expected] of [
      [`https://tickets.example.com/browse/SEC-1?api_key=${key}`, 'it looks like it holds a Stripe secret key; never paste a secret'],
      [`https://deploy:${password}@jira.example.com/browse/SEC-1`, 'it looks like it holds a password (in the user part of the link)'],
      [`https://jira.example.com/browse/SEC-1#${alphanumeric(32)}`, 'it looks like it holds a long random string (a key or token)'],
      [key, 'it looks like it holds a Stripe secret key'],
      ['https://jira.example.com/browse/SEC-1\u202Etxt.exe', 'it holds invisible direction-changing characters'],
      // Issue 19 re-probe, group D: what percent-escapes spell counts, in the query and in the path.
      [`https://tickets.example.com/browse/SEC-1?ref=password%3A%20${password}`, 'it looks like it holds a password'],
      [
        `https://tickets.example.com/browse/${[...key].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}`,
        'it looks like it holds a Stripe secret key',
      ],
      [
        `https://tickets.example.com/browse/SEC-1?q=${encodeURIComponent(encodeURIComponent(key))}%`,
        'it looks like it holds a Stripe secret key',
      ],
      // Group G: zero-width and other invisible format characters, like direction controls.
      ['https://jira.example.com/browse/SEC-1\u200B', 'it holds invisible characters (such as zero-width spaces)'],
      ['\uFEFFhttps://jira.example.com/browse/SEC-1', 'it holds invisible characters (such as zero-width spaces)'],
    ] as const) {
      const ack = await submitTicket(h, 'U0OWNER', viewId as string, ticket);
      expect(ack.response_action, ticket).toBe('errors');
      const error = String((ack.errors as Record<string, string>)[ROTATION_BLOCKS.ticket]);
      expect(error).toContain(expected);
      expect(error).not.toContain(ticket);
    }
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    // A document link whose id looks random is a link, not a key: it starts the rotation.
    const ack = await submitTicket(h, 'U0OWNER', viewId as string, `https://docs.google.com/document/d/1${alphanumeric(43)}/edit`);
    expect(ack.response_action).toBe('update');
    await expectNowhere(h, [key, password]);
  });

  it('a step note, a skip reason, an abandon reason and a rollback reason', async () => {
    const h = await start();
    const key = stripeShaped();
    const { viewId } = await slashRotate(h, 'U0OWNER', STAGING);
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-2');
    const id = viewId as string;
    const reasonForm = async (actionId: string) => {
      const since = h.fake.calls.length;
      await press(h, 'U0OWNER', id, actionId);
      return pushedSince(h, since);
    };
    const refused = async (form: Awaited<ReturnType<typeof reasonForm>>, text: string, expected: string) => {
      const before = snapshotTables(h.store, TABLES);
      const answer = await submitReason(h, 'U0OWNER', form, text);
      expect(answer, text).toMatchObject({ response_action: 'errors' });
      const error = String((answer?.errors as Record<string, string>)[ROTATION_BLOCKS.reason]);
      expect(error).toContain(expected);
      expect(error).not.toContain(key);
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
    };

    await refused(await reasonForm(ACTION_IDS.rotationNoteStep), `minted it: ${key}`, 'it looks like it holds a Stripe secret key');
    await refused(await reasonForm(ACTION_IDS.rotationNoteStep), 'done \u001b]0;owned\u0007 by hand', 'it holds control characters');

    await driveModal(h, 'U0OWNER', id, 'invalidate_caches');
    await refused(
      await reasonForm(ACTION_IDS.rotationSkipStep),
      `no sessions, key was ${key}`,
      'it looks like it holds a Stripe secret key',
    );
    await refused(
      await reasonForm(ACTION_IDS.rotationSkipStep),
      'no sessions \u2067here\u2069',
      'it holds invisible direction-changing characters',
    );
    await refused(await reasonForm(ACTION_IDS.rotationAbandon), `wrong key ${key}`, 'it looks like it holds a Stripe secret key');

    // Finished, then rolled back with a reason holding the key: refused.
    await submitReason(h, 'U0OWNER', await reasonForm(ACTION_IDS.rotationSkipStep), 'no sessions to end on staging');
    await driveModal(h, 'U0OWNER', id, null);
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);
    const rotationId = metadataOf(modal(h, id)).rotationId as number;
    h.store.clock.advance({ hours: 1 });
    const again = (await slashRotate(h, 'U0OWNER', STAGING)).viewId as string;
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', again, ACTION_IDS.rotationRollback);
    await refused(pushedSince(h, since), `it broke, old one was ${key}`, 'it looks like it holds a Stripe secret key');
    expect(h.store.db.prepare('SELECT state FROM rotations WHERE id = ?').pluck().get(rotationId)).toBe('completed');
    await expectNowhere(h, [key]);
  });

  it('a reject reason typed from the approval DM', async () => {
    const h = await start();
    const key = stripeShaped();
    const { viewId } = await slashRotate(h, 'U0OWNER', PROD);
    await submitTicket(h, 'U0OWNER', viewId as string, 'SEC-3');
    const [request] = await waitForDms(h, 'U0SEC', /^Approval requested/);
    const { triggerSince } = await clickInMessage(h, 'U0SEC', request!, ACTION_IDS.rotationReject);
    const form = pushedSince(h, triggerSince);
    await followUpsSettled(h);
    const before = snapshotTables(h.store, TABLES);
    const answer = await submitReason(h, 'U0SEC', form, `not with ${key} in the ticket`);
    expect(answer).toMatchObject({
      response_action: 'errors',
      errors: { [ROTATION_BLOCKS.reason]: expect.stringContaining('it looks like it holds a Stripe secret key') },
    });
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    await expectNowhere(h, [key]);
  });

  it('the incident ticket and the postmortem link', async () => {
    const h = await start();
    const key = stripeShaped();
    const { viewId } = await slashRevoke(h, 'U0ONCALL', `${PROD} leaked in a public gist`);
    let before = snapshotTables(h.store, TABLES);
    for (const [ticket, expected] of [
      [`https://tickets.example.com/INC-4?token=${key}`, 'it looks like it holds a Stripe secret key'],
      ['https://tickets.example.com/INC-4\u202Efdp.exe', 'it holds invisible direction-changing characters'],
    ] as const) {
      const ack = await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: PROD, ticket });
      expect(ack).toMatchObject({ response_action: 'errors', errors: { [REVOKE_BLOCKS.ticket]: expect.stringContaining(expected) } });
      expect(JSON.stringify(ack)).not.toContain(ticket);
    }
    expect(snapshotTables(h.store, TABLES)).toEqual(before);

    expect(await submitRevoke(h, 'U0ONCALL', viewId as string, { confirm: PROD, ticket: 'INC-4' })).toMatchObject({
      response_action: 'update',
    });
    await followUpsSettled(h);
    before = snapshotTables(h.store, TABLES);
    for (const [url, expected] of [
      [`https://wiki.example/postmortems/4?key=${key}`, 'it looks like it holds a Stripe secret key'],
      [`https://owner:${alphanumeric(16)}@wiki.example/postmortems/4`, 'it looks like it holds a password'],
      ['https://wiki.example/postmortems/4\u202E', 'it holds invisible direction-changing characters'],
    ] as const) {
      const close = await clickOnStatus(h, 'U0ONCALL', ACTION_IDS.incidentClose);
      const answer = await submitIncidentForm(h, 'U0ONCALL', close.since, url);
      expect(answer, url).toMatchObject({ response_action: 'errors' });
      expect(JSON.stringify(answer)).toContain(expected);
      expect(JSON.stringify(answer)).not.toContain(url);
    }
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    await expectNowhere(h, [key]);
  });
});
