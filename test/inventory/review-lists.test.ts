import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadScope } from '../../src/access/visibility.js';
import { operator } from '../support/actors.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

/**
 * The monthly review lists its checks by name over the whole inventory (issue 25: whole rows made
 * its start hold the event loop for seconds at 100,000 secrets). The narrow lists must name exactly
 * the secrets the whole-row reads name, in the same order.
 */
describe('the monthly review’s lists, read narrow', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  it('name the same secrets as the whole-row reads: no owner, no backup owner, never rotated, readers to review; retired ones left out', () => {
    const add = (name: string, fields: Record<string, unknown>) => store.inventoryService.create({ name, ...fields }, operator(), 'test');
    add('prod/app/db', {
      owner: 'U0OWNER',
      backupOwner: 'U0BACKUP',
      access: ['U0ALICE'],
      last_rotated: store.clock.now().minus({ days: 3 }).toISODate(),
    });
    add('prod/app/api', { owner: 'U0OWNER', access: ['U0ALICE', 'S0OPS'] });
    add('prod/app/cache', { owner: 'U0OWNER', backupOwner: 'U0BACKUP' });
    add('prod/app/orphan', {});
    add('prod/app/old', { owner: 'U0OWNER', access: ['U0BOB'] });
    store.db.prepare("UPDATE secrets SET lifecycle = 'retired' WHERE name = 'prod/app/old'").run();

    const names = (secrets: readonly { name: string }[]) => secrets.map((secret) => secret.name);
    expect(names(store.inventory.reviewListed('unowned'))).toEqual(names(store.inventory.unowned()));
    expect(names(store.inventory.reviewListed('withoutBackup'))).toEqual(names(store.inventory.withoutBackupOwner()));
    expect(names(store.inventory.reviewListed('neverRotated'))).toEqual(names(store.inventory.neverRotated()));
    const live = [...store.inventory.iterateAll()].filter((secret) => secret.lifecycle !== 'retired');
    expect(store.inventory.reviewListed('withReaders')).toEqual(
      live.filter((secret) => secret.access.length > 0).map((secret) => ({ name: secret.name, access: secret.access })),
    );
    expect(names(store.inventory.reviewListed('withReaders'))).toEqual(['prod/app/api', 'prod/app/db']);
    expect(names(store.inventory.reviewListed('withoutBackup'))).toEqual(['prod/app/api']);
    expect(names(store.inventory.reviewListed('unowned'))).toEqual(['prod/app/orphan']);
    for (const check of ['unowned', 'withoutBackup', 'neverRotated', 'withReaders'] as const)
      expect(store.inventory.reviewNames(check)).toEqual(names(store.inventory.reviewListed(check)));
  });

  it('the access review’s owned secrets and the quarterly audit’s counts match a walk of the whole inventory', () => {
    const add = (name: string, fields: Record<string, unknown>) => store.inventoryService.create({ name, ...fields }, operator(), 'test');
    add('staging/app/db', { owner: 'U0BOB', access: ['U0ALICE'] });
    add('prod/app/db', { owner: 'U0OWNER' });
    add('prod/app/api', { owner: 'U0BOB', provider: 'aws', providerRef: 'eu-west-1:prod/app/api' });
    add('dev/app/db', { owner: 'U0OWNER' });
    add('prod/app/orphan', {});
    add('prod/app/old', { owner: 'U0OLD' });
    store.db.prepare("UPDATE secrets SET lifecycle = 'retired' WHERE name = 'prod/app/old'").run();

    const all = [...store.inventory.iterateAll()];
    const live = all.filter((secret) => secret.lifecycle !== 'retired');
    const owned = live.filter((secret) => secret.owner !== null);
    expect(store.inventory.ownedListed()).toEqual(
      owned.map((secret) => ({ id: secret.id, name: secret.name, owner: secret.owner, access: secret.access })),
    );
    const countedInOrder = (values: string[]) => {
      const counts: Record<string, number> = {};
      for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
      return Object.entries(counts);
    };
    expect(store.inventory.countLive()).toBe(live.length);
    expect(store.inventory.count() - store.inventory.countLive()).toBe(1);
    expect(Object.entries(store.inventory.liveCountsBy('environment'))).toEqual(countedInOrder(live.map((secret) => secret.environment)));
    expect(Object.entries(store.inventory.liveCountsBy('provider'))).toEqual(countedInOrder(live.map((secret) => secret.provider)));
    expect(Object.entries(store.inventory.liveCountsBy('owner'))).toEqual(countedInOrder(owned.map((secret) => secret.owner as string)));
    expect(store.inventory.liveCountsBy('owner')).toEqual({ U0BOB: 2, U0OWNER: 2 });
  });

  it('the replication review’s list: one environment’s live secrets in (or not in) the replicating stores, the first `limit` of them, narrow, and how many there are', () => {
    const add = (name: string, fields: Record<string, unknown>) => store.inventoryService.create({ name, ...fields }, operator(), 'test');
    for (const service of ['a', 'b', 'c', 'd'])
      add(`prod/${service}/db`, { owner: 'U0OWNER', provider: 'aws', providerRef: `prod/${service}/db` });
    add('prod/e/db', { owner: 'U0BOB', provider: 'aws', providerRef: 'prod/e/db' });
    add('prod/f/db', { owner: 'U0OWNER' });
    add('prod/g/db', { owner: 'U0OWNER', provider: 'aws', providerRef: 'prod/g/db' });
    add('staging/a/db', { owner: 'U0OWNER', provider: 'aws', providerRef: 'staging/a/db' });
    store.db.prepare("UPDATE secrets SET lifecycle = 'retired' WHERE name = 'prod/g/db'").run();

    const all = { kind: 'all' } as const;
    const owners = { kind: 'some', userId: 'U0OWNER', principals: ['U0OWNER'], teams: [] } as const;
    const replicated = (scope: ReadScope, limit: number) =>
      store.inventory.replicationListed({ environment: 'prod', providers: ['aws'], inProviders: true, scope }, limit);
    expect(replicated(all, 3)).toEqual({
      secrets: ['prod/a/db', 'prod/b/db', 'prod/c/db'].map((name) => ({ name, provider: 'aws', providerRef: name, environment: 'prod' })),
      total: 5,
    });
    expect(replicated(owners, 10).total).toBe(4);
    expect(replicated(all, 0)).toEqual({ secrets: [], total: 5 });
    const whole = store.inventory.list({ environment: 'prod', scope: all }, store.clock.now(), 7);
    expect(replicated(all, 100).secrets.map((secret) => secret.name)).toEqual(
      whole.filter((secret) => secret.provider === 'aws').map((secret) => secret.name),
    );
    expect(store.inventory.replicationListed({ environment: 'prod', providers: ['aws'], inProviders: false, scope: all }, 10)).toEqual({
      secrets: [{ name: 'prod/f/db', provider: 'manual', providerRef: null, environment: 'prod' }],
      total: 1,
    });
  });
});
