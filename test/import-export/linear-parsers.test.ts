import { randomBytes } from 'node:crypto';
import { BUILT_IN_STORES } from '../../src/providers/store-catalog.js';
import { describe, expect, it } from 'vitest';
import { parseExpectedHead } from '../../src/cli/audit-command.js';
import { defaultPolicy } from '../../src/config/policy.js';
import { FixedClock } from '../../src/core/clock.js';
import { parseCsvRows } from '../../src/import-export/parse-csv.js';
import { findMarkdownTables } from '../../src/import-export/markdown-tables.js';
import { parseYamlRows } from '../../src/import-export/parse-yaml.js';
import { findCredentialShape } from '../../src/inventory/credential-shapes.js';
import { MAX_CELL_LENGTH, normalizeKey, parseCadence, parseSecretFields } from '../../src/inventory/secret-fields.js';
import { findNameProblem } from '../../src/inventory/secret-name.js';
import { parseSecretType } from '../../src/inventory/secret-type.js';
import { parseAwsSecretRef } from '../../src/providers/aws/aws-secret-ref.js';
import { parseVaultSecretRef } from '../../src/providers/vault/vault-secret-ref.js';
import { parseSecretsCommand } from '../../src/slack/listeners/commands/secrets-command-parser.js';

/**
 * Every parser that reads user input, fed 100,000 characters of its worst case. Only the answer
 * is asserted: timings live in `npm run bench:parsers`. Before issue 14's fix, parseCadence on
 * the first input below took seconds at 1,000 characters and grew with the cube of the length.
 */
const N = 100_000;
const spaces = ' '.repeat(N);
const now = new FixedClock('2026-11-22T10:00:00Z').now();

describe('parsers on 100,000 characters of their worst case', () => {
  it('parseCadence: runs of spaces around the unit, before a line break', () => {
    expect(parseCadence(`1 day${spaces}x\ny`)).toBeNull();
    expect(parseCadence(`1${spaces}day${spaces}x\ny`)).toBeNull();
    expect(parseCadence(`90 days${spaces}(${spaces}with dual publish)`)).toEqual({ days: 90, note: 'dual publish' });
    expect(parseCadence(`quarterly${spaces}x`)).toEqual({ days: 90, note: 'x' });
    expect(parseCadence(`7${'0'.repeat(N)}x`)).toBeNull();
  });

  it('parseSecretFields: every field refused by length before any pattern reads it', () => {
    const huge = (text: string) => text.repeat(Math.ceil(N / text.length)).slice(0, N);
    const record = {
      name: huge('a'),
      type: huge('api key '),
      description: huge('`'),
      owner: `U${huge('A')}x`,
      backupOwner: `<@U${huge('1')}|`,
      team: huge(' '),
      provider: huge('aws'),
      providerRef: `arn:aws:secretsmanager:${huge('-a')}`,
      intervalDays: `1 day${spaces}x\ny`,
      lastRotated: huge('2026-'),
      nextRotation: huge('9'),
      lifecycle: huge('due_soon'),
      retrievalInstructions: huge('eyJ'),
      tags: { note: huge('a=b,') },
      consumers: [huge('x,')],
      checklistOverride: huge(';'),
    };
    const { fields, issues } = parseSecretFields(record, defaultPolicy, BUILT_IN_STORES, now);
    expect(fields).toBeNull();
    expect(issues).toHaveLength(Object.keys(record).length);
    for (const issue of issues) expect(issue.message).toMatch(new RegExp(`^is \\d{6} characters; at most ${MAX_CELL_LENGTH}$`));
  });

  it('findCredentialShape: repeated prefixes, long runs and spaces after a keyword', () => {
    expect(findCredentialShape('eyJ'.repeat(N / 3))).toBeNull();
    expect(findCredentialShape(`${'eyJhbGciOi.'.repeat(N / 11)}`)).toBe('a JSON Web Token');
    expect(findCredentialShape(`${'eyJ.'.repeat(N / 4)}`)).toBeNull();
    expect(findCredentialShape('AKIA'.repeat(N / 4))).toBe('an AWS access key id');
    expect(findCredentialShape('AKIA'.repeat(N / 4) + '0')).toBeNull();
    expect(findCredentialShape(`password${spaces}`)).toBeNull();
    expect(findCredentialShape(`password${spaces}:${spaces},`)).toBeNull();
    expect(findCredentialShape('-----BEGIN '.repeat(N / 11))).toBeNull();
    expect(findCredentialShape('sk-'.repeat(N / 3))).toBeNull();
    expect(findCredentialShape('a/B1'.repeat(N / 4))).toBeNull();
    expect(findCredentialShape('xoxb-'.repeat(N / 5))).toBe('a Slack token');
    expect(findCredentialShape(randomBytes((N * 3) / 4).toString('base64'))).toBe('a long random string (a key or token)');
  });

  it('findMarkdownTables: a heading whose spaces run into a line separator', () => {
    const text = [`#${spaces}a\u2028b`, '| name |', '|---|', '| prod/a/key |'].join('\n');
    expect(findMarkdownTables(text)).toEqual([
      { heading: '', headerLine: 2, header: ['name'], rows: [{ line: 4, cells: ['prod/a/key'] }] },
    ]);
    expect(findMarkdownTables(`${'|'.repeat(N)}\n${'|-'.repeat(N / 2)}|`)).toHaveLength(1);
  });

  it('the CSV and YAML readers: one enormous cell', () => {
    expect(parseCsvRows(`name,description\nprod/a/key,"${'x'.repeat(N)}"\n`)[0]?.record.description).toHaveLength(N);
    expect(String(parseYamlRows(`- name: prod/a/key\n  description: "${'x'.repeat(N)}"\n`, 'yaml')[0]?.record.description)).toHaveLength(N);
  });

  it('names, types, keys, references, slash commands and pinned heads', () => {
    expect(findNameProblem(`prod/${'a'.repeat(N)}/key`, ['prod'])).toMatch(/may only use a-z/);
    expect(parseSecretType(`api${'-'.repeat(N)}key`)).toBe('api_key');
    expect(normalizeKey(`${'aA '.repeat(N / 3)}`)).toMatch(/^a_a_a/);
    expect(() => parseAwsSecretRef('s', `arn:aws:secretsmanager:eu${'-ab'.repeat(N / 3)}:1`)).toThrow(
      /is not a Secrets Manager secret ARN/,
    );
    expect(() => parseAwsSecretRef('s', `eu-west-1:${'a'.repeat(N)}`)).toThrow(/is not a Secrets Manager secret name/);
    expect(parseVaultSecretRef('s', `secret/${'a/'.repeat(N / 2)}b`).path).toHaveLength(N + 1);
    expect(parseSecretsCommand(`owner ${'<!subteam^'.repeat(N / 10)}`, ['prod'])).toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/is 100006 characters long/),
    });
    expect(() => parseExpectedHead(`${'9'.repeat(N)}:${'a'.repeat(64)}`)).toThrow(/--expect-head must be SEQ:HASH/);
  });
});
