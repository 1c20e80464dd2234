import { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../src/config/policy.js';
import { refreshUserGroups, USER_GROUP_REFRESH_MINUTES } from '../../../src/slack/outbound/slack-user-groups.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { operator } from '../../support/actors.js';
import { generateSlackCredentials } from '../../support/slack-signing.js';
import { openTempStore, type TempStore } from '../../support/temp-db.js';

/** User groups in access lists are resolved through Slack, kept in the database, and asked for again only when stale. */
describe('user group members for visibility', () => {
  let fake: FakeSlackApi;
  let store: TempStore;
  let client: WebClient;
  const logger = pino({ level: 'silent' });

  beforeEach(async () => {
    fake = new FakeSlackApi();
    await fake.start();
    client = new WebClient(generateSlackCredentials().botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    store = openTempStore({ policy: parsePolicy('') });
  });
  afterEach(async () => {
    store.close();
    await fake.close();
  });

  const seedGroupReader = () =>
    store.inventoryService.create({ name: 'prod/ledger/token', owner: 'U0OWNER', access: ['S0READERS'] }, operator(), 'test-seed');
  const groups = (body: { id: string; users: string[] }[]) => ({ body: { ok: true, usergroups: body } });

  it('asks Slack nothing while no access list or team names a user group', async () => {
    store.inventoryService.create({ name: 'prod/ledger/token', owner: 'U0OWNER', access: ['U0READER'] }, operator(), 'test-seed');
    await refreshUserGroups(client, store, logger);
    expect(fake.callsTo('usergroups.list')).toEqual([]);
  });

  it('stores the members, asks again only once the answer is stale, and keeps the last answer when Slack fails', async () => {
    seedGroupReader();
    fake.script('usergroups.list', groups([{ id: 'S0READERS', users: ['U0GROUPIE'] }]));
    await refreshUserGroups(client, store, logger);
    expect(store.userGroups.groupsOf('U0GROUPIE')).toEqual(['S0READERS']);

    store.clock.advance({ minutes: USER_GROUP_REFRESH_MINUTES - 1 });
    await refreshUserGroups(client, store, logger);
    expect(fake.callsTo('usergroups.list')).toHaveLength(1);

    store.clock.advance({ minutes: 2 });
    fake.script('usergroups.list', { error: 'missing_scope' });
    await refreshUserGroups(client, store, logger);
    expect(fake.callsTo('usergroups.list')).toHaveLength(2);
    expect(store.userGroups.groupsOf('U0GROUPIE')).toEqual(['S0READERS']);

    fake.script('usergroups.list', groups([{ id: 'S0READERS', users: ['U0NEWCOMER'] }]));
    await refreshUserGroups(client, store, logger);
    expect(store.userGroups.groupsOf('U0GROUPIE')).toEqual([]);
    expect(store.userGroups.groupsOf('U0NEWCOMER')).toEqual(['S0READERS']);
  });

  it('under visibility: workspace never asks', async () => {
    store.close();
    store = openTempStore({ policy: parsePolicy('visibility: workspace\n') });
    seedGroupReader();
    await refreshUserGroups(client, store, logger);
    expect(fake.callsTo('usergroups.list')).toEqual([]);
  });
});
