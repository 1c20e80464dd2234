import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { checklistSourceOf, resolveChecklist } from '../../src/rotation/checklists/resolve-checklist.js';
import { valueSourceOf } from '../../src/rotation/checklists/value-source.js';
import type { ChecklistEntry } from '../../src/rotation/checklists/checklist-entry.js';
import { inputFor, outline, secretFor } from './support.js';

function stepOf(steps: ReturnType<typeof resolveChecklist>, id: string) {
  const step = steps.find((candidate) => candidate.id === id);
  if (!step) throw new Error(`no step ${id} in ${outline(steps)}`);
  return step;
}

function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('placeholders', () => {
  it('resolve the AWS secret id and the region of a region:name reference in the exact write command', () => {
    const secret = secretFor({ name: 'prod/postgres/connection_string', providerRef: 'eu-west-1:prod/postgres/app' });
    const steps = resolveChecklist(inputFor(secret));
    const create = stepOf(steps, 'create_version');
    expect(create.action).toBe('detect_version');
    expect(create.detail).toContain(
      '`aws secretsmanager put-secret-value --secret-id prod/postgres/app --region eu-west-1 --version-stages AWSPENDING --secret-string file://new-secret.txt`',
    );
    expect(create.detail).toContain('without it the new value becomes `AWSCURRENT` at once');
    expect(stepOf(steps, 'redeploy').detail).toContain('consumers on record: backend, celery');
    expect(stepOf(steps, 'schedule_removal').detail).toContain('the 48 h retention window');
  });

  it('resolve an ARN as it is, with the region it names', () => {
    const arn = ['arn:aws:secretsmanager:us-east-2', '123456789012', 'secret:prod/jwt-AbCdEf'].join(':');
    const steps = resolveChecklist(inputFor(secretFor({ name: 'prod/jwt/signing_key', type: 'jwt', providerRef: arn })));
    expect(stepOf(steps, 'create_version').detail).toContain(
      `--secret-id ${arn} --region us-east-2 --version-stages AWSPENDING --secret-string file://jwt-new.pem`,
    );
  });

  it('resolve the Vault mount, path and field, and the Vault detail warns that a written version is current at once', () => {
    const secret = secretFor({
      name: 'prod/stripe/secret_key',
      type: 'api_key',
      provider: 'vault',
      providerRef: 'team/kv:prod/payments/stripe#secret_key',
    });
    const steps = resolveChecklist(inputFor(secret));
    const create = stepOf(steps, 'create_version');
    expect(create).toMatchObject({ action: 'detect_version', gate: 'approval' });
    expect(create.detail).toContain('`vault kv put -mount=team/kv prod/payments/stripe secret_key=@new-secret.txt`');
    const promote = stepOf(steps, 'promote');
    expect(promote).toMatchObject({ action: 'promote', gate: 'approval' });
    expect(promote.detail).toMatch(
      /^A confirmation only: KV v2 made the new version current when it was written, so consumers reading the latest version of `prod\/payments\/stripe` already get it\./,
    );
  });

  it('leave nothing unresolved, and a manual secret names no store', () => {
    const steps = resolveChecklist(inputFor(secretFor({ provider: 'manual', providerRef: null, consumers: [] })));
    for (const step of steps) expect(step.detail).not.toMatch(/\{[a-z_]+\}|AWSPENDING|vault kv/);
    expect(stepOf(steps, 'redeploy').detail).toContain('consumers on record: none');
  });

  it('refuse a store-backed secret without a reference, or with a malformed one, before anything starts', () => {
    expect(refusal(() => resolveChecklist(inputFor(secretFor({ providerRef: null })))).message).toMatch(
      /prod\/app\/password is kept in AWS Secrets Manager but has no provider reference/,
    );
    expect(
      refusal(() => resolveChecklist(inputFor(secretFor({ provider: 'vault', providerRef: 'secret/data/prod/app' })))).message,
    ).toMatch(/includes the API prefix `data\/`/);
  });
});

describe('value source', () => {
  it('follows the type, and a composite credential (connection string, URL, JSON) is written by a person', () => {
    expect(valueSourceOf(secretFor({ name: 'prod/postgres/password' }))).toBe('generate');
    expect(valueSourceOf(secretFor({ name: 'prod/postgres/connection_string' }))).toBe('issuer');
    expect(valueSourceOf(secretFor({ name: 'prod/redis/url', type: 'redis' }))).toBe('issuer');
    expect(valueSourceOf(secretFor({ name: 'prod/crypto/webhook', type: 'webhook' }))).toBe('generate');
    expect(valueSourceOf(secretFor({ name: 'prod/openai/api_key', type: 'api_key' }))).toBe('issuer');
  });

  it('is overridden by the rotor:value_source tag, both ways', () => {
    const own = secretFor({ name: 'prod/billing/api_key', type: 'api_key', tags: { 'rotor:value_source': 'generate' } });
    expect(stepOf(resolveChecklist(inputFor(own)), 'create_version').action).toBe('create_version');
    const byHand = secretFor({ name: 'prod/redis/password', type: 'redis', tags: { 'rotor:value_source': 'Issuer' } });
    expect(stepOf(resolveChecklist(inputFor(byHand)), 'create_version').action).toBe('detect_version');
  });

  it('refuses a tag it cannot honour, naming the tag', () => {
    const wrong = refusal(() => resolveChecklist(inputFor(secretFor({ tags: { 'rotor:value_source': 'random' } }))));
    expect(wrong.issues[0]).toMatchObject({ where: 'tags.rotor:value_source' });
    expect(wrong.message).toMatch(/is `random`; use `generate`/);
    const iam = refusal(() =>
      resolveChecklist(inputFor(secretFor({ name: 'prod/s3/app_keys', type: 'storage', tags: { 'rotor:value_source': 'generate' } }))),
    );
    expect(iam.message).toMatch(/only its issuer \(IAM\) can create/);
  });

  it('gives way to a rotation Lambda, and a manual secret has no action at all', () => {
    const tagged = secretFor({ tags: { 'rotor:value_source': 'issuer' } });
    const lambda = resolveChecklist(inputFor(tagged, { provider: { rotationConfigured: true } }));
    expect(stepOf(lambda, 'create_version')).toMatchObject({
      action: 'await_provider_rotation',
      gate: 'approval',
      title: 'Run the configured rotation and wait for it',
    });
    const manual = resolveChecklist(
      inputFor(secretFor({ provider: 'manual', providerRef: null }), { provider: { rotationConfigured: true } }),
    );
    expect(manual.every((step) => step.action === null)).toBe(true);
    expect(stepOf(manual, 'promote').gate).toBe('approval');
  });
});

describe('overrides', () => {
  const byType: ChecklistEntry[] = ['create_version', 'Drain the PgBouncer pools', 'promote', 'verify'];
  const byName: ChecklistEntry[] = [
    'create_version',
    'promote',
    { id: 'verify', title: 'Check the replicas caught up' },
    'Tell the data team',
  ];

  it('take the policy entry for the name first, then the secret’s own override, then the policy entry for the type', () => {
    const secret = secretFor({ checklistOverride: ['create_version', 'promote', 'verify', 'Ping the DBA'] });
    const checklists = { database: byType, 'prod/app/password': byName };
    expect(outline(resolveChecklist(inputFor(secret, { policy: { checklists, retentionHours: 48 } })))).toBe(
      'create_version=create_version promote=promote! verify=verify tell_the_data_team',
    );
    expect(checklistSourceOf(inputFor(secret, { policy: { checklists, retentionHours: 48 } }))).toEqual({
      kind: 'policy',
      key: 'prod/app/password',
    });
    const withoutName = { policy: { checklists: { database: byType }, retentionHours: 48 } };
    expect(outline(resolveChecklist(inputFor(secret, withoutName)))).toBe(
      'create_version=create_version promote=promote! verify=verify ping_the_dba',
    );
    expect(checklistSourceOf(inputFor(secret, withoutName))).toEqual({ kind: 'secret_override' });
    const plain = secretFor();
    expect(outline(resolveChecklist(inputFor(plain, withoutName)))).toBe(
      'create_version=create_version drain_the_pgbouncer_pools promote=promote! verify=verify',
    );
    expect(checklistSourceOf(inputFor(plain, withoutName))).toEqual({ kind: 'policy', key: 'database' });
    expect(checklistSourceOf(inputFor(secretFor({ type: 'redis' }), withoutName))).toEqual({ kind: 'template' });
  });

  it('keep a built-in step by id with its action and detail, and adjust its title, detail or optionality', () => {
    const entries: ChecklistEntry[] = [
      'create_version',
      { id: 'set_new_value', title: 'Rotate the password with the DBA on call', detail: 'Page the DBA for {secret} ({environment}).' },
      'promote',
      'verify',
      { id: 'schedule_removal', required: false },
    ];
    const steps = resolveChecklist(inputFor(secretFor(), { policy: { checklists: { database: entries }, retentionHours: 12 } }));
    expect(steps.map((step) => step.id)).toEqual(['create_version', 'set_new_value', 'promote', 'verify', 'schedule_removal']);
    expect(stepOf(steps, 'set_new_value')).toEqual({
      id: 'set_new_value',
      title: 'Rotate the password with the DBA on call',
      detail: 'Page the DBA for prod/app/password (prod).',
      action: null,
      required: true,
      gate: 'approval',
    });
    expect(stepOf(steps, 'schedule_removal')).toMatchObject({ action: 'schedule_removal', required: false });
    expect(stepOf(steps, 'schedule_removal').detail).toContain('the 12 h retention window');
    expect(stepOf(steps, 'promote').detail).toContain('Rotor moves `AWSCURRENT` of `prod/app/db`');
  });

  it('add steps of their own; provider actions follow the route and degrade to manual steps for a manual secret', () => {
    const entries: ChecklistEntry[] = [
      { id: 'mint', title: 'Mint the key', action: 'create_version' },
      { id: 'freeze_deploys', title: 'Freeze deploys for the switch', gate: 'approval', detail: 'Announce it in #deploys.' },
      { id: 'switch', title: 'Switch production', action: 'promote' },
      { id: 'check', title: 'Check it', action: 'verify', required: true },
      { id: 'look_around', title: 'Look at the dashboards', required: false },
    ];
    const policy = { checklists: { api_key: entries }, retentionHours: 48 };
    const issuer = secretFor({ name: 'prod/openai/api_key', type: 'api_key' });
    expect(outline(resolveChecklist(inputFor(issuer, { policy })))).toBe(
      'mint=detect_version! freeze_deploys! switch=promote! check=verify look_around?',
    );
    const lambda = resolveChecklist(inputFor(issuer, { policy, provider: { rotationConfigured: true } }));
    expect(outline(lambda)).toBe('mint=await_provider_rotation! freeze_deploys! switch=promote! check=verify look_around?');
    const manual = resolveChecklist(inputFor({ ...issuer, provider: 'manual', providerRef: null }, { policy }));
    expect(outline(manual)).toBe('mint! freeze_deploys! switch! check look_around?');
  });

  it('read the legacy checklist_override strings: a built-in id is that step, any other string a manual required step', () => {
    const secret = secretFor({
      checklistOverride: [
        'create_version',
        'Update the Heroku config',
        'promote',
        'update_staging',
        'verify',
        'publish_public_key',
        'Update the Heroku config!',
      ],
    });
    const steps = resolveChecklist(inputFor(secret));
    expect(outline(steps)).toBe(
      'create_version=create_version update_the_heroku_config promote=promote! update_staging verify=verify publish_public_key update_the_heroku_config_2',
    );
    expect(stepOf(steps, 'update_the_heroku_config')).toEqual({
      id: 'update_the_heroku_config',
      title: 'Update the Heroku config',
      detail: null,
      action: null,
      required: true,
      gate: null,
    });
    // publish_public_key is a JWT step, not a database one: here it is only a title.
    expect(stepOf(steps, 'publish_public_key')).toMatchObject({ title: 'publish_public_key', detail: null, action: null });
    expect(stepOf(steps, 'update_staging').detail).toContain('`AWSPENDING` stage of `prod/app/db`');
  });

  it('refuse a legacy override that cannot work, naming the field, and nothing is returned', () => {
    const error = refusal(() =>
      resolveChecklist(inputFor(secretFor({ checklistOverride: ['create_version', 'update_staging', 'create_version'] }))),
    );
    expect(error.message).toBe('The checklist override of prod/app/password cannot be used for prod/app/password; fix it before rotating.');
    expect(error.issues.map((issue) => `${issue.where}: ${issue.message}`)).toEqual([
      'checklist_override.2: repeats the step `create_version`',
      'checklist_override: has no promote step: add `promote` (it carries the approval gate and, for AWS and Vault, switches the current version)',
      'checklist_override: has no verify step: add `verify` (for AWS and Vault, Rotor confirms the new version at the store before the rotation completes)',
    ]);
    const long = refusal(() =>
      resolveChecklist(inputFor(secretFor({ checklistOverride: ['create_version', 'promote', 'verify', 'x'.repeat(76)] }))),
    );
    expect(long.issues[0]).toMatchObject({
      where: 'checklist_override.3',
      message: 'is 76 characters; a step title has at most 75 (it must fit a Slack button)',
    });
  });

  it('never apply to an emergency, which keeps the emergency checklist', () => {
    const secret = secretFor({ checklistOverride: ['create_version', 'promote', 'verify'] });
    const steps = resolveChecklist(
      inputFor(secret, {
        emergency: true,
        policy: { checklists: { database: ['create_version', 'promote', 'verify'] }, retentionHours: 48 },
      }),
    );
    expect(steps.map((step) => step.id)).toContain('revoke_at_issuer');
    expect(steps.every((step) => step.gate === null && step.required)).toBe(true);
    expect(checklistSourceOf(inputFor(secret, { emergency: true }))).toEqual({ kind: 'emergency' });
  });
});

describe('the snapshot', () => {
  it('is frozen: neither the list nor a step can change', () => {
    const steps = resolveChecklist(
      inputFor(secretFor(), {
        policy: { checklists: { database: ['create_version', 'Call the DBA', 'promote', 'verify'] }, retentionHours: 48 },
      }),
    );
    expect(Object.isFrozen(steps)).toBe(true);
    expect(steps.every((step) => Object.isFrozen(step))).toBe(true);
    expect(() => (steps as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(() => {
      (steps[0] as { title: string }).title = 'changed';
    }).toThrow(TypeError);
    const template = resolveChecklist(inputFor(secretFor()));
    expect(Object.isFrozen(template) && template.every((step) => Object.isFrozen(step))).toBe(true);
  });

  it('is a fresh value each time, so one rotation cannot alter another’s', () => {
    const first = resolveChecklist(inputFor(secretFor()));
    const second = resolveChecklist(inputFor(secretFor()));
    expect(first).toEqual(second);
    expect(first).not.toBe(second);
    expect(first[0]).not.toBe(second[0]);
  });
});

describe('src/rotation', () => {
  it('the checklist modules import no Slack, SQLite, AWS, Vault or other I/O library (the repository and service are layered by test/layering.test.ts)', () => {
    const folder = join(import.meta.dirname, '../../src/rotation');
    const offenders = readdirSync(folder)
      .filter(
        (file) => file.endsWith('.ts') && !/^rotation(?:-(?:repo|service|preflight|rules|follow-ups))?\.ts$|^change-ticket\.ts$/.test(file),
      )
      .flatMap((file) => [...readFileSync(join(folder, file), 'utf8').matchAll(/from '([^']+)'/g)].map((match) => `${file}: ${match[1]}`))
      .filter((line) => !/: (?:\.\.?\/|zod$|luxon$|csv-stringify\/sync$)/.test(line) || /\/(?:slack|storage)\//.test(line));
    expect(offenders).toEqual([]);
  });
});
