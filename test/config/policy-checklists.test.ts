import { describe, expect, it } from 'vitest';
import { loadPolicy, parsePolicy } from '../../src/config/policy.js';
import { ValidationError } from '../../src/core/errors.js';
import { resolveChecklist } from '../../src/rotation/checklists/resolve-checklist.js';
import { inputFor, outline, secretFor } from '../rotation/support.js';

function issuesOf(text: string) {
  try {
    parsePolicy(text, 'test.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues.map((issue) => `${issue.where}: ${issue.message}`);
  }
  throw new Error('expected the policy to be refused');
}

const BACKBONE = ['    - create_version', '    - promote', '    - verify'];

/** A policy with one checklist key and its entries, one per line, after the backbone steps. */
function checklist(key: string, ...lines: string[]): string {
  return ['checklists:', `  ${key}:`, ...BACKBONE, ...lines, ''].join('\n');
}

describe('policy checklists', () => {
  it('accept plain strings, built-in ids and step mappings, keyed by type or by secret name', () => {
    const policy = parsePolicy(
      [
        'checklists:',
        '  database:',
        '    - create_version',
        '    - set_new_value',
        '    - Drain the PgBouncer pools',
        '    - { id: promote }',
        '    - id: verify',
        '      title: Check the replicas caught up',
        '    - id: page_dba',
        '      title: Tell the DBA on call',
        '      detail: "Post in #dba for {secret}."',
        '      required: false',
        '  prod/payments/webhook:',
        '    - create_version',
        '    - accept_both_secrets',
        '    - promote',
        '    - verify',
        '    - schedule_removal',
        '',
      ].join('\n'),
    );
    expect(policy.checklists.database).toEqual([
      'create_version',
      'set_new_value',
      'Drain the PgBouncer pools',
      { id: 'promote' },
      { id: 'verify', title: 'Check the replicas caught up' },
      { id: 'page_dba', title: 'Tell the DBA on call', detail: 'Post in #dba for {secret}.', required: false },
    ]);
    expect(Object.isFrozen(policy.checklists.database)).toBe(true);
    const steps = resolveChecklist(inputFor(secretFor(), { policy }));
    expect(outline(steps)).toBe(
      'create_version=create_version set_new_value! drain_the_pgbouncer_pools promote=promote! verify=verify page_dba?',
    );
    expect(steps.find((step) => step.id === 'page_dba')?.detail).toBe('Post in #dba for prod/app/password.');
    const webhook = secretFor({
      name: 'prod/payments/webhook',
      type: 'webhook',
      provider: 'vault',
      providerRef: 'secret/prod/payments/webhook',
    });
    expect(outline(resolveChecklist(inputFor(webhook, { policy })))).toBe(
      'create_version=create_version! accept_both_secrets! promote=promote! verify=verify schedule_removal=schedule_removal',
    );
  });

  it.each([
    [
      'a key that is neither a type nor a name',
      'checklists:\n  databse:\n    - create_version\n    - promote\n    - verify\n',
      'checklists.databse (line 2): is neither a secret type',
    ],
    [
      'a name in an unknown environment',
      'checklists:\n  qa/app/db:\n    - create_version\n    - promote\n    - verify\n',
      'checklists.qa/app/db (line 2): is neither a secret type (database, api_key, jwt, redis, webhook, smtp, storage, observability, kms_key, generic) nor a secret name: `qa` is not a known environment',
    ],
    ['a list that is not a list', 'checklists:\n  database: create_version\n', 'checklists.database (line 2): '],
    [
      'an empty list',
      'checklists:\n  database: []\n',
      "checklists.database (line 2): lists no steps; remove the key to use the type's default checklist",
    ],
    [
      'an entry that is a number',
      checklist('database', '    - 42'),
      'checklists.database.3 (line 6): a step is a title, a built-in step id, or a mapping',
    ],
    [
      'an entry with an unknown key',
      checklist('database', '    - { id: notify, title: Notify, owner: U01 }'),
      'checklists.database.3 (line 6): unknown key owner; a step has id, title, detail, required, action, gate',
    ],
    [
      'an id that is not one',
      checklist('database', '    - { id: Notify-Team, title: Notify }'),
      'checklists.database.3.id (line 6): must be lower-case letters, digits and `_`',
    ],
    [
      'a custom step without a title',
      checklist('database', '    - { id: notify }'),
      'checklists.database.3 (line 6): `notify` is not a built-in step, so it needs a title',
    ],
    [
      'a title over 75 characters',
      checklist('database', `    - ${'Tell '.repeat(16)}`),
      'checklists.database.3 (line 6): is 79 characters; a step title has at most 75',
    ],
    [
      'a mapping title over 75 characters',
      checklist('database', `    - { id: notify, title: ${'x'.repeat(80)} }`),
      'checklists.database.3.title (line 6): is 80 characters',
    ],
    [
      'a title with a placeholder',
      checklist('database', '    - Update {secret}'),
      'checklists.database.3 (line 6): a step title takes no placeholders',
    ],
    ['a repeated built-in step', checklist('database', '    - promote'), 'checklists.database.3 (line 6): repeats the step `promote`'],
    [
      'a repeated custom id',
      checklist('database', '    - { id: notify, title: Notify }', '    - { id: notify, title: Notify again }'),
      'checklists.database.4 (line 7): repeats the step `notify`',
    ],
    [
      'a repeated plain step',
      checklist('database', '    - Notify the team', '    - Notify the team'),
      'checklists.database.4 (line 7): repeats the step "Notify the team"',
    ],
    [
      'a second promote',
      checklist('database', '    - { id: switch, title: Switch, action: promote }'),
      'checklists.database.3 (line 6): is a second promote step; a checklist has one',
    ],
    [
      'a second creation step',
      checklist('api_key', '    - { id: mint, title: Mint, action: detect_version }'),
      'checklists.api_key.3 (line 6): is a second create-the-new-version step',
    ],
    [
      'steps out of order',
      'checklists:\n  redis:\n    - create_version\n    - verify\n    - promote\n',
      'checklists.redis.2 (line 5): the promote step must come before the verify step',
    ],
    [
      'an action on a built-in step',
      checklist('database', '    - { id: redeploy, action: verify }'),
      'checklists.database.3.action (line 6): keeps its own action',
    ],
    [
      'a gate on a built-in step',
      checklist('database', '    - { id: redeploy, gate: approval }'),
      'checklists.database.3.gate (line 6): keeps its own gate',
    ],
    [
      'a disable action outside an emergency',
      checklist('database', '    - { id: kill, title: Disable it, action: disable_compromised }'),
      'checklists.database.3.action (line 6): only the emergency checklist disables a compromised version',
    ],
    [
      'an unknown action',
      checklist('database', '    - { id: kill, title: Kill, action: destroy }'),
      'checklists.database.3.action (line 6): Invalid option',
    ],
    [
      'an optional verify',
      'checklists:\n  database:\n    - create_version\n    - promote\n    - { id: verify, required: false }\n',
      'checklists.database.2.required (line 5): a verify step cannot be optional',
    ],
    [
      'a provider-only placeholder in a detail',
      checklist('database', '    - { id: notify, title: Notify, detail: "Read {aws_secret_id}" }'),
      'checklists.database.3.detail (line 6): {aws_secret_id} exists only for some providers',
    ],
    [
      'an unknown placeholder in a detail',
      checklist('database', '    - { id: notify, title: Notify, detail: "Tell {team}" }'),
      'checklists.database.3.detail (line 6): {team} is not a placeholder',
    ],
    [
      'no promote step',
      'checklists:\n  database:\n    - create_version\n    - verify\n',
      'checklists.database (line 2): has no promote step: add `promote`',
    ],
    [
      'an approval gate without promote',
      'checklists:\n  database:\n    - create_version\n    - { id: hold, title: Hold for approval, gate: approval }\n    - verify\n',
      'checklists.database (line 2): has no promote step: add `promote` (it carries the approval gate and, for AWS and Vault, switches the current version); an approval gate holds nothing back without it',
    ],
    [
      'no creation step',
      'checklists:\n  smtp:\n    - promote\n    - verify\n',
      'checklists.smtp (line 2): has no step that creates the new version: add `create_version`',
    ],
    [
      'no verify step',
      'checklists:\n  smtp:\n    - create_version\n    - promote\n',
      'checklists.smtp (line 2): has no verify step: add `verify`',
    ],
    [
      'too many steps',
      checklist('database', ...Array.from({ length: 23 }, (_, index) => `    - Step number ${index + 1}`)),
      'checklists.database (line 2): has 26 steps; a checklist has at most 25',
    ],
  ])('refuse %s, naming the key and its line', (_, text, expected) => {
    const issues = issuesOf(text);
    expect(
      issues.some((issue) => issue.startsWith(expected)),
      `${expected}\nnot in\n${issues.join('\n')}`,
    ).toBe(true);
  });

  it('check a type key against that type’s built-in steps: another type’s step id is only a title there', () => {
    const policy = parsePolicy(checklist('database', '    - deactivate_previous'));
    expect(outline(resolveChecklist(inputFor(secretFor(), { policy })))).toBe(
      'create_version=create_version promote=promote! verify=verify deactivate_previous',
    );
    expect(resolveChecklist(inputFor(secretFor(), { policy })).at(-1)).toMatchObject({
      title: 'deactivate_previous',
      detail: null,
      action: null,
    });
    expect(issuesOf(checklist('database', '    - { id: deactivate_previous }'))).toEqual([
      'checklists.database.3 (line 6): `deactivate_previous` is not a built-in step, so it needs a title',
    ]);
  });
});

describe('the example policy', () => {
  it('ships a checklist override that parses and resolves', () => {
    const policy = loadPolicy('examples/policy.yml');
    const webhook = secretFor({ name: 'prod/payments/webhook', type: 'webhook', provider: 'manual', providerRef: null });
    expect(outline(resolveChecklist(inputFor(webhook, { policy })))).toBe(
      'create_version! accept_both_secrets! update_staging test_staging promote! redeploy! verify replay_check? schedule_removal record_evidence',
    );
  });
});
