import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { quoteIdentifier, quoteLiteral } from '../../../src/targets/postgres/postgres-quoting.js';
import { SCRAM_ITERATIONS, scramSha256Verifier } from '../../../src/targets/postgres/scram-verifier.js';
import { TargetError } from '../../../src/targets/target-error.js';
import { generateTargetPassword } from '../../../src/targets/target-password-generator.js';
import { shouldRunPostgresSuite, usePostgres } from '../../support/postgres.js';
import { uniqueRole } from '../../support/postgres-roles.js';

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

describe('scramSha256Verifier', () => {
  it("has PostgreSQL's format: 4096 iterations, a 16-byte salt, 32-byte StoredKey and ServerKey, a fresh salt each time", () => {
    const password = generateTargetPassword();
    const first = scramSha256Verifier(password);
    const [, iterations, salt, storedKey, serverKey] = VERIFIER.exec(first) ?? [];
    expect(Number(iterations)).toBe(SCRAM_ITERATIONS);
    expect(Buffer.from(salt as string, 'base64')).toHaveLength(16);
    expect(Buffer.from(storedKey as string, 'base64')).toHaveLength(32);
    expect(Buffer.from(serverKey as string, 'base64')).toHaveLength(32);
    expect(scramSha256Verifier(password)).not.toBe(first);
    expect(first).not.toContain(password);
  });

  it('refuses an empty password and one with characters outside ASCII (SASLprep would normalise them), without echoing it', () => {
    expect(() => scramSha256Verifier('')).toThrow(TargetError);
    const accented = `${generateTargetPassword()}é`;
    expect(() => scramSha256Verifier(accented)).toThrow(/outside ASCII/);
    try {
      scramSha256Verifier(accented);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(accented);
    }
  });
});

describe('quoting', () => {
  it('quotes identifiers with doubled double quotes, and literals with doubled single quotes (E-strings for backslashes)', () => {
    expect(quoteIdentifier('app')).toBe('"app"');
    expect(quoteIdentifier('a"b; DROP')).toBe('"a""b; DROP"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'");
    expect(() => quoteIdentifier('')).toThrow(TargetError);
    expect(() => quoteIdentifier('a\u0000b')).toThrow(TargetError);
    expect(() => quoteLiteral('a\u0000b')).toThrow(TargetError);
  });
});

describe.runIf(shouldRunPostgresSuite('SCRAM verifier against PostgreSQL'))("scramSha256Verifier against the server's own", () => {
  const server = usePostgres();

  it('computes exactly the verifier PostgreSQL computes for the same password, salt and iterations', async () => {
    const role = uniqueRole('scram');
    // Punctuation too: anything printable in ASCII is hashed as it is, as the server does.
    const random = generateTargetPassword();
    const password = `${random}!:@/'"\\ ~`;
    // The server hashes this one itself; its statement is kept out of the log by a session with log_statement off.
    const session = new pg.Client({
      host: server.host,
      port: server.port,
      database: 'postgres',
      user: server.superuser.user,
      password: server.superuser.password,
    });
    await session.connect();
    await session.query(`SET log_statement = 'none'`);
    await session.query(`CREATE ROLE "${role}" LOGIN PASSWORD ${quoteLiteral(password)}`);
    await session.end();
    const [row] = await server.sql<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
    const serverVerifier = row?.rolpassword ?? '';
    const [, iterations, salt] = VERIFIER.exec(serverVerifier) ?? [];

    expect(scramSha256Verifier(password, { salt: Buffer.from(salt as string, 'base64'), iterations: Number(iterations) })).toBe(
      serverVerifier,
    );
    expect(server.log()).not.toContain(random);
  });
});
