import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENERATED_ALPHABET, generateValue } from '../../src/providers/generated-value.js';
import type { ProviderTarget } from '../../src/providers/secret-provider.js';
import { placeInFields, placeInText, shapeOfText } from '../../src/providers/value-shape.js';

const target: ProviderTarget = { secretName: 'prod/app/db', providerRef: 'prod/app/db' };
const hex = (bytes = 12) => randomBytes(bytes).toString('hex');

describe('a generated value', () => {
  it('is 48 letters and digits from the CSPRNG: nothing a URL, a DSN or a shell would need escaped', () => {
    const values = Array.from({ length: 200 }, () => generateValue());
    for (const value of values) {
      expect(value).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(value).not.toMatch(/[/+=:@'"\\\s-]/);
    }
    expect(new Set(values).size).toBe(values.length);
    // Every character of the alphabet turns up: the draw is not stuck on a subset.
    expect(new Set(values.join('')).size).toBe(GENERATED_ALPHABET.length);
    expect(generateValue(32)).toHaveLength(32);
  });

  it('is a valid URL user-info and libpq DSN password as it is', () => {
    const value = generateValue();
    const url = new URL(`postgres://app:${value}@db.internal:5432/app`);
    expect(decodeURIComponent(url.password)).toBe(value);
    expect(url.password).toBe(value);
    expect(encodeURIComponent(value)).toBe(value);
  });
});

describe('the shape of a stored value', () => {
  it('tells a plain string, a JSON object and what Rotor cannot place a value in', () => {
    expect(shapeOfText(hex())).toEqual({ kind: 'string' });
    expect(shapeOfText(`${hex()}==`)).toEqual({ kind: 'string' });
    expect(
      shapeOfText(JSON.stringify({ username: 'app', password: hex(), host: 'db.internal', port: 5432, tls: { mode: 'require' } })),
    ).toEqual({
      kind: 'fields',
      fields: [
        { name: 'username', holds: 'string' },
        { name: 'password', holds: 'string' },
        { name: 'host', holds: 'string' },
        { name: 'port', holds: 'number' },
        { name: 'tls', holds: 'object' },
      ],
    });
    expect(shapeOfText(`postgres://app:${hex()}@db.internal/app`)).toMatchObject({ kind: 'other', what: 'a URL or connection string' });
    expect(shapeOfText(`Server=db;User Id=app;Password=${hex()};`)).toMatchObject({ kind: 'other' });
    expect(shapeOfText(`host=db;password=${hex()}`)).toMatchObject({ kind: 'other', what: 'key=value pairs (a connection string)' });
    expect(shapeOfText(`-----BEGIN PRIVATE KEY-----\n${hex()}\n-----END PRIVATE KEY-----`)).toMatchObject({ kind: 'other' });
    expect(shapeOfText(JSON.stringify([hex()]))).toEqual({ kind: 'other', what: 'a JSON array' });
    expect(shapeOfText(`{"password": "${hex()}"`)).toMatchObject({
      kind: 'other',
      what: 'text that starts like JSON but is not valid JSON',
    });
  });

  it('places a value in one field and keeps every other key, in its order', () => {
    const before = { username: 'app', password: hex(), host: 'db.internal', port: 5432, options: { sslmode: 'require' } };
    const value = generateValue();
    const after = JSON.parse(placeInText(target, JSON.stringify(before), { kind: 'field', field: 'password' }, value)) as Record<
      string,
      unknown
    >;
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after.password === value).toBe(true);
    const { password: _old, ...kept } = before;
    const { password: _new, ...keptAfter } = after;
    expect(keptAfter).toEqual(kept);
    // Indented JSON stays indented.
    expect(placeInText(target, JSON.stringify(before, null, 2), { kind: 'field', field: 'password' }, value)).toContain(
      '\n  "username": "app"',
    );
  });

  it('refuses to place a value where the shape does not fit, naming fields and never a value', () => {
    const secretValue = hex();
    const json = JSON.stringify({ user: 'app', pwd: secretValue });
    const refusals = [
      () => placeInText(target, json, { kind: 'field', field: 'password' }, generateValue()),
      () => placeInText(target, json, undefined, generateValue()),
      () => placeInText(target, `postgres://app:${secretValue}@db/app`, { kind: 'field', field: 'password' }, generateValue()),
      () => placeInFields(target, { user: 'app', password: { nested: secretValue } }, 'password', generateValue()),
    ];
    const messages = refusals.map((refusal) => {
      try {
        refusal();
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('not refused');
    });
    expect(messages[0]).toContain('has no `password` field (its fields: user, pwd)');
    expect(messages[1]).toContain('holds a JSON object, not a plain string');
    expect(messages[2]).toContain('is not a JSON object');
    expect(messages[3]).toContain('holds an object in `password`, not a string');
    for (const message of messages) {
      expect(message).toContain('Rotor wrote nothing');
      expect(message).not.toContain(secretValue);
    }
    // `whole` replaces whatever the value was (an emergency placeholder), and a field map with no data yet gets the field.
    expect(placeInText(target, json, { kind: 'whole' }, 'x')).toBe('x');
    expect(placeInFields(target, {}, 'password', 'x')).toEqual({ password: 'x' });
  });
});
