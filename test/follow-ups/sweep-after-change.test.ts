import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import type { Runtime } from '../../src/runtime.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { operator, slackActor } from '../support/actors.js';
import { fakeSlackRuntime } from '../support/fake-slack-runtime.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

const POLICY = parsePolicy(`
roles:
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
`);

/**
 * A change that owes messages now (a rotation's approval requests) starts a follow-up sweep of
 * its own; the runtime says when that sweep is over, which is what shutdown waits for before it
 * closes the database.
 */
describe('the follow-up sweep a change starts', () => {
  let store: TempStore;
  let slack: FakeSlackApi;
  let runtime: Runtime;

  beforeEach(async () => {
    slack = new FakeSlackApi();
    await slack.start();
    for (const user of ['U0OWNER', 'U0SEC', 'U0OPS']) slack.addUser(user);
    store = openTempStore({ at: '2027-03-01T10:00:00Z', policy: POLICY });
    store.inventoryService.create(
      { name: 'prod/app/token', owner: 'U0OWNER', consumers: ['web'], lastRotated: '2027-01-01' },
      operator(),
      'test',
    );
    runtime = fakeSlackRuntime(store, slack);
  });
  afterEach(async () => {
    await slack.close();
    store.close();
  });

  it('has sent what the change owed once settled() resolves, with no sweep run by hand', async () => {
    await runtime.rotation.start(slackActor('U0OWNER'), 'prod/app/token', { ticket: 'SEC-1' });
    await runtime.settled();
    const requested = slack.callsTo('chat.postMessage').filter((call) => /Approval requested/.test(String(call.args.text)));
    expect(requested.map((call) => call.args.channel).sort()).toEqual(['U0OPS', 'U0SEC']);
    expect(
      store.db
        .prepare(`SELECT count(*) FROM follow_ups WHERE state IN ('claimed', 'pending') AND due_at <= ?`)
        .pluck()
        .get('2027-03-01T10:00:00.000Z'),
    ).toBe(0);
  });
});
