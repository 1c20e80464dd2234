import Database from 'better-sqlite3';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, verifyAuditChain } from '../../src/audit/audit-log.js';
import { buildCheckpoint, checkpointText } from '../../src/audit/audit-checkpoint.js';
import { loadCoreEnv } from '../../src/config/env.js';
import { HmacKeyring, keyIdOf } from '../../src/core/hmac-keyring.js';
import { runRotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

const newKey = () => randomBytes(32).toString('hex');

describe('keyed audit chain', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  const keyed = (keys: string) => new AuditLog(store.db, store.clock, HmacKeyring.fromEnv(keys));
  const write = (audit: AuditLog, action: string) => audit.log({ actor: 'U1', action });

  it('marks the switch to a key with an event of its own, once, and keys every event after it', () => {
    const key = newKey();
    write(store.audit, 'test.plain');
    const audit = keyed(key);
    expect(audit.useCurrentScheme('rotor')).toMatchObject({
      action: 'audit.key_in_use',
      details: { keyId: keyIdOf(key), previousScheme: 'sha256' },
    });
    expect(audit.useCurrentScheme('rotor')).toBeNull();
    write(audit, 'test.keyed');
    const schemes = store.db.prepare('SELECT scheme FROM audit_events ORDER BY seq').pluck().all();
    expect(schemes).toEqual(['sha256', `hmac-sha256:${keyIdOf(key)}`, `hmac-sha256:${keyIdOf(key)}`]);
    expect(verifyAuditChain(store.db, { keys: HmacKeyring.fromEnv(key) })).toMatchObject({ events: 3, keyedFrom: 2, firstBreak: null });
  });

  it('refuses to add an unkeyed event to a keyed chain, and changes nothing', () => {
    keyed(newKey()).useCurrentScheme('rotor');
    const before = snapshotTables(store, ['audit_events', 'audit_head']);
    expect(() => store.inventoryService.create({ name: 'prod/a/key' }, operator('U1'), 'test')).toThrow(
      /The audit log is keyed .* but ROTOR_AUDIT_KEY is not set/,
    );
    expect(() => store.audit.useCurrentScheme('rotor')).toThrow(/ROTOR_AUDIT_KEY is not set/);
    expect(snapshotTables(store, ['audit_events', 'audit_head'])).toEqual(before);
    expect(store.inventory.get('prod/a/key')).toBeNull();
  });

  it('verifies a chain across a key rotation with the old key listed after the new one, and names a missing key', () => {
    const [oldKey, nextKey] = [newKey(), newKey()];
    const first = keyed(oldKey);
    first.useCurrentScheme('rotor');
    write(first, 'test.before_rotation');
    const second = keyed(`${nextKey},${oldKey}`);
    expect(second.useCurrentScheme('rotor')).toMatchObject({
      details: { keyId: keyIdOf(nextKey), previousScheme: `hmac-sha256:${keyIdOf(oldKey)}` },
    });
    write(second, 'test.after_rotation');
    expect(verifyAuditChain(store.db, { keys: HmacKeyring.fromEnv(`${nextKey},${oldKey}`) })).toMatchObject({
      events: 4,
      keyIds: [keyIdOf(oldKey), keyIdOf(nextKey)],
      firstBreak: null,
    });
    expect(verifyAuditChain(store.db, { keys: HmacKeyring.fromEnv(nextKey) }).firstBreak).toMatchObject({
      seq: 1,
      reason: expect.stringMatching(`signed with audit key ${keyIdOf(oldKey)}, which is not configured`),
    });
    expect(verifyAuditChain(store.db, { keys: HmacKeyring.fromEnv(newKey()) }).firstBreak?.seq).toBe(1);
  });

  it('treats an unkeyed event after keyed ones as a break, even when its plain hash is right', () => {
    const key = newKey();
    keyed(key).useCurrentScheme('rotor');
    const raw = new Database(store.path);
    raw.exec("UPDATE audit_events SET scheme = 'sha256'");
    raw.close();
    expect(verifyAuditChain(store.db, { keys: HmacKeyring.fromEnv(key) }).firstBreak).toMatchObject({ seq: 1 });
    write(keyed(key), 'test.next');
    const again = new Database(store.path);
    again.exec("UPDATE audit_events SET scheme = 'hmac-sha256:' || 'x' WHERE seq = 1");
    again.close();
    expect(verifyAuditChain(store.db, { keys: HmacKeyring.fromEnv(key) }).firstBreak).toMatchObject({ seq: 1 });
  });

  it('signs checkpoints so anyone with the key can check them by hand', () => {
    const key = newKey();
    const checkpoint = buildCheckpoint({ seq: 7, hash: 'ab'.repeat(32) }, '2026-11-22T10:00:00.000Z', HmacKeyring.fromEnv(key));
    expect(checkpointText(checkpoint)).toBe(`rotor audit checkpoint 7 ${'ab'.repeat(32)} 2026-11-22T10:00:00.000Z`);
    expect(checkpoint).toEqual({
      seq: 7,
      hash: 'ab'.repeat(32),
      at: '2026-11-22T10:00:00.000Z',
      scheme: `hmac-sha256:${keyIdOf(key)}`,
      mac: createHmac('sha256', key).update(checkpointText(checkpoint)).digest('hex'),
    });
    expect(buildCheckpoint({ seq: 7, hash: 'ab'.repeat(32) }, '2026-11-22T10:00:00.000Z', null)).toMatchObject({
      scheme: 'unsigned',
      mac: null,
    });
  });

  it('never prints or serialises the key material', () => {
    const key = newKey();
    const keys = HmacKeyring.fromEnv(`${key},${newKey()}`) as HmacKeyring;
    expect(JSON.stringify({ keys, current: keys.current })).not.toContain(key);
    expect(String(keys)).not.toContain(key);
    expect(JSON.stringify(new AuditLog(store.db, store.clock, keys))).not.toContain(key);
  });

  it('validates the key variables: length, duplicates, and one key per purpose', () => {
    const key = newKey();
    expect(() => loadCoreEnv({ ROTOR_AUDIT_KEY: 'short' })).toThrow(/ROTOR_AUDIT_KEY must hold keys of at least 32 characters/);
    expect(() => loadCoreEnv({ ROTOR_AUDIT_KEY: `${key},${key}` })).toThrow(/ROTOR_AUDIT_KEY lists the same key twice/);
    expect(() => loadCoreEnv({ ROTOR_AUDIT_KEY: key, ROTOR_FINGERPRINT_KEY: key })).toThrow(
      /ROTOR_FINGERPRINT_KEY shares a key with ROTOR_AUDIT_KEY/,
    );
    const shortKey = randomBytes(8).toString('hex');
    for (const load of [
      () => loadCoreEnv({ ROTOR_AUDIT_KEY: `${key},${shortKey}` }),
      () => loadCoreEnv({ ROTOR_AUDIT_KEY: key, ROTOR_FINGERPRINT_KEY: key }),
    ]) {
      const message = (() => {
        try {
          load();
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(message).toMatch(/^Environment variable ROTOR_/);
      expect(message).not.toContain(key);
      expect(message).not.toContain(shortKey);
    }
    expect(loadCoreEnv({ ROTOR_AUDIT_KEY: ` ${key} , ${newKey()} ` }).ROTOR_AUDIT_KEY).toContain(key);
  });
});

describe('rotor audit verify', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  const seed = async (env: NodeJS.ProcessEnv = {}) => {
    const file = join(store.dir, 'seed.yaml');
    writeFileSync(file, '- {name: prod/a/key}\n- {name: prod/b/key}\n');
    expect((await runRotor(['--db', store.path, 'import', file], env)).code).toBe(0);
  };

  it('prints the head it verified and says loudly when the chain is not keyed', async () => {
    await seed();
    const head = store.db.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
    const result = await runRotor(['--db', store.path, 'audit', 'verify']);
    expect(result).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`Audit log intact: 2 events, every hash and link verified. Head: #${head.seq} ${head.hash}.`),
    });
    expect(result.stderr).toMatch(/warning: the audit chain is not keyed \(ROTOR_AUDIT_KEY is not set\)/);
  });

  it('refuses a chain left unkeyed after a key was set, and says how that happens', async () => {
    await seed();
    expect(await runRotor(['--db', store.path, 'audit', 'verify'], { ROTOR_AUDIT_KEY: newKey() })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/ROTOR_AUDIT_KEY is set but no event is keyed/),
    });
  });

  it('refuses a keyed chain without its key, naming the key', async () => {
    const key = newKey();
    await seed({ ROTOR_AUDIT_KEY: key });
    expect(await runRotor(['--db', store.path, 'audit', 'verify'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`signed with audit key ${keyIdOf(key)}, which is not configured`),
    });
    expect(await runRotor(['--db', store.path, 'audit', 'verify'], { ROTOR_AUDIT_KEY: key })).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/Keyed \(HMAC-SHA256, key [0-9a-f]{12}\) from event #1/),
    });
  });

  it('checks a pinned head: a head still in the chain passes, a later one or a different hash does not', async () => {
    await seed();
    const first = store.db.prepare('SELECT seq, hash FROM audit_events WHERE seq = 1').get() as { seq: number; hash: string };
    expect((await runRotor(['--db', store.path, 'audit', 'verify', '--expect-head', `1:${first.hash}`])).code).toBe(0);
    expect(await runRotor(['--db', store.path, 'audit', 'verify', '--expect-head', `1:${'0'.repeat(64)}`])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/event #1 is not the one the pinned head names/),
    });
    expect(await runRotor(['--db', store.path, 'audit', 'verify', '--expect-head', `9:${first.hash}`])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/the pinned head is #9/),
    });
  });

  it.each([['12'], ['x:abc'], [`0:${'a'.repeat(64)}`], [`3:${'g'.repeat(64)}`], [`3:${'a'.repeat(63)}`]])(
    'refuses --expect-head %s with the expected form',
    async (text) => {
      await seed();
      expect(await runRotor(['--db', store.path, 'audit', 'verify', '--expect-head', text])).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/--expect-head must be SEQ:HASH/),
      });
    },
  );

  it('logs its own audit events to stderr as JSON lines when LOG_LEVEL is set, ending with a checkpoint', async () => {
    const file = join(store.dir, 'one.yaml');
    writeFileSync(file, '- {name: prod/c/key}\n');
    const result = await runRotor(['--db', store.path, 'import', file], { LOG_LEVEL: 'info' });
    expect(result.code).toBe(0);
    const lines = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.msg)).toEqual(['audit event', 'audit checkpoint']);
    expect(lines[0]).toMatchObject({ component: 'audit', source: 'cli', audit: { action: 'secret.created', secret: 'prod/c/key' } });
    const head = store.db.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
    expect(lines[1]).toMatchObject({ auditCheckpoint: { seq: head.seq, hash: head.hash, scheme: 'unsigned' } });
    expect((await runRotor(['--db', store.path, 'import', file])).stderr).toBe('');
  });
});
