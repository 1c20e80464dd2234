import { OwnershipService } from '../../src/inventory/ownership-service.js';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findCredentialShape } from '../../src/inventory/credential-shapes.js';
import { createLogger } from '../../src/logging/logger.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { ReminderActionsService } from '../../src/reminders/reminder-actions-service.js';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../src/slack/ids.js';
import { providerHarness } from '../support/provider-harness.js';
import { rotor } from '../support/cli.js';
import { startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { stateValue, submittedView } from '../support/slack-payloads.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { useFakeVault } from '../support/vault.js';
import { openHarness } from '../reminders/support/reminder-harness.js';
import { operator, slackActor } from '../support/actors.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Random-looking bytes, the same on every run: a real key can, rarely, look less random than the
 * detector needs (it names shapes, it cannot be certain), and a test must not fail by chance.
 */
let draws = 0;
const pseudoRandom = (length: number) => {
  const bytes: number[] = [];
  while (bytes.length < length)
    bytes.push(
      ...createHash('sha256')
        .update(`rotor credential-shapes test ${(draws += 1)}`)
        .digest(),
    );
  return Buffer.from(bytes.slice(0, length));
};
const random = (length: number, alphabet = ALNUM) => Array.from(pseudoRandom(length), (byte) => alphabet[byte % alphabet.length]).join('');

/** Credentials of every shape the issue names, built at run time (none is ever in the repo). */
function credentials(): [string, string, RegExp][] {
  draws = 0;
  return [
    ['AWS access key id', ['AKIA', random(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')].join(''), /an AWS access key id/],
    ['AWS secret access key', pseudoRandom(30).toString('base64'), /a long random string/],
    ['Slack bot token', ['xoxb', String(Date.now()), String(Date.now()), random(24)].join('-'), /a Slack token/],
    ['Slack app token', ['xapp', '1', random(11), random(30)].join('-'), /a Slack app token/],
    ['Stripe secret key', ['sk', 'live', random(24)].join('_'), /a Stripe secret key/],
    ['OpenAI key', ['sk', 'proj', random(48)].join('-'), /an OpenAI API key/],
    ['GitHub token', ['ghp', random(36)].join('_'), /a GitHub token/],
    [
      'PEM private key',
      [['-----BEGIN', 'PRIVATE', 'KEY-----'].join(' '), pseudoRandom(48).toString('base64')].join('\n'),
      /a PEM private key/,
    ],
    [
      'JWT',
      [
        Buffer.from('{"alg":"HS256"}').toString('base64url'),
        Buffer.from('{"sub":"42"}').toString('base64url'),
        pseudoRandom(32).toString('base64url'),
      ].join('.'),
      /a JSON Web Token/,
    ],
    ['password', `password is ${random(6, 'abcdefghijklmnopqrstuvwxyz')}${Math.floor(Math.random() * 90 + 10)}!`, /a password/],
  ];
}

/** What retrieval instructions legitimately say: none of it may be refused. */
const LEGITIMATE = [
  'aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-AbCdEf --query SecretString --output text',
  'aws secretsmanager get-secret-value --secret-id prod/payments/StripeWebhookSigningKey2024-Xy12Ab --version-stage AWSCURRENT',
  'vault kv get -mount=secret -field=value prod/app/db, or https://vault.example.com:8200/ui/vault/secrets/secret/show/prod/app/db',
  'vault kv get secret/data/prod/Payments2024/Stripe_Key (field password)',
  'https://myvault.vault.azure.net/secrets/Db-Password/3f2504e04f8911d39a0c0305e82c3301',
  'op read "op://Prod Vault/Stripe API/credential" (1Password item ylvvbrm3ryqqmdkvmkzajz6dpy)',
  'gcloud secrets versions access latest --secret=db-password --project=my-project-123456',
  'kubectl -n payments get secret stripe-api-key -o jsonpath="{.data.key}" | base64 -d',
  'The password is in 1Password under Prod DB. Password: see Vault. The password is rotated by SecretsManagerRotationLambda2024.',
  'password: ${DB_PASSWORD} from the environment; pwd: /home/deploy; passwd is managed by LDAP',
  `digest sha256:${randomBytes(32).toString('hex')}, commit ${randomBytes(20).toString('hex')}, request ${randomUUID()}`,
  'arn:aws:iam::123456789012:role/RotorSecretsManagerRotationRole-1A2B3C4D5E6F',
  'Runbook: https://wiki.example.com/display/OPS/Rotate+Stripe+Keys+2024, ticket SEC-1234, ask #sec-oncall',
  'Use the sk-learn-classifier-model, the task-runner and disk-cleanup jobs',
];

describe('findCredentialShape', () => {
  it.each(credentials())('recognises %s', (_label, value, kind) => {
    expect(findCredentialShape(`before ${value} after`)).toMatch(kind);
  });

  it("recognises all but a handful in 10,000 of Rotor's own generated values and of AWS-secret-key-shaped strings", () => {
    draws = 1_000_000;
    const misses = (make: () => string) =>
      Array.from({ length: 5_000 }, make).filter((value) => findCredentialShape(`reason: ${value}`) === null).length;
    // Rotor's own values (48 letters and digits) and AWS secret access keys (40 base64 characters).
    expect(misses(() => random(48))).toBeLessThanOrEqual(5);
    expect(misses(() => pseudoRandom(30).toString('base64'))).toBeLessThanOrEqual(5);
  });

  it('passes what retrieval instructions legitimately contain', () => {
    for (const text of LEGITIMATE) expect({ text, shape: findCredentialShape(text) }).toEqual({ text, shape: null });
  });
});

describe('free text shaped like a credential is refused on every path, naming the field and never the value', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  it.each(['retrieval_instructions', 'description', 'team', 'tags', 'consumers', 'checklist'])('rotor import, in %s', async (column) => {
    for (const [, value, kind] of credentials()) {
      const cell =
        column === 'tags'
          ? { note: `see ${value}` }
          : column === 'consumers' || column === 'checklist'
            ? ['api', `paste ${value}`]
            : `paste ${value}`;
      const file = join(store.dir, 'pasted.json');
      writeFileSync(file, JSON.stringify([{ name: 'prod/pasted/key', [column]: cell }, { name: 'prod/fine/key' }]));
      const before = snapshotTables(store);
      const result = await rotor(store.path, 'import', file);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`line \\d+, ${column}: looks like it holds ${kind.source}`));
      expect(result.stderr + result.stdout).not.toContain(value.split('\n')[0]);
      expect(snapshotTables(store)).toEqual(before);
    }
  });

  it('rotor import of a CSV row that puts a key in the owner column does not echo it back', async () => {
    const [, key] = credentials()[0] as [string, string, RegExp];
    const file = join(store.dir, 'owner.csv');
    writeFileSync(file, `name,owner\nprod/x/key,${key}\n`);
    const result = await rotor(store.path, 'import', file);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringMatching(/line 2, owner: looks like it holds an AWS access key id/) });
    expect(result.stderr).not.toContain(key);
  });

  it('accepts legitimate retrieval instructions', async () => {
    const file = join(store.dir, 'fine.json');
    writeFileSync(file, JSON.stringify(LEGITIMATE.map((text, index) => ({ name: `prod/fine${index}/key`, retrieval_instructions: text }))));
    expect(await rotor(store.path, 'import', file)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Added 14/) });
  });
});

describe('rotor discover with a credential in a tag', () => {
  const { fake, token } = useFakeVault();
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore({ at: '2026-01-10T09:00:00Z' });
  });
  afterEach(() => store.close());

  it('rejects the secret as tagged, naming the field, and adds nothing', async () => {
    const [, pasted] = credentials()[6] as [string, string, RegExp];
    fake.putSecret(
      'secret',
      'prod/app/db',
      { value: 'x' },
      { 'rotor:owner': 'U0OWNER', 'rotor:retrieval_instructions': `token ${pasted}` },
    );
    const harness = providerHarness(
      store,
      { vault: new VaultKv2Provider({ endpoint: fake.address, token }) },
      { VAULT_ADDR: fake.address, VAULT_TOKEN: token },
    );
    const before = snapshotTables(store);
    const result = await harness.cli('discover', '--provider', 'vault', '--mount', 'secret', '--apply');
    expect(result.stdout).toMatch(/retrieval_instructions: looks like it holds a GitHub token/);
    expect(result.stdout + result.stderr).not.toContain(pasted);
    expect(snapshotTables(store)).toEqual(before);
  });
});

describe('the Slack form', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
  });
  afterAll(async () => harness.close());

  it('puts the refusal on the field and keeps the value out of the answer, the database and the log', async () => {
    const [, pasted] = credentials()[4] as [string, string, RegExp];
    const before = snapshotTables(harness.store);
    const reply = await harness.submit({
      userId: 'U0ADMIN',
      view: submittedView(harness.payloads, {
        callbackId: CALLBACK_IDS.addSecret,
        values: {
          [SECRET_FORM_BLOCKS.name]: { [FORM_VALUE_ACTION]: stateValue.text('dev/pasted/api_key') },
          [SECRET_FORM_BLOCKS.provider]: { [FORM_VALUE_ACTION]: stateValue.select('manual') },
          [SECRET_FORM_BLOCKS.retrievalInstructions]: { [FORM_VALUE_ACTION]: stateValue.text(`password is hunter2, ${pasted}`) },
        },
      }),
    });
    expect(reply.json()).toEqual({
      response_action: 'errors',
      errors: { [SECRET_FORM_BLOCKS.retrievalInstructions]: expect.stringMatching(/^looks like it holds a Stripe secret key/) },
    });
    expect(reply.text).not.toContain(pasted);
    expect(snapshotTables(harness.store)).toEqual(before);
    expect(harness.rawLog()).not.toContain(pasted);
  });
});

describe('the Not mine note', () => {
  it('is refused when it carries a credential, and nothing is recorded or sent', async () => {
    const h = await openHarness({ at: '2027-01-01T10:00:00Z' });
    try {
      for (const user of ['UOWN1', 'UADMIN1', 'USEC1']) h.slack.addUser(user, 'UTC');
      h.store.inventoryService.create(
        { name: 'prod/svc1/api_key', owner: 'UOWN1', intervalDays: 90, lastRotated: '2026-11-02T10:00:00Z' },
        operator('UADMIN1'),
        'test',
      );
      await h.sweeper().sweep();
      const key = h.posts()[0]?.keys[0] as string;
      const actions = new ReminderActionsService({
        ledger: new ReminderLedgerRepo(h.store.db),
        inventory: h.store.inventory,
        audit: h.store.audit,
        authorizer: h.store.authorizer,
        notifier: h.notifier,
        clock: h.store.clock,
        policy: h.store.policy,
        ownership: new OwnershipService({ inventoryService: h.store.inventoryService, directory: null }),
      });
      const [, pasted] = credentials()[2] as [string, string, RegExp];
      const before = snapshotTables(h.store);
      const posts = h.posts().length;
      await expect(actions.notMine(key, slackActor('UOWN1'), null, `it's ${pasted}`)).rejects.toMatchObject({
        issues: [{ where: 'note', message: expect.stringMatching(/looks like it holds a Slack token/) }],
      });
      expect(snapshotTables(h.store)).toEqual(before);
      expect(h.posts()).toHaveLength(posts);
    } finally {
      await h.close();
    }
  });
});

describe('the log stream', () => {
  it('redacts typed free text in audit events, as it does retrieval instructions', () => {
    let text = '';
    const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _encoding, done) => ((text += chunk.toString()), done()) }));
    const [note, description] = [`<!channel> ${randomBytes(6).toString('hex')}`, `desc ${randomBytes(6).toString('hex')}`];
    logger.info({ audit: { action: 'reminder.not_mine', details: { note, suggestedOwner: 'U0REAL' } } }, 'audit event');
    logger.info({ audit: { action: 'secret.created', details: { fields: { description, team: 'payments' } } } }, 'audit event');
    logger.info(
      { audit: { action: 'secret.updated', details: { changes: { description: { from: null, to: description } } } } },
      'audit event',
    );
    expect(text).not.toContain(note);
    expect(text).not.toContain(description);
    expect(text).toContain('U0REAL');
    expect(text).toContain('payments');
  });
});

describe('invisible format characters (issue 19 re-probe, group G)', () => {
  it('refuses zero-width spaces, joiners outside emoji, word joiners, soft hyphens and the byte-order mark; keeps emoji made with a joiner', async () => {
    const { findHiddenCharacters } = await import('../../src/inventory/free-text-guard.js');
    for (const hidden of ['\u200B', '\u200C', '\u200D', '\u2060', '\u00AD', '\uFEFF']) {
      expect(findHiddenCharacters(`SEC${hidden}-1`)?.hint, JSON.stringify(hidden)).toContain('invisible characters');
    }
    expect(findHiddenCharacters('the DBA \u{1F469}\u200D\u{1F4BB} did it')).toBeNull();
    expect(findHiddenCharacters('\u{2764}\u{FE0F}\u200D\u{1F525} fixed')).toBeNull();
  });
});
