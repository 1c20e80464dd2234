import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { parseInventoryTarget, parseSecretValueTarget } from '../../src/targets/target-parsing.js';
import { generateTargetPassword } from '../../src/targets/target-password-generator.js';

function validationFailure(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('parseSecretValueTarget (AWS convention: engine, host, port, username, password, dbname, masterarn)', () => {
  it('reads a PostgreSQL role target, single user, with the managing secret from masterarn', () => {
    const value = JSON.stringify({
      engine: 'postgres',
      host: 'db.internal',
      port: 5433,
      username: 'app',
      password: generateTargetPassword(),
      dbname: 'orders',
      masterarn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-manager',
    });
    expect(parseSecretValueTarget(value)).toEqual({
      engine: 'postgres',
      host: 'db.internal',
      port: 5433,
      tls: 'require',
      database: 'orders',
      roles: { strategy: 'single-user', role: 'app' },
      managingSecretRef: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-manager',
    });
  });

  it('takes the port as a string, defaults it and dbname, and accepts postgresql and aurora-postgresql as engines', () => {
    const base = { host: '10.0.0.7', username: 'app', password: generateTargetPassword() };
    expect(parseSecretValueTarget(JSON.stringify({ ...base, engine: 'postgresql', port: '6432' }))).toMatchObject({
      engine: 'postgres',
      port: 6432,
      database: 'postgres',
    });
    expect(parseSecretValueTarget(JSON.stringify({ ...base, engine: 'aurora-postgresql' }))).toMatchObject({
      engine: 'postgres',
      port: 5432,
      managingSecretRef: null,
    });
  });

  it('reads a Redis ACL user target, with tls when the value names it', () => {
    const value = JSON.stringify({
      engine: 'redis',
      host: 'cache.internal',
      username: 'worker',
      password: generateTargetPassword(),
      tls: 'verify-full',
    });
    expect(parseSecretValueTarget(value)).toEqual({
      engine: 'redis',
      host: 'cache.internal',
      port: 6379,
      tls: 'verify-full',
      user: 'worker',
      managingSecretRef: null,
    });
  });

  it('refuses a value that is not JSON without quoting any of it', () => {
    const password = generateTargetPassword();
    const error = validationFailure(() => parseSecretValueTarget(`password=${password}`));
    expect(error.message).toContain('not JSON');
    expect(inspect(error, { depth: 10 })).not.toContain(password);
  });

  it('refuses JSON that is not an object', () => {
    expect(validationFailure(() => parseSecretValueTarget('"just a string"')).message).toContain('not an object');
    expect(validationFailure(() => parseSecretValueTarget('[1,2]')).message).toContain('not an object');
  });

  it('names every missing or wrong key, never a value', () => {
    const password = generateTargetPassword();
    const error = validationFailure(() =>
      parseSecretValueTarget(JSON.stringify({ engine: 'mysql', host: 'https://db/x', port: 70000, password })),
    );
    expect(error.issues.map((issue) => issue.where).sort()).toEqual(['engine', 'host', 'port', 'username']);
    expect(inspect(error, { depth: 10 })).not.toContain(password);
  });

  it('refuses a value without a password, and a role name PostgreSQL would cut', () => {
    expect(
      validationFailure(() => parseSecretValueTarget(JSON.stringify({ engine: 'postgres', host: 'db', username: 'app' }))).issues.map(
        (issue) => issue.where,
      ),
    ).toEqual(['password']);
    const long = validationFailure(() =>
      parseSecretValueTarget(
        JSON.stringify({ engine: 'postgres', host: 'db', username: 'r'.repeat(64), password: generateTargetPassword() }),
      ),
    );
    expect(long.issues[0]).toMatchObject({ where: 'username', message: expect.stringContaining('63 bytes') });
  });

  it('refuses a Redis user name with spaces', () => {
    const error = validationFailure(() =>
      parseSecretValueTarget(JSON.stringify({ engine: 'redis', host: 'cache', username: 'two words', password: generateTargetPassword() })),
    );
    expect(error.issues[0]?.where).toBe('username');
  });
});

describe('parseInventoryTarget (the inventory `target` field)', () => {
  it('reads alternating PostgreSQL roles with defaults for port, dbname and tls', () => {
    expect(
      parseInventoryTarget({ engine: 'postgres', host: 'db.internal', roles: ['app_a', 'app_b'], managing_ref: 'prod/db/manager' }),
    ).toEqual({
      engine: 'postgres',
      host: 'db.internal',
      port: 5432,
      tls: 'require',
      database: 'postgres',
      roles: { strategy: 'alternating-users', roles: ['app_a', 'app_b'] },
      managingSecretRef: 'prod/db/manager',
    });
  });

  it('reads a single PostgreSQL role and a Redis user', () => {
    expect(
      parseInventoryTarget({ engine: 'postgres', host: '::1', port: 5433, dbname: 'orders', tls: 'disable', role: 'app' }),
    ).toMatchObject({ host: '::1', roles: { strategy: 'single-user', role: 'app' }, tls: 'disable' });
    expect(parseInventoryTarget({ engine: 'redis', host: 'cache', user: 'worker', tls: 'disable' })).toEqual({
      engine: 'redis',
      host: 'cache',
      port: 6379,
      tls: 'disable',
      user: 'worker',
      managingSecretRef: null,
    });
  });

  it('wants exactly one of role and roles, and two different alternating roles', () => {
    expect(validationFailure(() => parseInventoryTarget({ engine: 'postgres', host: 'db' })).issues[0]).toMatchObject({
      where: 'role',
      message: expect.stringContaining('either `role`'),
    });
    expect(
      validationFailure(() => parseInventoryTarget({ engine: 'postgres', host: 'db', role: 'a', roles: ['a', 'b'] })).issues[0]?.where,
    ).toBe('role');
    expect(validationFailure(() => parseInventoryTarget({ engine: 'postgres', host: 'db', roles: ['a', 'a'] })).issues[0]).toMatchObject({
      where: 'roles',
      message: expect.stringContaining('different'),
    });
    expect(validationFailure(() => parseInventoryTarget({ engine: 'postgres', host: 'db', roles: ['a'] })).issues[0]?.where).toMatch(
      /^roles/,
    );
  });

  it('refuses an unknown engine, unknown keys, a bad tls mode and a bad port', () => {
    expect(validationFailure(() => parseInventoryTarget({ engine: 'mysql', host: 'db' })).issues[0]).toMatchObject({
      where: 'engine',
      message: 'engine must be postgres or redis',
    });
    expect(
      validationFailure(() => parseInventoryTarget({ engine: 'redis', host: 'cache', user: 'u', password: 'x' })).issues[0]?.message,
    ).toBe('unknown key password');
    expect(
      validationFailure(() => parseInventoryTarget({ engine: 'redis', host: 'cache', user: 'u', tls: 'prefer' })).issues[0],
    ).toMatchObject({ where: 'tls', message: 'must be one of disable, require, verify-full' });
    expect(validationFailure(() => parseInventoryTarget({ engine: 'redis', host: 'cache', user: 'u', port: 0 })).issues[0]).toMatchObject({
      where: 'port',
      message: 'must be 1 to 65535',
    });
    expect(validationFailure(() => parseInventoryTarget({ engine: 'redis', host: 'cache:6379', user: 'u' })).issues[0]?.where).toBe('host');
  });
});
