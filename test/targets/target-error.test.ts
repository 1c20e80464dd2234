import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RotorError } from '../../src/core/errors.js';
import { scrubbedCause, TargetError } from '../../src/targets/target-error.js';
import { generateTargetPassword } from '../../src/targets/target-password-generator.js';

describe('TargetError', () => {
  it('is a RotorError whose code follows the failure, transient only for unreachable and timeout', () => {
    const cases = [
      ['unreachable', 'provider_unavailable', true],
      ['timeout', 'provider_unavailable', true],
      ['tls', 'config', false],
      ['managing_refused', 'forbidden', false],
      ['not_privileged', 'forbidden', false],
      ['login_missing', 'not_found', false],
      ['login_refused', 'conflict', false],
      ['not_ready', 'conflict', false],
      ['bad_request', 'validation', false],
      ['server_error', 'provider', false],
    ] as const;
    for (const [failure, code, transient] of cases) {
      const error = new TargetError(failure, 'message');
      expect(error).toBeInstanceOf(RotorError);
      expect([error.code, error.transient]).toEqual([code, transient]);
    }
  });

  it('scrubbedCause keeps the name, code and message of a driver error with every value of the call replaced', () => {
    const password = generateTargetPassword();
    const driver = Object.assign(new Error(`ERR Error in ACL SETUSER modifier '<${password}': no such password`), {
      name: 'ErrorReply',
      code: 'X',
      extra: password,
    });
    const cause = scrubbedCause(driver, [password, '']);
    expect(cause).toMatchObject({
      name: 'ErrorReply',
      code: 'X',
      message: "ERR Error in ACL SETUSER modifier '<[value]': no such password",
    });
    expect(inspect(new TargetError('server_error', 'failed', { cause }), { depth: 10 })).not.toContain(password);
    expect(scrubbedCause('plain text', []).message).toBe('plain text');
  });
});
