import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../../src/slack/ids.js';
import { startSlackHarness, responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import {
  blockSuggestion,
  globalShortcut,
  messageShortcut,
  submittedView,
  viewClosed,
  viewSubmission,
} from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';

/** Interactions nothing in this build handles: each is acknowledged at once, explained where someone reads it, and counted as such. */
describe('interactions Rotor does not handle', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
  });
  afterAll(async () => harness.close());

  async function requestCounts(): Promise<Record<string, number>> {
    const text = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const match of text.matchAll(/^rotor_slack_requests_total\{kind="([^"]+)",outcome="([^"]+)"\} (\d+)$/gm))
      counts[`${match[1]}/${match[2]}`] = Number(match[3]);
    return counts;
  }

  const loggedOf = (kind: string) => harness.logLines.filter((line) => line.msg === 'slack request handled' && line.kind === kind).length;

  it('an unknown view_submission (a modal from an older build) is answered at once with a notice in place of the form; nothing is saved', async () => {
    const before = snapshotTables(harness.store);
    const view = submittedView(harness.payloads, {
      callbackId: 'secret_edit_modal_v0',
      privateMetadata: '{"name":"prod/app/db"}',
      values: {},
    });
    const reply = await harness.post({ kind: 'payload', payload: viewSubmission(harness.payloads, { userId: 'U0OPS', view }) });
    expect(reply.status).toBe(200);
    const body = reply.json() as {
      response_action: string;
      view: { type: string; title: { text: string }; blocks: { text: { text: string } }[] };
    };
    expect(body.response_action).toBe('update');
    expect(body.view.type).toBe('modal');
    expect(body.view.title.text.length).toBeLessThanOrEqual(24);
    expect(body.view.blocks[0]?.text.text).toContain('This form is from an older version of Rotor, so nothing was saved.');
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('a view_closed is acknowledged with nothing to say', async () => {
    const view = submittedView(harness.payloads, { callbackId: CALLBACK_IDS.editSecret, values: {} });
    const reply = await harness.post({ kind: 'payload', payload: viewClosed(harness.payloads, { userId: 'U0OPS', view }) });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
  });

  it('a global or message shortcut is acknowledged and opens a notice saying Rotor has no such shortcut', async () => {
    for (const payload of [
      globalShortcut(harness.payloads, { callbackId: 'rotor_old_shortcut', userId: 'U0OPS' }),
      messageShortcut(harness.payloads, { callbackId: 'rotor_report_leak', userId: 'U0OPS' }),
    ]) {
      const reply = await harness.post({ kind: 'payload', payload });
      expect(reply.status).toBe(200);
      const opened = await harness.fake.waitForCall('views.open', (call) => call.args.trigger_id === payload.trigger_id);
      expect(JSON.stringify(opened.args.view)).toContain('Rotor has no shortcut by that name');
    }
  });

  it('a block_suggestion (options request) nobody provides is answered with one line saying so', async () => {
    const reply = await harness.post({
      kind: 'payload',
      payload: blockSuggestion(harness.payloads, { actionId: 'secret_picker_v0', value: 'prod/', userId: 'U0OPS' }),
    });
    expect(reply.status).toBe(200);
    const { options } = reply.json() as { options: { text: { type: string; text: string }; value: string }[] };
    expect(options).toHaveLength(1);
    expect(options[0]?.text.text).toBe('This menu is from an older Rotor: close it and run the command again');
    expect(options[0]?.text.text.length).toBeLessThanOrEqual(75);
  });

  it('counts each of them as unhandled, a stale button too, and handled requests still as ok', async () => {
    const before = await requestCounts();
    const kinds = ['view_submission', 'view_closed', 'shortcut', 'message_action', 'block_suggestion', 'action', 'command'];
    const loggedBefore = Object.fromEntries(kinds.map((kind) => [kind, loggedOf(kind)]));
    const view = submittedView(harness.payloads, { callbackId: 'secret_edit_modal_v0', values: {} });
    await harness.post({ kind: 'payload', payload: viewSubmission(harness.payloads, { userId: 'U0OPS', view }) });
    await harness.post({ kind: 'payload', payload: viewClosed(harness.payloads, { userId: 'U0OPS', view }) });
    await harness.post({
      kind: 'payload',
      payload: globalShortcut(harness.payloads, { callbackId: 'rotor_old_shortcut', userId: 'U0OPS' }),
    });
    await harness.post({
      kind: 'payload',
      payload: messageShortcut(harness.payloads, { callbackId: 'rotor_report_leak', userId: 'U0OPS' }),
    });
    await harness.post({
      kind: 'payload',
      payload: blockSuggestion(harness.payloads, { actionId: 'secret_picker_v0', value: 'x', userId: 'U0OPS' }),
    });
    const stale = await harness.click({ actionId: 'reminder_start_rotation_v0', value: 'x', userId: 'U0OPS' });
    expect((await harness.fake.waitForResponse((response) => response.id === responseIdOf(stale.responseUrl))).body.text).toContain(
      'That button is not one this Rotor handles',
    );
    await harness.command('/secrets', 'help', 'U0OPS');
    // Each request's log line (and its count) is written once its handling is over.
    for (const kind of kinds) await harness.waitForLog(() => loggedOf(kind) > (loggedBefore[kind] ?? 0));
    const after = await requestCounts();
    const delta = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
    expect({
      view_submission: delta('view_submission/unhandled'),
      view_closed: delta('view_closed/unhandled'),
      shortcut: delta('shortcut/unhandled'),
      message_action: delta('message_action/unhandled'),
      block_suggestion: delta('block_suggestion/unhandled'),
      action: delta('action/unhandled'),
      command: delta('command/ok'),
    }).toEqual({ view_submission: 1, view_closed: 1, shortcut: 1, message_action: 1, block_suggestion: 1, action: 1, command: 1 });
    for (const kind of ['view_submission', 'view_closed', 'shortcut', 'message_action', 'block_suggestion', 'action'])
      expect(delta(`${kind}/ok`)).toBe(0);
    const shortcutLine = harness.logLines.find((line) => line.msg === 'slack request handled' && line.kind === 'shortcut');
    expect(shortcutLine).toMatchObject({ name: 'rotor_old_shortcut', outcome: 'unhandled', user: 'U0OPS' });
    expect(harness.rawLog()).not.toContain('not acknowledged within 3 seconds');
  });
});
