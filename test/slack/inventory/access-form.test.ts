import type { ViewStateValue } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue, submittedView } from '../../support/slack-payloads.js';
import { sealedFor } from '../../support/sealed-metadata.js';
import { snapshotTables } from '../../support/temp-db.js';

const NAME = 'prod/vault/root_token';
const people = (ids: string[]): ViewStateValue => ({ type: 'multi_users_select', selected_users: ids });
const checked = (values: string[]): ViewStateValue => ({
  type: 'checkboxes',
  selected_options: values.map((value) => ({ text: { type: 'plain_text', text: value }, value })),
});

interface ModalBlock {
  block_id?: string;
  element?: { type: string; initial_users?: string[]; initial_value?: string; initial_options?: { value: string }[] };
}

/** `/secrets edit` sets who may read a secret and its break-glass flag; `/secrets show` says both. */
describe('the access list and break-glass flag in Slack', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness();
    for (const user of ['U0DBA', 'U0DBA2', 'U0READER']) harness.fake.addUser(user, 'UTC');
    harness.store.inventoryService.create(
      { name: NAME, owner: 'U0DBA', backupOwner: 'U0DBA2', type: 'generic', access: ['U0OLD', 'S0OLDGROUP'] },
      operator(),
      'test-seed',
    );
  });
  afterAll(async () => harness.close());

  async function submit(changes: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>>) {
    const secret = harness.store.inventory.get(NAME)!;
    const shown: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>> = {
      type: stateValue.select(secret.type),
      owner: stateValue.user(secret.owner),
      backupOwner: stateValue.user(secret.backupOwner),
      provider: stateValue.select(secret.provider),
      status: stateValue.select(secret.lifecycle),
      ...changes,
    };
    const values = Object.fromEntries(
      Object.entries(shown).map(([field, value]) => [
        SECRET_FORM_BLOCKS[field as keyof typeof SECRET_FORM_BLOCKS],
        { [FORM_VALUE_ACTION]: value },
      ]),
    );
    const view = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.editSecret,
      privateMetadata: sealedFor(harness, CALLBACK_IDS.editSecret, JSON.stringify({ name: NAME })),
      values,
    });
    const reply = await harness.submit({ userId: 'U0DBA', view });
    expect(reply.status).toBe(200);
    return reply.text === '' ? null : (reply.json() as { response_action: string; errors: Record<string, string> });
  }

  it('the edit form shows the people and the groups apart, and the break-glass box', async () => {
    const before = harness.fake.callsTo('views.open').length;
    await harness.command('/secrets', `edit ${NAME}`, 'U0DBA');
    await harness.fake.waitForCall('views.open', () => harness.fake.callsTo('views.open').length > before);
    const blocks = (harness.fake.callsTo('views.open').at(-1)!.args.view as { blocks: ModalBlock[] }).blocks;
    const block = (id: string) => blocks.find((candidate) => candidate.block_id === id);
    expect(block(SECRET_FORM_BLOCKS.accessUsers)?.element).toMatchObject({ type: 'multi_users_select', initial_users: ['U0OLD'] });
    expect(block(SECRET_FORM_BLOCKS.accessGroups)?.element).toMatchObject({ type: 'plain_text_input', initial_value: 'S0OLDGROUP' });
    expect(block(SECRET_FORM_BLOCKS.breakGlass)?.element?.type).toBe('checkboxes');
    expect(block(SECRET_FORM_BLOCKS.breakGlass)?.element?.initial_options).toBeUndefined();
  });

  it('a submission saves the people and groups as one list and the flag, audited', async () => {
    expect(
      await submit({
        accessUsers: people(['U0READER']),
        accessGroups: stateValue.text('S0OPS, S0DBAS'),
        breakGlass: checked(['break_glass']),
      }),
    ).toBeNull();
    expect(harness.store.inventory.get(NAME)).toMatchObject({ access: ['U0READER', 'S0OPS', 'S0DBAS'], breakGlass: true });
    const event = harness.store.db
      .prepare(`SELECT actor, details FROM audit_events WHERE action = 'secret.updated' AND secret = ? ORDER BY seq DESC LIMIT 1`)
      .get(NAME) as { actor: string; details: string };
    expect(event.actor).toBe('U0DBA');
    expect(JSON.parse(event.details).changes).toMatchObject({
      access: { from: ['U0OLD', 'S0OLDGROUP'], to: ['U0READER', 'S0OPS', 'S0DBAS'] },
      breakGlass: { from: false, to: true },
    });
  });

  it('a group typed as a name is refused on its field; nothing is saved', async () => {
    const before = snapshotTables(harness.store);
    const reply = await submit({
      accessUsers: people([]),
      accessGroups: stateValue.text('S0OPS, @platform-team'),
      breakGlass: checked([]),
    });
    expect(reply).toMatchObject({
      response_action: 'errors',
      errors: {
        [SECRET_FORM_BLOCKS.accessGroups]: expect.stringContaining(
          '`@platform-team` is not a Slack member id (U0123ABCD) or user group id (S0123ABCD)',
        ),
      },
    });
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('/secrets show names who else can read it and that it is a break-glass credential', async () => {
    const { responseUrl } = await harness.command('/secrets', `show ${NAME}`, 'U0DBA');
    const response = await harness.fake.waitForResponse((candidate) => candidate.id === responseIdOf(responseUrl));
    const text = JSON.stringify(response.body.blocks);
    expect(text).toContain('*Who else can read it*\\n<@U0READER>, <!subteam^S0OPS>, <!subteam^S0DBAS>');
    expect(text).toContain('*Break-glass credential*');
    expect(text).toContain(`/secrets used ${NAME} &lt;reason&gt;`);
  });
});
