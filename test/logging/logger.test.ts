import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    logger: createLogger('info', stream),
    lines: () =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    raw: () => text,
  };
}

describe('createLogger', () => {
  it('writes JSON lines with an ISO time and a level label', () => {
    const { logger, lines } = capture();
    logger.info({ secret: 'prod/postgres/password' }, 'hello');
    expect(lines()[0]).toMatchObject({
      level: 'info',
      service: 'rotor',
      msg: 'hello',
      secret: 'prod/postgres/password',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('redacts tokens, signing secrets, authorization headers and anything named like a value, at any of three depths', () => {
    const { logger, raw } = capture();
    const sensitive = Array.from({ length: 8 }, () => randomBytes(8).toString('hex'));
    logger.info(
      {
        token: sensitive[0],
        request: { headers: { authorization: `Bearer ${sensitive[1]}`, 'x-slack-signature': sensitive[2] } },
        provider: { SecretString: sensitive[3], value: sensitive[4] },
        config: { signingSecret: sensitive[5], botToken: sensitive[6] },
        vault: { headers: { 'X-Vault-Token': sensitive[7] } },
      },
      'careless',
    );
    for (const value of sensitive) expect(raw()).not.toContain(value);
    expect(raw()).toContain('[redacted]');
  });
});
