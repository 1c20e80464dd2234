import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { verifyAuditChain } from '../../src/audit/audit-log.js';
import { inWriteTransaction } from '../../src/storage/database.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

function hasSqlite3Cli(): boolean {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('hash-chained audit log', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
    for (const name of ['prod/a/key', 'prod/b/key', 'prod/c/key', 'prod/d/key']) {
      store.inventoryService.create({ name }, operator('U1'), 'test');
      store.clock.advance({ minutes: 1 });
    }
  });
  afterEach(() => store.close());

  function tamper(sql: string): void {
    const other = new Database(store.path);
    other.exec(sql);
    other.close();
  }

  it('publishes nothing to the log stream for an inner record whose outer transaction rolls back', () => {
    const published: AuditEvent[] = [];
    store.audit.onAppend((event) => published.push(event));
    const before = store.db.prepare('SELECT count(*) FROM audit_events').pluck().get();
    expect(() =>
      inWriteTransaction(store.db, () => {
        store.audit.record(() => ({ result: undefined, events: [{ actor: 'U1', action: 'test.inner', secret: 'prod/a/key' }] }));
        store.audit.log({ actor: 'U1', action: 'test.inner_log' });
        throw new Error('outer work failed');
      }),
    ).toThrow('outer work failed');
    expect(store.db.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(before);
    expect(published).toEqual([]);
    expect(verifyAuditChain(store.db).firstBreak).toBeNull();
  });

  it('publishes an inner record once the outermost transaction commits, not before', () => {
    const published: string[] = [];
    store.audit.onAppend((event) => published.push(event.action));
    inWriteTransaction(store.db, () => {
      store.audit.record(() => ({ result: undefined, events: [{ actor: 'U1', action: 'test.inner' }] }));
      expect(published).toEqual([]);
    });
    expect(published).toEqual(['test.inner']);
  });

  it('keeps the events of an outer record when an inner savepoint rolls back, and drops only the inner ones', () => {
    const published: string[] = [];
    store.audit.onAppend((event) => published.push(event.action));
    store.audit.record(() => {
      try {
        store.audit.record(() => {
          store.audit.log({ actor: 'U1', action: 'test.dropped' });
          throw new Error('inner failed');
        });
      } catch {
        // the inner change is abandoned; the outer one goes on
      }
      return { result: undefined, events: [{ actor: 'U1', action: 'test.kept' }] };
    });
    expect(published).toEqual(['test.kept']);
    expect(store.db.prepare("SELECT action FROM audit_events WHERE action LIKE 'test.%'").pluck().all()).toEqual(['test.kept']);
    expect(verifyAuditChain(store.db).firstBreak).toBeNull();
  });

  it('verifies an untouched chain', () => {
    expect(verifyAuditChain(store.db)).toMatchObject({ events: 4, firstBreak: null });
  });

  it('names the altered row', () => {
    tamper(`UPDATE audit_events SET actor = 'U666' WHERE seq = 2`);
    expect(verifyAuditChain(store.db).firstBreak).toMatchObject({ seq: 2, reason: expect.stringMatching(/altered/) });
  });

  it('names the row after a removed one', () => {
    tamper('DELETE FROM audit_events WHERE seq = 2');
    expect(verifyAuditChain(store.db).firstBreak?.seq).toBe(3);
  });

  it('detects reordered rows', () => {
    tamper(
      `UPDATE audit_events SET seq = seq + 100 WHERE seq IN (2, 3); UPDATE audit_events SET seq = 3 WHERE seq = 102; UPDATE audit_events SET seq = 2 WHERE seq = 103;`,
    );
    expect(verifyAuditChain(store.db).firstBreak?.seq).toBe(2);
  });

  it('detects removal of the newest events', () => {
    tamper('DELETE FROM audit_events WHERE seq = 4');
    expect(verifyAuditChain(store.db).firstBreak).toMatchObject({ seq: 4, reason: expect.stringMatching(/newest events were removed/) });
  });

  it('detects a row whose hash was recomputed by hand but whose successor still links to the old one', () => {
    tamper(`UPDATE audit_events SET details = '{"x":1}', hash = 'f' || substr(hash, 2) WHERE seq = 1`);
    expect(verifyAuditChain(store.db).firstBreak?.seq).toBe(1);
  });

  it('keeps the removal of the newest events visible after the next write', () => {
    tamper('DELETE FROM audit_events WHERE seq = 4');
    store.inventoryService.create({ name: 'prod/e/key' }, operator('U1'), 'test');
    expect(verifyAuditChain(store.db).firstBreak).toMatchObject({ seq: 5, reason: expect.stringMatching(/removed/) });
  });

  it('keeps an edited or removed head visible after the next write, and still accepts writes', () => {
    tamper(`UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)`);
    store.inventoryService.create({ name: 'prod/e/key' }, operator('U1'), 'test');
    expect(verifyAuditChain(store.db).firstBreak?.seq).toBe(5);
    tamper('DELETE FROM audit_head');
    store.inventoryService.create({ name: 'prod/f/key' }, operator('U1'), 'test');
    expect(verifyAuditChain(store.db).firstBreak?.seq).toBe(5);
  });

  it.runIf(hasSqlite3Cli())('catches an edit made with the sqlite3 command-line tool', () => {
    execFileSync('sqlite3', [store.path, `UPDATE audit_events SET secret = 'prod/z/key' WHERE seq = 3`]);
    expect(verifyAuditChain(store.db).firstBreak?.seq).toBe(3);
  });
});
