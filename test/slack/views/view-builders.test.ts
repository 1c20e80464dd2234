import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { Secret } from '../../../src/inventory/secret.js';
import { ACTION_IDS, CALLBACK_IDS } from '../../../src/slack/ids.js';
import { encodeListQuery } from '../../../src/slack/listeners/commands/secret-list-query.js';
import { helpText } from '../../../src/slack/listeners/commands/secrets-command-parser.js';
import { homeView, HOME_SECRET_LIMIT } from '../../../src/slack/views/home-view.js';
import { escapeMrkdwn } from '../../../src/slack/views/mrkdwn.js';
import { reviewMessage } from '../../../src/slack/views/review-message.js';
import { secretDetailMessage } from '../../../src/slack/views/secret-detail-message.js';
import { secretFormModal } from '../../../src/slack/views/secret-form-modal.js';
import { secretRowBlock } from '../../../src/slack/views/secret-row.js';
import { PAGE_SIZE, secretListMessage } from '../../../src/slack/views/secret-list-message.js';
import { textMessage } from '../../../src/slack/views/slack-message.js';
import { blockKitViolations } from '../../support/block-kit-limits.js';

const today = DateTime.fromISO('2026-11-22T10:00:00Z', { zone: 'utc' });
const hostile = '<!channel> <@U0BOSS> <https://evil.example|click> & ';

/** A secret with every text field at its longest and full of mrkdwn that must not be parsed. */
function worstCaseSecret(index: number): Secret {
  const segment = `svc${index}`.padEnd(64, 'x');
  return {
    id: index,
    name: `prod/${segment}/${'k'.repeat(64)}`,
    environment: 'prod',
    service: segment,
    credentialType: 'k'.repeat(64),
    type: 'api_key',
    description: hostile.repeat(200).slice(0, 2000),
    owner: 'U0OWNER',
    backupOwner: 'U0BACKUP',
    team: hostile.repeat(10).slice(0, 80),
    consumers: Array.from({ length: 50 }, (_, n) => `${hostile}${n}`),
    access: [],
    breakGlass: false,
    provider: 'aws',
    providerRef: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:' + 'n'.repeat(500),
    intervalDays: 90,
    lastRotated: '2026-01-01T00:00:00.000Z',
    nextRotation: '2026-04-01',
    lifecycle: 'active',
    retrievalInstructions: hostile.repeat(200).slice(0, 2000),
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

const secrets = Array.from({ length: 200 }, (_, index) => worstCaseSecret(index));

describe('escapeMrkdwn', () => {
  it('neutralises mentions, broadcasts and links', () => {
    expect(escapeMrkdwn('<!channel> <@U1> <https://x|y> a&b')).toBe('&lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; a&amp;b');
  });
});

describe('view builders stay within Block Kit limits with worst-case data', () => {
  it('a full list page: ≤ 50 blocks, each section ≤ 3000, a "Show more" button with a small value', () => {
    const moreValue = encodeListQuery({ kind: 'list', environment: 'prod', owner: 'U0OWNER', service: 's'.repeat(64), offset: 180 });
    const message = secretListMessage(
      { title: 'T'.repeat(400), secrets: secrets.slice(0, PAGE_SIZE), offset: 0, moreValue, emptyText: '' },
      today,
      30,
    );
    expect(blockKitViolations({ kind: 'message', blocks: message.blocks })).toEqual([]);
    const actions = message.blocks.at(-1);
    expect(actions).toMatchObject({ type: 'actions', elements: [{ action_id: ACTION_IDS.listMore, value: moreValue }] });
  });

  it('escapes every stored string in list rows', () => {
    const text = JSON.stringify(
      secretListMessage({ title: 'x', secrets: secrets.slice(0, 1), offset: 0, moreValue: null, emptyText: '' }, today, 30).blocks,
    );
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0BOSS>');
    expect(text).not.toContain('<https://evil');
    expect(text).toContain('<@U0OWNER>');
  });

  it('the detail message', () => {
    const message = secretDetailMessage(secrets[0] as Secret, today, 30);
    expect(blockKitViolations({ kind: 'message', blocks: message.blocks })).toEqual([]);
    expect(JSON.stringify(message.blocks)).not.toContain('<!channel>');
  });

  it('the review message with hundreds of findings', () => {
    const message = reviewMessage(
      {
        ownerGone: secrets.map((secret) => ({
          secretName: secret.name,
          flag: 'owner_not_in_slack',
          detail: 'owner <!channel> left',
          flaggedAt: '2026-11-01',
        })),
        unowned: secrets,
        withoutBackup: secrets,
        neverRotated: secrets,
        overdue: secrets,
      },
      today,
    );
    expect(blockKitViolations({ kind: 'message', blocks: message.blocks })).toEqual([]);
  });

  it('the help text and a plain reply cut at 3000 characters', () => {
    expect(blockKitViolations({ kind: 'message', blocks: textMessage(helpText()).blocks })).toEqual([]);
    expect(blockKitViolations({ kind: 'message', blocks: textMessage('y'.repeat(10_000)).blocks })).toEqual([]);
  });

  it('the add and edit modals: ≤ 100 blocks, title/submit/close ≤ 24, metadata ≤ 3000', () => {
    const add = secretFormModal(null);
    const edit = secretFormModal(secrets[0] as Secret);
    expect(add.callback_id).toBe(CALLBACK_IDS.addSecret);
    expect(edit.callback_id).toBe(CALLBACK_IDS.editSecret);
    expect(blockKitViolations({ kind: 'modal', view: add })).toEqual([]);
    expect(blockKitViolations({ kind: 'modal', view: edit })).toEqual([]);
  });

  it('the App Home with hundreds of secrets stays under 100 blocks and points to the rest', () => {
    const view = homeView({ userId: 'U0OWNER', secrets, rotations: [], awaitingApproval: [] }, today, 30);
    expect(blockKitViolations({ kind: 'home', view })).toEqual([]);
    expect(JSON.stringify(view.blocks)).toContain(`and ${secrets.length - HOME_SECRET_LIMIT} more`);
  });

  it('the limit checker itself catches violations', () => {
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    expect(blockKitViolations({ kind: 'message', blocks: tooMany })).toEqual(['51 blocks in a message']);
    const modal = { ...secretFormModal(null), title: { type: 'plain_text' as const, text: 'A title far longer than allowed' } };
    expect(blockKitViolations({ kind: 'modal', view: modal })).toEqual([expect.stringContaining('over 24')]);
  });
});

describe('secretRowBlock JSON contract', () => {
  it('renders one row exactly', () => {
    const secret: Secret = {
      ...worstCaseSecret(1),
      name: 'prod/stripe/api_key',
      description: 'Ping <!here>',
      team: 'payments',
      backupOwner: null,
    };
    expect(secretRowBlock(secret, today, 30)).toMatchInlineSnapshot(`
      {
        "text": {
          "text": "\`prod/stripe/api_key\`  :red_circle: overdue by 235 days (due 2026-04-01)
      Owner <@U0OWNER> · backup — · team payments
      _Ping &lt;!here&gt;_",
          "type": "mrkdwn",
        },
        "type": "section",
      }
    `);
  });
});
