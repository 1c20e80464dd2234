import { describe, expect, it } from 'vitest';
import { parseYamlRows } from '../../src/import-export/parse-yaml.js';
import { plainYamlRows } from '../../src/import-export/plain-yaml.js';

const item = (index: number, indent = '  ') =>
  [
    `${indent}- name: prod/service-${index}/api_key`,
    `${indent}  type: api_key`,
    `${indent}  owner: U0OWNER${index}`,
    `${indent}  interval_days: 90`,
    `${indent}  last_rotated: 2026-01-15`,
  ].join('\n');

/** Plain YAML the line reader must read to exactly the rows, values, lines and problems the YAML parser gives. */
const PLAIN: Record<string, string> = {
  'a list under `secrets:`': `secrets:\n${[1, 2, 3].map((index) => item(index)).join('\n')}\n`,
  'a top-level list': `${[1, 2].map((index) => item(index, '')).join('\n')}\n`,
  'a compact list under `secrets:` and CRLF line ends': `secrets:\r\n${[1, 2].map((index) => item(index, '')).join('\r\n')}\r\n`,
  'comments and blank lines anywhere': `# inventory\n\nsecrets:   \n  # first\n  - name: prod/a/key\n\n    # the owner\n    owner: U0A\n# between\n  - name: prod/b/key\n\n# end\n`,
  'every plain scalar type of the core schema': [
    '- name: prod/a/key',
    '  description: 0o17',
    '  team: 0x1F',
    '  interval_days: +90',
    '  provider_ref: 1.50',
    '  retrieval_instructions: 1e3',
    '  backup_owner: ~',
    '  owner:',
    '  status: True',
    '  consumers: FALSE',
    '  tags: .inf',
    '  checklist: -.Inf',
    '- name: prod/b/key',
    '  description: .NaN',
    '  team: -abc',
    '  interval_days: 012',
    '  owner: Null',
    '  provider_ref: 1.',
    '  retrieval_instructions: .5',
    '  status: 0x',
    '  consumers: 1_000',
    '  tags: yes',
    '  checklist: 2026-01-15T10:00:00Z',
  ].join('\n'),
  'strings that look busy but are plain': [
    '- name: prod/a/key',
    '  description: arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
    '  team: a#b, c[d]{e} it’s "fine" \u00e9 😀',
    '  provider_ref: https://vault.example.com/v1/kv/data/a?b=c',
    '  retrieval_instructions: <<',
    '  Secret Name: prod/b/key',
    '  backup-owner: U0B',
    '  constructor: x',
    '  colour: blue',
  ].join('\n'),
  'trailing spaces after values and before the end': '- name: prod/a/key   \n  owner:   U0A  \n\n\n',
};

/** YAML the line reader leaves to the YAML parser, which reads it (or words its error) as before. */
const NOT_PLAIN: Record<string, string> = {
  'quoted values': `- name: "prod/a/key"\n`,
  'single-quoted values': `- name: 'prod/a/key'\n`,
  'a nested list': `- name: prod/a/key\n  consumers:\n    - api\n`,
  'a compact nested list': `- name: prod/a/key\n  consumers:\n  - api\n`,
  'a flow list': `- name: prod/a/key\n  consumers: [api, worker]\n`,
  'a nested map': `- name: prod/a/key\n  tags:\n    tier: 1\n`,
  'anchors and aliases': `- name: prod/a/key\n  owner: &lead U0A\n- name: prod/b/key\n  owner: *lead\n`,
  'a merge key': `- <<: {owner: U0A}\n  name: prod/a/key\n`,
  'a multi-line value': `- name: prod/a/key\n  description: first line\n    second line\n`,
  'a block scalar': `- name: prod/a/key\n  description: |\n    text\n`,
  'an inline comment': `- name: prod/a/key # the key\n`,
  'a tab': `- name: prod/a/key\n\towner: U0A\n`,
  'a directive': `%YAML 1.1\n---\n- name: prod/a/key\n`,
  'a document marker': `---\n- name: prod/a/key\n`,
  'a repeated key': `- name: prod/a/key\n  name: prod/b/key\n`,
  'an item that is not a mapping': `- prod/a/key\n- name: prod/b/key\n`,
  'a key glued to its value': `- name:prod/a/key\n`,
  'a value that opens a mapping': `- name: prod/a/key: x\n`,
  'misaligned keys': `- name: prod/a/key\n   owner: U0A\n`,
  'another top-level key': `secrets:\n  - name: prod/a/key\nversion: 2\n`,
  'a mapping that is not a list': `name: prod/a/key\n`,
  '`secrets:` with nothing under it': `secrets:\n`,
  'a byte order mark': `\uFEFF- name: prod/a/key\n`,
  'a lone carriage return': `- name: prod/a/key\r  owner: U0A\n`,
  'a key YAML reads as a boolean': `- name: prod/a/key\n  true: 1\n`,
  'an explicit key': `- ? name\n  : prod/a/key\n`,
  'a NEL character': `- name: prod/a\u0085key\n`,
  'an empty file': '\n\n',
};

function viaYaml(text: string): unknown {
  try {
    return parseYamlRows(text, 'yaml');
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('plain YAML read line by line', () => {
  it.each(Object.entries(PLAIN))('reads %s to exactly what the YAML parser gives', (_label, text) => {
    const fast = plainYamlRows(text);
    expect(fast).not.toBeNull();
    expect(fast).toEqual(viaYaml(text));
  });

  it.each(Object.entries(NOT_PLAIN))('leaves %s to the YAML parser', (_label, text) => {
    expect(plainYamlRows(text)).toBeNull();
  });

  it('keeps every value and line on a large generated file', () => {
    const values = ['90', '30 days', 'U0ABC', 'prod/x/y', '2026-02-29', '-1', '0', 'quarterly', 'a b c', 'x:y'];
    const text = [
      'secrets:',
      ...Array.from({ length: 1500 }, (_, index) =>
        [
          `  - name: prod/service-${index}/api_key`,
          `    interval_days: ${values[index % values.length]}`,
          ...(index % 5 === 0 ? ['', '    # note', `    team: ${values[(index * 3) % values.length]}`] : []),
          ...(index % 7 === 0 ? [`    unknown_${index % 3}: x`] : []),
        ].join('\n'),
      ),
    ].join('\n');
    const fast = plainYamlRows(text);
    expect(fast).toHaveLength(1500);
    expect(fast).toEqual(viaYaml(text));
  });
});
