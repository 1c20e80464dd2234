import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue, submittedView } from '../../support/slack-payloads.js';

/**
 * The one 'slack request handled' line a request gets is written by a logger without redaction
 * (requestLineLogger: its keys are fixed, none a redacted path). Pinned here: its keys are
 * exactly the known ones, and nothing a person typed or submitted reaches it.
 */
/** What pino and the Slack adapter's logger put on every line. */
const PINO_KEYS = ['level', 'time', 'service', 'component', 'msg'];

describe("the request line's keys, through the real app", () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ env: { ROTOR_REPLY_WORKERS: '1' } });
    harness.store.inventoryService.create({ name: 'prod/stripe/api_key', owner: 'U0PAY' }, operator('U0ADMIN'), 'test');
  });
  afterAll(async () => harness.close());

  const handledFor = (user: string, kind: string) =>
    harness.waitForLog((line) => line.msg === 'slack request handled' && line.user === user && line.kind === kind, 10_000);

  it('a signed `/secrets show` (answered by a reply worker): the known keys, not the name asked for', async () => {
    const typed = `prod/${randomBytes(6).toString('hex')}/api_key`;
    await harness.command('/secrets', `show ${typed}`, 'U0SEC');
    const line = await handledFor('U0SEC', 'command');
    expect(Object.keys(line).sort()).toEqual([...PINO_KEYS, 'kind', 'name', 'user', 'outcome', 'latencyMs', 'replyWorker'].sort());
    expect(line).toMatchObject({ component: 'slack', kind: 'command', name: '/secrets show', user: 'U0SEC', replyWorker: true });
    expect(JSON.stringify(line)).not.toContain(typed);
  });

  it('a view_submission (through Bolt): the known keys, and none of the submitted values', async () => {
    harness.fake.addUser('U0OPS');
    const submitted = {
      name: `dev/${randomBytes(6).toString('hex')}/api_key`,
      description: randomBytes(9).toString('hex'),
      retrievalInstructions: randomBytes(9).toString('hex'),
    };
    const view = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.addSecret,
      values: {
        [SECRET_FORM_BLOCKS.name]: { [FORM_VALUE_ACTION]: stateValue.text(submitted.name) },
        [SECRET_FORM_BLOCKS.type]: { [FORM_VALUE_ACTION]: stateValue.select('api_key') },
        [SECRET_FORM_BLOCKS.owner]: { [FORM_VALUE_ACTION]: stateValue.user('U0OPS') },
        [SECRET_FORM_BLOCKS.provider]: { [FORM_VALUE_ACTION]: stateValue.select('manual') },
        [SECRET_FORM_BLOCKS.description]: { [FORM_VALUE_ACTION]: stateValue.text(submitted.description) },
        [SECRET_FORM_BLOCKS.retrievalInstructions]: { [FORM_VALUE_ACTION]: stateValue.text(submitted.retrievalInstructions) },
      },
    });
    expect((await harness.submit({ userId: 'U0OPS', view })).status).toBe(200);
    const line = await handledFor('U0OPS', 'view_submission');
    // The values did arrive (the secret is saved with them); only the log line is without them.
    expect(harness.store.inventory.get(submitted.name)).toMatchObject({ description: submitted.description });
    expect(Object.keys(line).sort()).toEqual([...PINO_KEYS, 'kind', 'name', 'user', 'outcome', 'latencyMs'].sort());
    expect(line).toMatchObject({ component: 'slack', kind: 'view_submission', name: CALLBACK_IDS.addSecret, user: 'U0OPS', outcome: 'ok' });
    for (const value of Object.values(submitted)) expect(JSON.stringify(line)).not.toContain(value);
  });
});
