import { describe, expect, it } from 'vitest';
import { defaultPolicy, loadPolicy, parsePolicy } from '../../src/config/policy.js';
import type { ValidationError } from '../../src/core/errors.js';
import type { ValueShape } from '../../src/providers/secret-provider.js';
import { BUILT_IN_STORES } from '../../src/providers/store-catalog.js';
import { decidePlacement as decideIn, type ValueFieldSubject } from '../../src/rotation/checklists/value-field.js';

/** Decides in the secret's own store. */
const decidePlacement = (secret: ValueFieldSubject, policy: Parameters<typeof decideIn>[1], shape: ValueShape) =>
  decideIn(secret, policy, shape, BUILT_IN_STORES.of(secret.provider));

const fields = (...names: string[]): ValueShape => ({
  kind: 'fields',
  fields: names.map((name) => ({ name, holds: name === 'port' ? 'number' : 'string' })),
});
const aws: ValueFieldSubject = { name: 'prod/app/db', type: 'database', provider: 'aws', providerRef: 'prod/app/db', valueField: null };
const vault: ValueFieldSubject = {
  name: 'prod/cache/redis',
  type: 'redis',
  provider: 'vault',
  providerRef: 'secret/prod/cache/redis',
  valueField: null,
};

describe('which field a generated value replaces', () => {
  it('a plain value is replaced whole; `password` in named fields, every other field kept', () => {
    expect(decidePlacement(aws, defaultPolicy, { kind: 'string' })).toEqual({
      placement: { kind: 'whole' },
      message: 'prod/app/db holds a plain value: the generated one replaces it whole.',
    });
    expect(decidePlacement(aws, defaultPolicy, fields('username', 'password', 'host', 'port'))).toEqual({
      placement: { kind: 'field', field: 'password' },
      message:
        'The generated value replaces the `password` field of prod/app/db (the default); every other field (username, host, port) is kept as it is.',
    });
  });

  it('a Vault secret Rotor wrote before (`value`) keeps working without any setting', () => {
    expect(decidePlacement(vault, defaultPolicy, fields('value')).placement).toEqual({ kind: 'field', field: 'value' });
    expect(decidePlacement(vault, defaultPolicy, fields('value', 'password')).placement).toEqual({ kind: 'field', field: 'password' });
    expect(decidePlacement(aws, defaultPolicy, fields('value')).placement).toBeNull();
  });

  it('refuses when it cannot tell, naming the fields and every way to tell it', () => {
    const decision = decidePlacement(aws, defaultPolicy, fields('username', 'pwd', 'host'));
    expect(decision.placement).toBeNull();
    expect(decision.message).toBe(
      'prod/app/db has the fields username, pwd, host but no `password`, so Rotor cannot tell which one to replace. Name it with `/secrets edit prod/app/db` or `rotor edit prod/app/db --value-field <field>` (or `value_fields` in the policy); if a person writes the new value, choose issuer there (`--value-source issuer`, or the tag `rotor:value_source=issuer`).',
    );
    // The modal shows a finding's first 400 characters: the whole fix fits.
    expect(decision.message.length).toBeLessThan(400);
    const other = decidePlacement(aws, defaultPolicy, { kind: 'other', what: 'a URL or connection string' });
    expect(other.placement).toBeNull();
    expect(other.message).toBe(
      'prod/app/db holds a URL or connection string, so a generated value would replace it whole. If a person composes or issues the new value, choose issuer with `/secrets edit prod/app/db` or `rotor edit prod/app/db --value-source issuer` (or the tag `rotor:value_source=issuer`).',
    );
    expect(other.message).toContain('`rotor edit prod/app/db --value-source issuer`');
    const nested = decidePlacement(aws, defaultPolicy, { kind: 'fields', fields: [{ name: 'password', holds: 'object' }] });
    expect(nested.message).toContain('The `password` field of prod/app/db holds an object, not a string');
  });

  it("the secret's own field wins, then a Vault #field, then the policy by name, by type, then its default", () => {
    const policy = parsePolicy('value_fields:\n  default: secret\n  redis: auth_token\n  prod/app/db: db_password\n');
    expect(decidePlacement({ ...aws, valueField: 'pwd' }, policy, fields('pwd', 'db_password')).message).toContain(
      '`pwd` field of prod/app/db (its own value field)',
    );
    expect(
      decidePlacement({ ...vault, providerRef: 'secret/prod/cache/redis#token' }, policy, fields('token', 'auth_token')).message,
    ).toContain("(its Vault reference's #field)");
    expect(decidePlacement(aws, policy, fields('db_password', 'secret')).message).toContain("(the policy's value_fields.prod/app/db)");
    expect(decidePlacement(vault, policy, fields('auth_token', 'secret')).message).toContain("(the policy's value_fields.redis)");
    expect(decidePlacement({ ...aws, name: 'prod/app/other' }, policy, fields('secret', 'password')).placement).toEqual({
      kind: 'field',
      field: 'secret',
    });
    // A configured field that is not there is refused, never swapped for another.
    const missing = decidePlacement({ ...aws, valueField: 'pwd' }, policy, fields('password', 'user'));
    expect(missing.placement).toBeNull();
    expect(missing.message).toContain('prod/app/db has no `pwd` field, which its own value field names; its fields: password, user.');
  });

  it('never lists a field name that looks like a credential itself', () => {
    const leaked = `sk_live_${'a1B2'.repeat(6)}`;
    const decision = decidePlacement(aws, defaultPolicy, fields('user', leaked));
    expect(decision.message).not.toContain(leaked);
    expect(decision.message).toContain('has the fields user and 1 more but no `password`');
  });
});

describe('the policy key value_fields', () => {
  it('takes default, a type or a secret name, each naming a field; refuses anything else with its path', () => {
    expect(parsePolicy('value_fields:\n  default: pwd\n  database: password\n').valueFields).toEqual({
      default: 'pwd',
      database: 'password',
    });
    expect(defaultPolicy.valueFields).toEqual({});
    expect(loadPolicy('examples/policy.yml').valueFields).toEqual({
      default: 'password',
      redis: 'auth_token',
      'prod/payments/webhook': 'signing_secret',
    });
    const issuesOf = (text: string) => {
      try {
        parsePolicy(text);
      } catch (error) {
        return (error as ValidationError).issues.map((issue) => `${issue.where}: ${issue.message}`);
      }
      throw new Error('accepted');
    };
    expect(issuesOf('value_fields:\n  databse: password\n')).toEqual([
      expect.stringMatching(/value_fields.databse.*is neither `default`, a secret type/),
    ]);
    expect(issuesOf('value_fields:\n  database: "pass word"\n')).toEqual([
      expect.stringMatching(/value_fields.database.*must be a field name/),
    ]);
  });
});
