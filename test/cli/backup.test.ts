import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/project-root.js';
import { rotor } from '../support/cli.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

const binary = join(projectRoot, 'dist', 'src', 'cli.js');

describe('rotor backup', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
    for (const name of ['prod/a/key', 'prod/b/key']) store.inventoryService.create({ name }, operator('U1'), 'test');
  });
  afterEach(() => store.close());

  it('writes a private copy, then checks its integrity and audit chain and says the head it holds', async () => {
    const previous = process.umask(0o022);
    try {
      const target = join(store.dir, 'copy.db');
      const head = store.db.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
      expect(await rotor(store.path, 'backup', target)).toMatchObject({
        code: 0,
        stdout: expect.stringContaining(
          `to ${target}: integrity ok, audit chain of 2 events verified, audit head #${head.seq} ${head.hash}.`,
        ),
      });
      expect((statSync(target).mode & 0o777).toString(8)).toBe('600');
      expect(readdirSync(store.dir).filter((file) => file.includes('.partial'))).toEqual([]);
      expect(await rotor(target, 'audit', 'verify')).toMatchObject({ code: 0 });
    } finally {
      process.umask(previous);
    }
  });

  it('keeps no copy of a database whose audit chain is broken, and says why', async () => {
    const raw = new Database(store.path);
    raw.exec("UPDATE audit_events SET actor = 'U666' WHERE seq = 1");
    raw.close();
    const target = join(store.dir, 'copy.db');
    expect(await rotor(store.path, 'backup', target)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/The backup's audit log is broken at event #1: .*Nothing was kept/),
    });
    expect(readdirSync(store.dir).filter((file) => file.startsWith('copy') || file.includes('.partial'))).toEqual([]);
  });

  it('killed part-way, leaves nothing under the target name, so the same name works on retry', async () => {
    // Big enough that the copy takes a while: the kill lands during it.
    const raw = new Database(store.path);
    raw.exec('CREATE TABLE ballast (b BLOB)');
    const insert = raw.prepare('INSERT INTO ballast VALUES (randomblob(1048576))');
    for (let index = 0; index < 160; index += 1) insert.run();
    raw.close();
    const target = join(store.dir, 'nightly.db');
    const child = spawn(process.execPath, [binary, '--db', store.path, 'backup', target], { stdio: 'ignore' });
    const watcher = watch(store.dir, (_event, file) => {
      if (file && (file === 'nightly.db' || file.startsWith('.nightly.db.'))) child.kill('SIGKILL');
    });
    await new Promise((resolve) => child.on('close', resolve));
    watcher.close();
    expect(child.signalCode).toBe('SIGKILL');
    expect(readdirSync(store.dir)).not.toContain('nightly.db');
    const retry = await rotor(store.path, 'backup', target);
    expect(retry).toMatchObject({ code: 0, stdout: expect.stringContaining('integrity ok') });
  }, 60_000);
});
