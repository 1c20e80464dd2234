import { describe, expect, it } from 'vitest';
import { parseJsonRows, plainJsonRows } from '../../src/import-export/parse-json.js';
import { parseYamlRows } from '../../src/import-export/parse-yaml.js';

/** What the YAML reader answers for the text, rows or the error it throws. */
function viaYaml(text: string): unknown {
  try {
    return parseYamlRows(text, 'json');
  } catch (error) {
    return { error: (error as Error).message, issues: (error as { issues?: unknown }).issues };
  }
}

function viaJson(text: string): unknown {
  try {
    return parseJsonRows(text);
  } catch (error) {
    return { error: (error as Error).message, issues: (error as { issues?: unknown }).issues };
  }
}

const secret = (index: number) => ({
  name: `prod/service-${index}/api_key`,
  owner: `U0OWNER${index}`,
  interval_days: 90,
  last_rotated: '2026-01-15',
});

/** Plain JSON the fast path must read to exactly the rows, lines and problems the YAML reader gives. */
const PLAIN: Record<string, string> = {
  'a pretty-printed list under `secrets:`': JSON.stringify({ secrets: [secret(1), secret(2), secret(3)] }, null, 2),
  'a minified top-level list on one line': JSON.stringify([secret(1), secret(2)]),
  'CRLF line ends and tabs': JSON.stringify({ secrets: [secret(1), secret(2)] }, null, '\t').replace(/\n/g, '\r\n'),
  'items that are not objects, and an empty object': `[\n  "prod/a/key",\n  [1, 2],\n  null,\n  42,\n  {}\n]`,
  'unknown keys, alias spellings and nested values': JSON.stringify(
    [
      {
        'Secret Name': 'prod/a/key',
        backupOwner: 'U0BACKUP',
        colour: 'blue',
        tags: { tier: '1', nested: { deep: [1, { x: 'y' }] } },
        consumers: ['api', 'worker'],
        extra: null,
      },
    ],
    null,
    2,
  ),
  'escapes in keys and values, unicode, numbers of every shape': `{"secrets": [
    {"name": "prod/\\u0061pp/key", "description": "quote \\" backslash \\\\ slash \\/ tab \\t line \\n é 😀 \\ud83d\\ude00", "interval_days": 9e1},
    {"na\\u006de": "prod/b/key", "interval_days": -0, "x": 1.5e-3, "y": 12345678901234567890, "z": true, "w": false},
    {"name": "prod/c/key", "1": "integer-like key sorts first in the object", "__proto__": "own key", "": "empty key"}
  ]}`,
  'other top-level keys beside `secrets`': `{"version": 2, "secrets": [{"name": "prod/a/key"}], "notes": {"a": [1, 2, {"b": null}]}}`,
  'an empty list': '{"secrets": []}',
  'blank lines and odd spacing': `\n\n  [ \n\n {  "name" :  "prod/a/key" ,\n\n  "owner":"U0A"  } ,{"name":"prod/b/key"}\n ]  \n`,
};

/** Text the fast path hands to the YAML reader (it answers, and words errors, as before). */
const NOT_PLAIN: Record<string, string> = {
  'broken JSON': '[{"name": "prod/a/key",]',
  'a duplicate key in a secret': '[{"name": "prod/a/key", "name": "prod/b/key"}]',
  'a duplicate key deep inside tags': '[{"name": "prod/a/key", "tags": {"a": "1", "a": "2"}}]',
  'a duplicate `secrets` key': '{"secrets": [], "secrets": [{"name": "prod/a/key"}]}',
  'a byte order mark': `\uFEFF${JSON.stringify([secret(1)])}`,
  'a lone carriage return': `[{"name":\r"prod/a/key"}]`,
  'a key split from its colon by a line break': '[{"name"\n: "prod/a/key"}]',
  'an object that is not a list of secrets': '{"name": "prod/a/key"}',
  '`secrets` that is not a list': '{"secrets": {"name": "prod/a/key"}}',
  'a scalar document': '"prod/a/key"',
  'YAML in a .json file': 'secrets:\n  - name: prod/a/key\n',
  'a key longer than 1,000 characters': `[{"${'k'.repeat(1200)}": 1, "name": "prod/a/key"}]`,
};

describe('JSON rows without the YAML syntax tree', () => {
  it.each(Object.entries(PLAIN))('reads %s to exactly what the YAML reader gives', (_label, text) => {
    const fast = plainJsonRows(text);
    expect(fast).not.toBeNull();
    expect(fast).toEqual(parseYamlRows(text, 'json'));
  });

  it.each(Object.entries(NOT_PLAIN))('hands %s to the YAML reader, which answers as before', (_label, text) => {
    expect(plainJsonRows(text)).toBeNull();
    expect(viaJson(text)).toEqual(viaYaml(text));
  });

  it('keeps every line number on a large file', () => {
    const text = JSON.stringify(
      { secrets: Array.from({ length: 2000 }, (_, index) => ({ ...secret(index), ...(index % 7 === 0 ? { unknown_field: index } : {}) })) },
      null,
      2,
    );
    expect(plainJsonRows(text)).toEqual(parseYamlRows(text, 'json'));
  });
});
