import { randomBytes } from 'node:crypto';
import { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { ActionRegistry } from '../../../src/slack/listeners/action-registry.js';

describe('ActionRegistry', () => {
  it('refuses an action listener registered after the catch-all, which would also match it', () => {
    const app = new App({
      signingSecret: randomBytes(16).toString('hex'),
      token: `xoxb-${randomBytes(8).toString('hex')}`,
      tokenVerificationEnabled: false,
    });
    const registry = new ActionRegistry(app);
    registry.on('rotation_open', async () => {});
    registry.onUnhandled(async () => {});
    expect(() => registry.on('rotation_late', async () => {})).toThrow(/rotation_late was registered after onUnhandled\(\)/);
    expect(() => registry.on(/^late_/, async () => {})).toThrow(/register every action listener before the catch-all/);
  });
});
