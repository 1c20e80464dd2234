import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError, NotFoundError } from '../../src/core/errors.js';
import { parseCadence } from '../../src/inventory/secret-fields.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

describe('InventoryService', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore({ at: '2026-11-22T10:00:00Z' });
  });
  afterEach(() => store.close());

  it('creates a secret with policy defaults; a never-rotated secret is due now', () => {
    const secret = store.inventoryService.create({ name: 'prod/postgres/connection_string' }, operator('U1'), 'test');
    expect(secret).toMatchObject({
      environment: 'prod',
      service: 'postgres',
      credentialType: 'connection_string',
      type: 'database',
      provider: 'manual',
      intervalDays: 90,
      lastRotated: null,
      nextRotation: '2026-11-22',
      lifecycle: 'active',
    });
    expect(store.inventory.overdue(store.clock.now()).map((s) => s.name)).toEqual(['prod/postgres/connection_string']);
  });

  it('computes next rotation from the last rotation in UTC calendar days', () => {
    const secret = store.inventoryService.create(
      { name: 'prod/redis/password', lastRotated: '2026-10-01T23:30:00-05:00', intervalDays: '30 days' },
      operator('U1'),
      'test',
    );
    expect(secret.lastRotated).toBe('2026-10-02T04:30:00.000Z');
    expect(secret.nextRotation).toBe('2026-11-01');
    expect(store.inventory.overdue(store.clock.now())).toHaveLength(1);
  });

  it('records every write with an audit event in the same transaction', () => {
    store.inventoryService.create({ name: 'prod/stripe/secret_key', owner: 'U0123ABCD' }, operator('U1'), 'test');
    store.inventoryService.setOwner('prod/stripe/secret_key', '<@U0999ZZZZ|sam>', operator('U1'), 'test');
    const events = store.db.prepare('SELECT action, secret, actor, details FROM audit_events ORDER BY seq').all() as {
      action: string;
      details: string;
    }[];
    expect(events.map((event) => event.action)).toEqual(['secret.created', 'secret.updated']);
    expect(JSON.parse(events[1]!.details)).toMatchObject({ changes: { owner: { from: 'U0123ABCD', to: 'U0999ZZZZ' } } });
  });

  it.each([
    ['upper case', 'Prod/postgres/password', /lower-case/],
    ['two segments', 'prod/postgres', /2 segments/],
    ['four segments', 'prod/postgres/main/password', /4 segments/],
    ['unknown environment', 'qa/postgres/password', /not a known environment/],
    ['spaces', 'prod/post gres/password', /spaces/],
    ['empty', '', /required/],
  ])('refuses a malformed name (%s) and changes nothing', (_label, name, message) => {
    const before = snapshotTables(store);
    expect(() => store.inventoryService.create({ name }, operator('U1'), 'test')).toThrow(ValidationError);
    try {
      store.inventoryService.create({ name }, operator('U1'), 'test');
    } catch (error) {
      expect((error as ValidationError).issues[0]?.message).toMatch(message);
    }
    expect(snapshotTables(store)).toEqual(before);
  });

  it.each([
    ['unknown provider', { provider: 'gcp' }, /unknown provider `gcp`/],
    ['non-numeric interval', { intervalDays: 'often' }, /not a whole number of days/],
    ['fractional interval', { intervalDays: '1.5' }, /`1.5` is not a whole number of days/],
    ['zero interval', { intervalDays: 0 }, /between 1 and 3650/],
    ['future last-rotated', { lastRotated: '2027-01-01' }, /in the future/],
    ['aws without reference', { provider: 'aws' }, /needs provider_ref/],
    ['owner that is not a user id', { owner: '@alice' }, /not a Slack user id/],
  ])('refuses %s and changes nothing', (_label, fields, message) => {
    const before = snapshotTables(store);
    const attempt = () => store.inventoryService.create({ name: 'prod/api/key', ...fields }, operator('U1'), 'test');
    expect(attempt).toThrow(ValidationError);
    expect(() => attempt()).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ message: expect.stringMatching(message) })] }),
    );
    expect(snapshotTables(store)).toEqual(before);
  });

  it.each([
    ['aws', 'eu-west-1:prod/app/db'],
    ['aws', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-AbCdEf'],
    ['vault', 'secret/prod/app/db'],
    ['vault', 'team/kv:prod/app/db#password'],
  ])('accepts the %s reference %s in the forms the provider reads', (provider, providerRef) => {
    expect(store.inventoryService.create({ name: 'prod/app/db', provider, providerRef }, operator('U1'), 'test').providerRef).toBe(
      providerRef,
    );
  });

  it.each([
    ['aws', 'arn:aws:s3:::bucket', /not a Secrets Manager secret ARN/],
    ['vault', 'secret/data/prod/app', /API prefix `data\/`/],
    ['vault', 'secret', /names no path/],
  ])('refuses the malformed %s reference %s', (provider, providerRef, message) => {
    const before = snapshotTables(store);
    expect(() => store.inventoryService.create({ name: 'prod/app/db', provider, providerRef }, operator('U1'), 'test')).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ where: 'provider_ref', message: expect.stringMatching(message) })] }),
    );
    expect(snapshotTables(store)).toEqual(before);
  });

  it('clears an emptied field only when the caller says empty means clear (an edit form), never on import', () => {
    store.inventoryService.create(
      { name: 'prod/app/db', description: 'primary', team: 'platform', backupOwner: 'U0BACKUP1' },
      operator('U1'),
      'test',
    );
    store.inventoryService.update('prod/app/db', { description: '', team: undefined }, operator('U1'), 'test');
    expect(store.inventory.get('prod/app/db')).toMatchObject({ description: 'primary', team: 'platform' });
    store.inventoryService.update(
      'prod/app/db',
      { description: '', team: undefined, backupOwner: null, owner: undefined },
      operator('U1'),
      'slack',
      { emptyClears: true },
    );
    expect(store.inventory.get('prod/app/db')).toMatchObject({ description: null, team: null, backupOwner: null });
  });

  it('refuses clearing the reference of a provider-backed secret', () => {
    store.inventoryService.create({ name: 'prod/app/db', provider: 'vault', providerRef: 'secret/prod/app/db' }, operator('U1'), 'test');
    const before = snapshotTables(store);
    expect(() => store.inventoryService.update('prod/app/db', { providerRef: '' }, operator('U1'), 'slack', { emptyClears: true })).toThrow(
      ValidationError,
    );
    expect(snapshotTables(store)).toEqual(before);
  });

  it('names the closest secrets when asked for an unknown one', () => {
    store.inventoryService.create({ name: 'prod/postgres/connection_string' }, operator('U1'), 'test');
    store.inventoryService.create({ name: 'staging/postgres/connection_string' }, operator('U1'), 'test');
    expect(() => store.inventoryService.require('prod/postgres/conection_string')).toThrow(NotFoundError);
    expect(store.inventory.suggestNames('prod/postgres/conection_string')[0]).toBe('prod/postgres/connection_string');
  });

  it('records a rotation: last rotated, next date, version and fingerprint', () => {
    store.inventoryService.create({ name: 'prod/jwt/signing_key', intervalDays: 90 }, operator('U1'), 'test');
    const rotated = store.inventoryService.recordRotation(
      'prod/jwt/signing_key',
      { rotatedAt: '2026-11-22T10:00:00.000Z', versionId: 'v2', fingerprint: 'ab'.repeat(32) },
      operator('U1'),
    );
    expect(rotated).toMatchObject({ lastRotated: '2026-11-22T10:00:00.000Z', nextRotation: '2027-02-20', currentVersionId: 'v2' });
  });
});

describe('cadences as teams write them', () => {
  it.each([
    ['90', 90, null],
    ['30 days', 30, null],
    ['90days', 90, null],
    ['90 days with dual-publish', 90, 'dual-publish'],
    ['90 days (dual-publish)', 90, 'dual-publish'],
    ['6 months', 180, null],
    ['2 weeks', 14, null],
    ['quarterly', 90, null],
  ])('reads %s', (text, days, note) => {
    expect(parseCadence(text)).toEqual({ days, note });
  });

  it.each(['1.5', '30.0', '2,5', '1e2', 'often', 'days'])('refuses %s rather than guessing', (text) => {
    expect(parseCadence(text)).toBeNull();
  });
});
