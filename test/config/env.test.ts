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
    expect(() => loadBotEnv({ SLACK_BOT_TOKEN: 'nope', SLACK_SIGNING_SECRET: 'x' })).toThrow(
      /SLACK_BOT_TOKEN must be a bot token starting with xoxb-/,
    );
    expect(() => loadBotEnv({ SLACK_BOT_TOKEN: token(), SLACK_SIGNING_SECRET: 'x', PORT: 'eighty' })).toThrow(/PORT must be a port number/);
  });

  it('refuses a cron schedule it cannot run, naming the variable and what is wrong', () => {
    const base = { SLACK_BOT_TOKEN: token(), SLACK_SIGNING_SECRET: 'x' };
    expect(() => loadBotEnv({ ...base, ROTOR_REMINDER_CRON: 'every-hour' })).toThrow(
      'Environment variable ROTOR_REMINDER_CRON is not a cron schedule ("every-hour": expected 5 or 6 fields but got 1); write five fields in UTC, e.g. "*/15 * * * *".',
    );
    expect(() => loadBotEnv({ ...base, ROTOR_SYNC_CRON: '61 * * * *' })).toThrow(
      /^Environment variable ROTOR_SYNC_CRON is not a cron schedule \("61 \* \* \* \*": 61 is a invalid expression for minute\)/,
    );
    expect(() => loadBotEnv({ ...base, ROTOR_FOLLOW_UP_CRON: '0 0 31 2 *' })).toThrow(
      /^Environment variable ROTOR_FOLLOW_UP_CRON is not a cron schedule .*impossible day of month/,
    );
    expect(loadBotEnv({ ...base, ROTOR_REMINDER_CRON: ' 0 * * * * ' }).ROTOR_REMINDER_CRON).toBe('0 * * * *');
    expect(loadBotEnv(base).ROTOR_FOLLOW_UP_CRON).toBe('* * * * *');
  });

  it('refuses half a Vault configuration, for the bot and the CLI alike', () => {
    const base = { SLACK_BOT_TOKEN: token(), SLACK_SIGNING_SECRET: 'x' };
    const vaultToken = ['hvs', String(Date.now())].join('.');
    expect(() => loadBotEnv({ ...base, VAULT_ADDR: 'https://vault.example.com:8200' })).toThrow(
      'Environment variable VAULT_TOKEN is not set but VAULT_ADDR is: set both to use Vault, or unset VAULT_ADDR to run without it.',
    );
    expect(() => loadCoreEnv({ VAULT_TOKEN: vaultToken })).toThrow(
      /^Environment variable VAULT_ADDR is not set but VAULT_TOKEN is: set both to use Vault/,
    );
    expect(loadCoreEnv({ VAULT_ADDR: 'https://vault.example.com:8200', VAULT_TOKEN: vaultToken }).VAULT_ADDR).toBe(
      'https://vault.example.com:8200',
    );
    expect(loadCoreEnv({}).VAULT_ADDR).toBeUndefined();
  });
});
