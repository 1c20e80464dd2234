/**
 * Every parser that reads user input, on 1,000 / 10,000 / 100,000 characters of its worst case:
 * time should grow with the length, not its square or cube. The regular expression issue 14
 * found in parseCadence is timed beside them (to 2,000 characters only: it is cubic) to show
 * what linear replaced. Run: npm run bench:parsers
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { defaultPolicy } from '../src/config/policy.js';
import { FixedClock } from '../src/core/clock.js';
import { findMarkdownTables } from '../src/import-export/markdown-tables.js';
import { parseCsvRows } from '../src/import-export/parse-csv.js';
import { parseYamlRows } from '../src/import-export/parse-yaml.js';
import { findCredentialShape } from '../src/inventory/credential-shapes.js';
import { normalizeKey, parseCadence, parseSecretFields } from '../src/inventory/secret-fields.js';
import { BUILT_IN_STORES } from '../src/providers/store-catalog.js';
import { findNameProblem } from '../src/inventory/secret-name.js';
import { parseAwsSecretRef } from '../src/providers/aws/aws-secret-ref.js';
import { parseVaultSecretRef } from '../src/providers/vault/vault-secret-ref.js';

const now = new FixedClock('2026-11-22T10:00:00Z').now();
const SIZES = [1_000, 10_000, 100_000];
const fill = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
/** Refusals are answers too: only the time matters here. */
const refusing = (parse: (text: string) => unknown) => (text: string) => {
  try {
    return parse(text);
  } catch (error) {
    return error;
  }
};

const BEFORE_ISSUE_14 = /^(-?\d+)(?:\s+(?!(?:day|week|month|year)s?\b)(.*)|\s*(day|week|month|year)s?\b(?:\s*[,;(]?\s*(.*))?)?$/;

const cases: { name: string; sizes?: number[]; input: (length: number) => string; run: (input: string) => unknown }[] = [
  { name: 'parseCadence: spaces before a line break', input: (n) => `1 day${' '.repeat(n)}x\ny`, run: (text) => parseCadence(text) },
  {
    name: '  the regex it replaced (issue 14)',
    sizes: [500, 1_000, 2_000],
    input: (n) => `1 day${' '.repeat(n)}x\ny`,
    run: (text) => BEFORE_ISSUE_14.exec(text),
  },
  {
    name: 'parseSecretFields: 16 oversized fields',
    input: (n) => fill('`a ', n),
    run: (text) =>
      parseSecretFields(
        Object.fromEntries(
          [
            'name',
            'type',
            'description',
            'owner',
            'backupOwner',
            'team',
            'provider',
            'providerRef',
            'intervalDays',
            'lastRotated',
            'nextRotation',
            'lifecycle',
            'retrievalInstructions',
            'tags',
            'consumers',
            'checklistOverride',
          ].map((field) => [field, text]),
        ),
        defaultPolicy,
        BUILT_IN_STORES,
        now,
      ),
  },
  {
    name: 'parseSecretFields: 2,000-character instructions',
    sizes: [2_000],
    input: (n) => fill('vault kv get secret/prod/app/db ', n),
    run: (text) => parseSecretFields({ name: 'prod/a/key', retrievalInstructions: text }, defaultPolicy, BUILT_IN_STORES, now),
  },
  { name: 'findCredentialShape: repeated eyJ', input: (n) => fill('eyJ', n), run: (text) => findCredentialShape(text) },
  { name: 'findCredentialShape: repeated AKIA', input: (n) => `${fill('AKIA', n)}0`, run: (text) => findCredentialShape(text) },
  {
    name: 'findCredentialShape: password + spaces',
    input: (n) => `password${' '.repeat(n)}:${' '.repeat(n)},`,
    run: (text) => findCredentialShape(text),
  },
  {
    name: 'findCredentialShape: one random run',
    input: (n) => randomBytes(n).toString('base64').slice(0, n),
    run: (text) => findCredentialShape(text),
  },
  {
    name: 'findCredentialShape: prose',
    input: (n) => fill('see vault kv get secret/prod/app/db and the runbook, ', n),
    run: (text) => findCredentialShape(text),
  },
  {
    name: 'findMarkdownTables: heading spaces + U+2028',
    input: (n) => `#${' '.repeat(n)}a\u2028b\n| name |\n|---|\n| prod/a/key |`,
    run: (text) => findMarkdownTables(text),
  },
  {
    name: 'parseCsvRows: one huge cell',
    input: (n) => `name,description\nprod/a/key,"${'x'.repeat(n)}"\n`,
    run: (text) => parseCsvRows(text),
  },
  {
    name: 'parseYamlRows: one huge scalar',
    input: (n) => `- name: prod/a/key\n  description: "${'x'.repeat(n)}"\n`,
    run: (text) => parseYamlRows(text, 'yaml'),
  },
  { name: 'normalizeKey: camelCase', input: (n) => fill('aA ', n), run: (text) => normalizeKey(text) },
  { name: 'findNameProblem: long segment', input: (n) => `prod/${'a'.repeat(n)}/key`, run: (text) => findNameProblem(text, ['prod']) },
  {
    name: 'parseAwsSecretRef: region groups',
    input: (n) => `arn:aws:secretsmanager:eu${fill('-ab', n)}:1`,
    run: refusing((text) => parseAwsSecretRef('s', text)),
  },
  {
    name: 'parseVaultSecretRef: many segments',
    input: (n) => `secret/${fill('a/', n)}b`,
    run: refusing((text) => parseVaultSecretRef('s', text)),
  },
];

function time(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

const rows: string[][] = [];
for (const testCase of cases) {
  const sizes = testCase.sizes ?? SIZES;
  const cells = sizes.map((size) => {
    const input = testCase.input(size);
    testCase.run(input);
    const best = Math.min(...[0, 1, 2].map(() => time(() => testCase.run(input))));
    return `${size.toLocaleString('en')}: ${best.toFixed(2)} ms`;
  });
  rows.push([testCase.name, ...cells]);
}
const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
console.log(['parser (worst case)', 'time by input length (best of 3)'].join('  '));
for (const row of rows)
  console.log(
    row
      .map((cell, column) => cell.padEnd(widths[column] as number))
      .join('  ')
      .trimEnd(),
  );
