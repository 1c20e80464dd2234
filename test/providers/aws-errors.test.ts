import { describe, expect, it } from 'vitest';
import { translateAwsError } from '../../src/providers/aws/aws-errors.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { translateVaultError } from '../../src/providers/vault/vault-errors.js';

describe('provider set-up messages', () => {
  it('tells a user with no AWS credentials to configure some, rather than that access was denied', () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const error = translateAwsError(missing, { secretName: 'secrets', providerRef: '*' }, 'list');
    expect(error.message).toBe(
      'Could not list secrets in AWS Secrets Manager: no AWS credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run Rotor with an IAM role, then try again.',
    );
    expect(error.exitCode).toBe(2);
  });

  it('says which provider discovery needs when it is not configured', () => {
    expect(() => createProviderRegistry({}).providerFor('vault', 'Discovery')).toThrow(
      'Discovery needs Vault, which is not configured: set VAULT_ADDR and VAULT_TOKEN for Rotor.',
    );
  });

  it('an unrecognised provider failure still says what to do', () => {
    const target = { secretName: 'prod/app/db', providerRef: 'secret/prod/app/db' };
    const aws = translateAwsError(Object.assign(new Error('odd'), { name: 'SomethingNewException' }), target, 'describe');
    expect(aws.message).toBe(
      "Could not describe prod/app/db in AWS Secrets Manager: SomethingNewException (odd). Nothing was recorded; check the reference secret/prod/app/db and the secret's state in AWS, then try again.",
    );
    const vault = translateVaultError(
      Object.assign(new Error('bad'), { response: { statusCode: 400, body: { errors: ['invalid path'] } } }),
      target,
      'describe',
    );
    expect(vault.message).toBe(
      "Could not describe prod/app/db in Vault: Vault answered 400 (invalid path). Nothing was recorded; check the reference secret/prod/app/db and Vault's logs, then try again.",
    );
  });

  it('a reference that names nothing at the store says to fix it with /secrets edit, or to create it there', () => {
    const target = { secretName: 'prod/app/db', providerRef: 'secret/prod/app/db' };
    const aws = translateAwsError(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }), target, 'describe');
    expect(aws.next).toEqual({
      kind: 'run_command',
      command: 'secrets edit',
      args: ['prod/app/db'],
      lead: 'fix the reference with',
      purpose: 'or create the secret in AWS',
    });
    expect(aws.message).toContain('Fix the reference with `/secrets edit prod/app/db` or create the secret in AWS.');
    const vault = translateVaultError(
      Object.assign(new Error('gone'), { response: { statusCode: 404, body: { errors: [] } } }),
      target,
      'describe',
    );
    expect(vault.message).toContain('Fix the reference with `/secrets edit prod/app/db` or write the secret in Vault first.');
  });
});
