import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { Secret } from '../../../src/inventory/secret.js';
import { escapeWithin, truncateMrkdwn } from '../../../src/slack/views/mrkdwn.js';
import { secretDetailMessage } from '../../../src/slack/views/secret-detail-message.js';
import { secretRowBlock } from '../../../src/slack/views/secret-row.js';
import { textMessage } from '../../../src/slack/views/slack-message.js';
import { blockKitViolations } from '../../support/block-kit-limits.js';

const today = DateTime.fromISO('2026-11-22T10:00:00Z', { zone: 'utc' });

/** Text made only of what escaping multiplies (`&` becomes five characters): the 10,014-character section. */
function ampersandSecret(char: '&' | '<' | '>'): Secret {
  const text = char.repeat(2000);
  return {
    id: 1,
    name: 'prod/app/key',
    environment: 'prod',
    service: 'app',
    credentialType: 'key',
    type: 'api_key',
    description: text,
    owner: 'U0OWNER',
    backupOwner: null,
    team: char.repeat(80),
    consumers: Array.from({ length: 100 }, () => char.repeat(20)),
    access: [],
    breakGlass: false,
    provider: 'vault',
    providerRef: `secret/${'p/'.repeat(1000)}x`,
    intervalDays: 90,
    lastRotated: null,
    nextRotation: '2026-12-01',
    lifecycle: 'active',
    retrievalInstructions: text,
    tags: {},
    checklistOverride: null,
    valueSource: null,
    valueField: null,
    target: null,
    currentVersionId: null,
    currentFingerprint: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('text is cut after it is escaped, so no section passes Block Kit limits', () => {
  it.each(['&', '<', '>'] as const)('/secrets show with 2,000 × %s in the description and the instructions', (char) => {
    const message = secretDetailMessage(ampersandSecret(char), today, 30);
    expect(blockKitViolations({ kind: 'message', blocks: message.blocks })).toEqual([]);
    const sections = message.blocks.map((block) => ('text' in block ? ((block.text as { text?: string } | undefined)?.text ?? '') : ''));
    for (const text of sections) expect(text.length).toBeLessThanOrEqual(3000);
    expect(JSON.stringify(message.blocks)).not.toMatch(/&(?:a|am|amp|l|lt|g|gt)…/);
  });

  it('a list row with such a description', () => {
    expect(blockKitViolations({ kind: 'message', blocks: [secretRowBlock(ampersandSecret('&'), today, 30)] })).toEqual([]);
  });

  it('escapeWithin never splits an entity and counts what Slack receives', () => {
    expect(escapeWithin('a&b', 10)).toBe('a&amp;b');
    expect(escapeWithin('&&&', 12)).toBe('&amp;&amp;…');
    expect(escapeWithin('&&&', 11)).toBe('&amp;&amp;…');
    expect(escapeWithin('&&&', 10)).toBe('&amp;…');
    expect(escapeWithin('ab😀cd', 4)).toBe('ab…');
    expect(escapeWithin('x'.repeat(3000), 2000)).toHaveLength(2000);
  });

  it('a plain reply of escaped text is cut before an entity, not inside one', () => {
    const cut = truncateMrkdwn(`${'x'.repeat(2997)}&amp;rest`, 3000);
    expect(cut).toBe(`${'x'.repeat(2997)}…`);
    expect(textMessage(`${'x'.repeat(2996)}&lt;&lt;`).text).toBe(`${'x'.repeat(2996)}…`);
  });
});
