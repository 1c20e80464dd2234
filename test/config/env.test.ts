import { describe, expect, it } from 'vitest';
import { loadBotEnv, loadCoreEnv } from '../../src/config/env.js';

const token = () => ['xoxb', String(Date.now())].join('-');

describe('environment', () => {
  it('defaults the database path and HTTP port', () => {
    expect(loadCoreEnv({}).ROTOR_DB).toBe('./data/rotor.db');
    expect(loadBotEnv({ SLACK_BOT_TOKEN: token(), SLACK_SIGNING_SECRET: 'x' }).PORT).toBe(3000);
  });

  it('stops with one line naming every missing Slack variable', () => {
    expect(() => loadBotEnv({})).toThrow(/^Missing environment variables SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET: .*README/);
  });

  it('names a wrong variable and what is expected', () => {
    expect(() => loadBotEnv({ SLACK_BOT_TOKEN: 'nope', SLACK_SIGNING_SECRET: 'x' })).toThrow(/SLACK_BOT_TOKEN must be a bot token starting with xoxb-/);
    expect(() => loadBotEnv({ SLACK_BOT_TOKEN: token(), SLACK_SIGNING_SECRET: 'x', PORT: 'eighty' })).toThrow(/PORT must be a port number/);
  });
});
