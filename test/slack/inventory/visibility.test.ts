import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRows, parseRows } from '../../../src/import-export/import-service.js';
import { personalFeedToken } from '../../../src/reminders/calendar-feed-token.js';
import { operator } from '../../support/actors.js';
import { startSlackHarness, responseIdOf, TEST_POLICY, type SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import type { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import type { TempStore } from '../../support/temp-db.js';

/**
 * Issue 24, who sees what: under `visibility: restricted` (the default) a member sees only the
 * secrets they own, back up, may read (the access list, user groups resolved) or that belong to
 * their team, on every /secrets subcommand, "Show more", App Home and their calendar feed; under
 * `visibility: workspace` everyone sees everything, as before.
 */

const TEAMS = `teams:\n  payments: [U0PAYDEV]\n`;

/** Another team's secrets, and one a user group may read. Dates come from the test clock. */
function inventoryYaml(store: TempStore): string {
  const daysAgo = (days: number) => store.clock.now().minus({ days }).toISODate();
  return `
- name: prod/platformdb/password
  owner: U0DBA
  team: platform
  provider: aws
  provider_ref: arn:aws:secretsmanager:eu-west-1:123456789012:secret:platform-db
  retrieval_instructions: "Read it from the platform vault"
  last_rotated: ${daysAgo(120)}
  interval_days: 90
- name: prod/stripe/api_key
  owner: U0PAY
  team: payments
  last_rotated: ${daysAgo(100)}
  interval_days: 90
- name: staging/ledger/token
  owner: U0LEDGER
  team: ledger
  access: S0READERS
  last_rotated: ${daysAgo(30)}
  interval_days: 90
`;
}

const OTHER_TEAMS_NAMES = ['prod/platformdb/password', 'platform-db', 'platformdb', 'platform vault', 'staging/ledger/token'];
const ALL_NAMES = ['prod/platformdb/password', 'prod/stripe/api_key', 'staging/ledger/token'];

async function seeded(policy: string, env: Record<string, string> = {}): Promise<SlackHarness> {
  return startSlackHarness({
    policy,
    env,
    beforeStart: ({ fake, store }: { fake: FakeSlackApi; store: TempStore }) => {
      const report = importRows(parseRows('yaml', inventoryYaml(store), store), store, {
        actor: operator('U0ADMIN'),
        source: 'inventory.yml',
      });
      expect(report.written).toBe(true);
      fake.script('usergroups.list', { body: { ok: true, usergroups: [{ id: 'S0READERS', users: ['U0GROUPIE'] }] } });
    },
  });
}

async function answer(harness: SlackHarness, text: string, userId: string): Promise<{ text: string; all: string }> {
  const reply = await harness.command('/secrets', text, userId);
  expect(reply.status).toBe(200);
  const id = responseIdOf(reply.responseUrl);
  const body = (await harness.fake.waitForResponse((response) => response.id === id)).body;
  return { text: String(body.text), all: JSON.stringify(body) };
}

/** Every /secrets subcommand that reads the inventory (add opens a form, help names nothing). */
const READING_SUBCOMMANDS = [
  'overdue',
  'due 365d',
  'list',
  'list prod',
  'list <@U0DBA>',
  'list platformdb',
  'review',
  'show prod/platformdb/password',
  'edit prod/platformdb/password',
  'owner prod/platformdb/password <@U0OUTSIDER>',
];

/**
 * Each runs with the read-only replies made on the main thread (ROTOR_REPLY_WORKERS=0) and by a
 * reply worker (1): the worker judges with the same InventoryReader, and its refusals reach the
 * same audit log through the main thread.
 */
describe.each([
  { workers: '0', where: 'replies made on the main thread' },
  { workers: '1', where: 'replies made by a reply worker' },
])('$where', ({ workers }) => {
  it('the read-only replies come from where ROTOR_REPLY_WORKERS says', async () => {
    const harness = await seeded(TEST_POLICY, { ROTOR_REPLY_WORKERS: workers });
    try {
      await answer(harness, 'overdue', 'U0SEC');
      const handled = await harness.waitForLog((line) => line.msg === 'slack request handled' && line.name === '/secrets overdue');
      expect(handled.replyWorker === true).toBe(workers !== '0');
    } finally {
      await harness.close();
    }
  });

  describe('visibility: restricted (the default)', () => {
    let harness: SlackHarness;
    const calendarToken = randomBytes(24).toString('hex');
    beforeAll(async () => {
      harness = await seeded(`${TEST_POLICY}${TEAMS}`, { ROTOR_CALENDAR_TOKEN: calendarToken, ROTOR_REPLY_WORKERS: workers });
    });
    afterAll(async () => harness.close());

    it.each(READING_SUBCOMMANDS)(
      '`/secrets %s` by an outsider names none of the secrets, counts none, and says who can help',
      async (text) => {
        const before = snapshotTables(harness.store, ['secrets']);
        const reply = await answer(harness, text.replace('<@U0OUTSIDER>', '<@U0OUTSIDER|outsider>'), 'U0OUTSIDER');
        // What the member typed may come back to them; nothing else of the inventory may.
        const typed = text.split(' ')[1] ?? '';
        const shown = reply.all.replaceAll(typed, '<typed>');
        for (const name of OTHER_TEAMS_NAMES) expect(shown).not.toContain(name);
        expect(shown).not.toContain('prod/stripe/api_key');
        expect(shown).not.toContain('U0DBA>');
        expect(reply.all).not.toMatch(/Overdue secrets: \d/);
        expect(reply.text).toMatch(/^:no_entry: /);
        expect(reply.text).toContain('security leads (<@U0SEC>)');
        expect(reply.text).toContain('admins (<@U0ADMIN>)');
        expect(snapshotTables(harness.store, ['secrets'])).toEqual(before);
      },
    );

    it('`show` of part of a name suggests none of the secrets the member may not see', async () => {
      const reply = await answer(harness, 'show platformdb', 'U0OUTSIDER');
      expect(reply.text).toContain('`platformdb` has 1 segment');
      expect(reply.text).not.toContain('Did you mean');
      for (const name of ALL_NAMES) expect(reply.all).not.toContain(name);
      const member = await answer(harness, 'show stripe', 'U0PAYDEV');
      expect(member.text).toContain('Did you mean: prod/stripe/api_key?');
      expect(member.all).not.toContain('prod/platformdb/password');
    });

    it('`show` of a hidden secret reads exactly like `show` of one that does not exist, is audited, and opens nothing', async () => {
      const hidden = await answer(harness, 'show prod/platformdb/password', 'U0OUTSIDER');
      const missing = await answer(harness, 'show prod/platformdb/passwore', 'U0OUTSIDER');
      expect(hidden.text.replace('password', 'NAME')).toBe(missing.text.replace('passwore', 'NAME'));
      expect(hidden.text).toContain('There is no secret named `prod/platformdb/password` that you may see');
      expect(hidden.text).not.toContain('U0DBA');
      const denied = harness.store.db
        .prepare(`SELECT actor, secret, details FROM audit_events WHERE action = 'access.denied' AND actor = 'U0OUTSIDER'`)
        .all() as { actor: string; secret: string | null; details: string }[];
      expect(denied.length).toBeGreaterThan(0);
      expect(JSON.parse(denied[0]?.details ?? '{}')).toMatchObject({ attempted: 'read' });
      // One audited refusal opens the window; the outsider's repeats within it are counted, not logged one by one.
      expect(denied).toHaveLength(1);
      const window = harness.store.db
        .prepare(`SELECT repeats FROM refusal_windows WHERE actor = 'U0OUTSIDER' AND attempted = 'read'`)
        .get() as { repeats: number };
      expect(window.repeats).toBeGreaterThan(0);
      expect(harness.fake.callsTo('views.open')).toEqual([]);
    });

    it('/rotate of a hidden secret is refused with the read refusal, naming none of its people, and opens nothing', async () => {
      const ask = async (name: string) => {
        const reply = await harness.command('/rotate', name, 'U0OUTSIDER');
        const id = responseIdOf(reply.responseUrl);
        return JSON.stringify((await harness.fake.waitForResponse((response) => response.id === id)).body);
      };
      const hidden = await ask('prod/platformdb/password');
      expect(hidden).toContain('There is no secret named `prod/platformdb/password` that you may see');
      expect(hidden).not.toContain('U0DBA');
      expect(harness.fake.callsTo('views.open')).toEqual([]);
    });

    it("a team member sees their team's secret and nothing else; the overdue count is theirs", async () => {
      const overdue = await answer(harness, 'overdue', 'U0PAYDEV');
      expect(overdue.all).toContain('prod/stripe/api_key');
      expect(overdue.all).not.toContain('prod/platformdb/password');
      expect(overdue.all).toContain('Overdue secrets: 1');
      expect(overdue.all).toContain('Only the secrets you may see');
      const list = await answer(harness, 'list', 'U0PAYDEV');
      expect(list.all).toContain('prod/stripe/api_key');
      for (const name of OTHER_TEAMS_NAMES) expect(list.all).not.toContain(name);
      const show = await answer(harness, 'show prod/stripe/api_key', 'U0PAYDEV');
      expect(show.all).toContain('<@U0PAY>');
      const suggestion = await answer(harness, 'show prod/stripe/api_kye', 'U0PAYDEV');
      expect(suggestion.text).toContain('Did you mean: prod/stripe/api_key');
      for (const name of OTHER_TEAMS_NAMES) expect(suggestion.all).not.toContain(name);
    });

    it("a member of a user group in a secret's access list reads that secret (Slack asked once), and only it", async () => {
      const show = await answer(harness, 'show staging/ledger/token', 'U0GROUPIE');
      expect(show.all).toContain('staging/ledger/token');
      const list = await answer(harness, 'list', 'U0GROUPIE');
      expect(list.all).toContain('staging/ledger/token');
      expect(list.all).not.toContain('prod/platformdb/password');
      expect(list.all).not.toContain('prod/stripe/api_key');
      expect(harness.fake.callsTo('usergroups.list').length).toBe(1);
    });

    it("the owner and the inventory's keepers see what is theirs to see", async () => {
      const owner = await answer(harness, 'show prod/platformdb/password', 'U0DBA');
      expect(owner.all).toContain('platform-db');
      for (const keeper of ['U0SEC', 'U0OPS', 'U0ADMIN']) {
        const list = await answer(harness, 'list', keeper);
        for (const name of ALL_NAMES) expect(list.all).toContain(name);
        expect(list.all).not.toContain('Only the secrets you may see');
      }
    });

    it('"Show more" is judged for whoever clicks it', async () => {
      const reply = await harness.click({
        actionId: 'secrets_list_more',
        value: JSON.stringify({ kind: 'list', offset: 0 }),
        userId: 'U0OUTSIDER',
      });
      expect(reply.status).toBe(200);
      const id = responseIdOf(reply.responseUrl);
      const body = JSON.stringify((await harness.fake.waitForResponse((response) => response.id === id)).body);
      for (const name of ALL_NAMES) expect(body).not.toContain(name);
      expect(body).toContain(':no_entry:');
    });

    it("App Home shows an outsider none of another team's secrets, and their own calendar link", async () => {
      await harness.untilHandled(() => harness.openHome('U0OUTSIDER'));
      const publish = await harness.fake.waitForCall('views.publish', (call) => call.args.user_id === 'U0OUTSIDER');
      const view = JSON.stringify(publish.args.view);
      for (const name of ALL_NAMES) expect(view).not.toContain(name);
      expect(view).toContain(`token=${personalFeedToken(calendarToken, 'U0OUTSIDER')}`);
      expect(view).not.toContain(calendarToken);
    });

    it('the calendar feed per person holds only their secrets; the shared feed is off; a token opens only its own feed', async () => {
      const feed = async (query: string) => fetch(`${harness.baseUrl}/calendar.ics?${query}`);
      const payDev = await feed(`user=U0PAYDEV&token=${personalFeedToken(calendarToken, 'U0PAYDEV')}`);
      expect(payDev.status).toBe(200);
      const ics = await payDev.text();
      expect(ics).toContain('prod/stripe/api_key');
      expect(ics).not.toContain('prod/platformdb/password');
      expect(ics).not.toContain('staging/ledger/token');
      const outsider = await (await feed(`user=U0OUTSIDER&token=${personalFeedToken(calendarToken, 'U0OUTSIDER')}`)).text();
      for (const name of ALL_NAMES) expect(outsider).not.toContain(name);
      const security = await (await feed(`user=U0SEC&token=${personalFeedToken(calendarToken, 'U0SEC')}`)).text();
      for (const name of ALL_NAMES.slice(0, 2)) expect(security).toContain(name);
      expect((await feed(`user=U0SEC&token=${personalFeedToken(calendarToken, 'U0PAYDEV')}`)).status).toBe(404);
      expect((await feed(`token=${calendarToken}`)).status).toBe(404);
      expect((await feed(`user=not-a-user&token=${calendarToken}`)).status).toBe(404);
    });

    it('/metrics names no secret', async () => {
      const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
      expect(metrics).toContain('rotor_secrets');
      for (const name of ALL_NAMES) expect(metrics).not.toContain(name);
    });
  });

  describe('visibility: workspace (the behaviour before issue 24)', () => {
    let harness: SlackHarness;
    const calendarToken = randomBytes(24).toString('hex');
    beforeAll(async () => {
      harness = await seeded(`${TEST_POLICY}${TEAMS}visibility: workspace\n`, {
        ROTOR_CALENDAR_TOKEN: calendarToken,
        ROTOR_REPLY_WORKERS: workers,
      });
    });
    afterAll(async () => harness.close());

    it('an outsider sees every secret on every reading subcommand, with counts', async () => {
      const overdue = await answer(harness, 'overdue', 'U0OUTSIDER');
      expect(overdue.all).toContain('Overdue secrets: 2');
      expect(overdue.all).toContain('prod/platformdb/password');
      expect(overdue.all).not.toContain('Only the secrets you may see');
      const list = await answer(harness, 'list', 'U0OUTSIDER');
      for (const name of ALL_NAMES) expect(list.all).toContain(name);
      const due = await answer(harness, 'due 365d', 'U0OUTSIDER');
      expect(due.all).toContain('staging/ledger/token');
      const show = await answer(harness, 'show prod/platformdb/password', 'U0OUTSIDER');
      expect(show.all).toContain('platform-db');
      const review = await answer(harness, 'review', 'U0OUTSIDER');
      expect(review.all).toContain('prod/platformdb/password');
      const missing = await answer(harness, 'show prod/platformdb/passwore', 'U0OUTSIDER');
      expect(missing.text).toContain('No secret named `prod/platformdb/passwore`');
      expect(harness.fake.callsTo('usergroups.list')).toEqual([]);
    });

    it('the whole inventory feed answers to the shared token', async () => {
      const whole = await fetch(`${harness.baseUrl}/calendar.ics?token=${calendarToken}`);
      expect(whole.status).toBe(200);
      const ics = await whole.text();
      for (const name of ALL_NAMES) expect(ics).toContain(name);
    });
  });
});
