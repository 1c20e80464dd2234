import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBotEnv } from '../../../src/config/env.js';
import { createLogger } from '../../../src/logging/logger.js';
import { startRotor, type RotorRuntime } from '../../../src/main.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { generateSlackCredentials } from '../../support/slack-signing.js';
import { openTempStore, type TempStore } from '../../support/temp-db.js';

/**
 * Issue 24 item 2, bad input: a role the policy defines names a user group Slack does not know.
 * Start-up reads usergroups.list once (at the fake Slack) and stops, naming the group and the
 * role's key; a group Slack knows starts the bot with its members cached.
 */

const policyNaming = (group: string) => `
roles:
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
  oncall_primary: ${group}
reminders:
  escalation: [owner, oncall_primary, security]
`;

describe('a role naming a user group, at start-up', () => {
  const fake = new FakeSlackApi();
  let store: TempStore | undefined;
  let runtime: RotorRuntime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    await fake.close();
    store?.close();
  });

  async function start(policy: string): Promise<RotorRuntime> {
    await fake.start();
    store = openTempStore();
    const policyPath = join(store.dir, 'policy.yml');
    writeFileSync(policyPath, policy);
    const credentials = generateSlackCredentials();
    const env = loadBotEnv({
      SLACK_BOT_TOKEN: credentials.botToken,
      SLACK_SIGNING_SECRET: credentials.signingSecret,
      SLACK_API_URL: fake.apiUrl,
      ROTOR_DB: store.path,
      ROTOR_CONFIG: policyPath,
      ROTOR_REMINDER_CRON: '0 0 29 2 *',
      ROTOR_FOLLOW_UP_CRON: '0 0 29 2 *',
    });
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    return startRotor({ ...env, PORT: 0 }, { logger: createLogger('info', sink), clock: store.clock, host: '127.0.0.1' });
  }

  it('refuses a user group Slack does not know, naming it and the role', async () => {
    fake.script('usergroups.list', { body: { ok: true, usergroups: [{ id: 'S0OTHER', users: ['U0SRE'] }] } });
    await expect(start(policyNaming('S0ONCALL'))).rejects.toThrow(/user groups Slack does not know: S0ONCALL in roles\.oncall_primary/);
    expect(fake.callsTo('usergroups.list')).toHaveLength(1);
  });

  it('refuses a user group Slack does not know in a built-in list the same way, naming roles.security_leads', async () => {
    fake.script('usergroups.list', { body: { ok: true, usergroups: [{ id: 'S0ONCALL', users: ['U0SRE'] }] } });
    const policy = policyNaming('S0ONCALL').replace('security_leads: [U0SEC]', 'security_leads: [U0SEC, S0GHOST]');
    const asked = fake.callsTo('usergroups.list').length;
    await expect(start(policy)).rejects.toThrow(/user groups Slack does not know: S0GHOST in roles\.security_leads\./);
    expect(fake.callsTo('usergroups.list')).toHaveLength(asked + 1);
  });

  it('starts with a user group Slack knows, its members cached for the role', async () => {
    fake.script('usergroups.list', { body: { ok: true, usergroups: [{ id: 'S0ONCALL', users: ['U0SRE'] }] } });
    runtime = await start(policyNaming('S0ONCALL'));
    expect(store?.userGroups.membersOf('S0ONCALL')).toEqual(['U0SRE']);
  });
});
