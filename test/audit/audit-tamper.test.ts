import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRotor } from '../support/cli.js';
import { startSlackHarness } from '../support/slack-app-harness.js';

/**
 * The six edits of the SQLite file that passed `rotor audit verify` before the chain was keyed
 * (issue 14). The attacker here can write the file and knows how the plain chain is computed,
 * but not ROTOR_AUDIT_KEY: after editing, they re-chain with SHA-256 as a plain chain would be.
 */
describe('audit chain against someone who can write the database file', () => {
  const key = randomBytes(32).toString('hex');
  let dir: string;
  let pristine: string;
  let pinned: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-tamper-'));
    const harness = await startSlackHarness({ env: { ROTOR_AUDIT_KEY: key } });
    try {
      const seed = join(dir, 'seed.yaml');
      writeFileSync(
        seed,
        [
          '- {name: prod/stripe/api_key, owner: U0PAY, team: payments}',
          '- {name: prod/postgres/password, owner: U0PAY}',
          '- {name: staging/redis/password, owner: U0OPS}',
        ].join('\n'),
      );
      expect((await runRotor(['--db', harness.store.path, 'import', seed], { ROTOR_AUDIT_KEY: key })).code).toBe(0);
      for (const intruder of ['U0MALLORY', 'U0EVE']) {
        await harness.command('/secrets', `owner prod/stripe/api_key <@${intruder}|x>`, intruder);
        await waitFor(() => count(harness.store.path, "action = 'access.denied' AND actor = ?", intruder) === 1);
      }
      await harness.runtime.stop();
      pristine = join(dir, 'pristine.db');
      await harness.store.db.backup(pristine);
    } finally {
      await harness.close();
    }
    const head = headOf(pristine);
    pinned = `${head.seq}:${head.hash}`;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const copy = (name: string) => {
    const path = join(dir, `${name}.db`);
    copyFileSync(pristine, path);
    return path;
  };
  const verify = (path: string, env: NodeJS.ProcessEnv, ...extra: string[]) => runRotor(['--db', path, 'audit', 'verify', ...extra], env);

  it('the untouched chain verifies with the key and against its published head', async () => {
    const result = await verify(pristine, { ROTOR_AUDIT_KEY: key }, '--expect-head', pinned);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining(`Head: #${pinned.replace(':', ' ')}`) });
    expect(result.stdout).toMatch(/Keyed \(HMAC-SHA256, key [0-9a-f]{12}\) from event #1\./);
  });

  it('1. truncating the tail and fixing the head is caught against the pinned head', async () => {
    const path = copy('truncated');
    edit(path, (db) => {
      const last = db.prepare('SELECT max(seq) FROM audit_events').pluck().get() as number;
      db.prepare('DELETE FROM audit_events WHERE seq > ?').run(last - 2);
      db.prepare('UPDATE audit_head SET seq = ?, hash = (SELECT hash FROM audit_events WHERE seq = ?)').run(last - 2, last - 2);
    });
    expect(await verify(path, { ROTOR_AUDIT_KEY: key }, '--expect-head', pinned)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/events published earlier were removed/),
    });
  });

  it('2. an appended forged event is caught with the key', async () => {
    const path = copy('appended');
    edit(path, (db) => {
      const head = db.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
      const forged = {
        seq: head.seq + 1,
        at: new Date().toISOString(),
        actor: 'U0ADMIN',
        action: 'secret.rotated',
        secret: 'prod/stripe/api_key',
        details: '{}',
        prev: head.hash,
      };
      const hash = plainHash(forged);
      db.prepare('INSERT INTO audit_events (seq, at, actor, action, secret, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        forged.seq,
        forged.at,
        forged.actor,
        forged.action,
        forged.secret,
        forged.details,
        forged.prev,
        hash,
      );
      db.prepare('UPDATE audit_head SET seq = ?, hash = ?').run(forged.seq, hash);
    });
    expect(await verify(path, { ROTOR_AUDIT_KEY: key })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/Audit log broken at event #\d+/),
    });
  });

  it('3. deleting every event and the head is caught while the inventory has secrets, even without the key', async () => {
    const path = copy('emptied');
    edit(path, (db) => db.exec('DELETE FROM audit_events; DELETE FROM audit_head;'));
    expect(await verify(path, {})).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/the log is empty while the inventory holds 3 secrets/),
    });
  });

  it('4. deleting the access.denied events and re-chaining is caught with the key, and against the pinned head', async () => {
    const path = copy('denials');
    edit(path, (db) => {
      db.exec("DELETE FROM audit_events WHERE action = 'access.denied'");
      rechain(db);
    });
    expect(await verify(path, { ROTOR_AUDIT_KEY: key })).toMatchObject({ code: 1, stderr: expect.stringMatching(/Audit log broken/) });
    expect(await verify(path, {}, '--expect-head', pinned)).toMatchObject({ code: 1, stderr: expect.stringMatching(/Audit log broken/) });
  });

  it('5. rewriting an actor and re-chaining is caught with the key, and against the pinned head', async () => {
    const path = copy('actor');
    edit(path, (db) => {
      db.exec("UPDATE audit_events SET actor = 'U0ADMIN' WHERE actor = 'U0MALLORY'");
      rechain(db);
    });
    expect(await verify(path, { ROTOR_AUDIT_KEY: key })).toMatchObject({ code: 1, stderr: expect.stringMatching(/Audit log broken/) });
    expect(await verify(path, {}, '--expect-head', pinned)).toMatchObject({ code: 1, stderr: expect.stringMatching(/Audit log broken/) });
  });

  it('6. inserting an event and re-chaining is caught with the key, and against the pinned head', async () => {
    const path = copy('inserted');
    edit(path, (db) => {
      db.exec('UPDATE audit_events SET seq = seq + 1000 WHERE seq > 2; UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000;');
      db.prepare(
        "INSERT INTO audit_events (seq, at, actor, action, secret, details, prev_hash, hash) VALUES (3, ?, 'U0ADMIN', 'secret.rotated', 'prod/postgres/password', '{}', '', '')",
      ).run(new Date().toISOString());
      rechain(db);
    });
    expect(await verify(path, { ROTOR_AUDIT_KEY: key })).toMatchObject({ code: 1, stderr: expect.stringMatching(/Audit log broken/) });
    expect(await verify(path, {}, '--expect-head', pinned)).toMatchObject({ code: 1, stderr: expect.stringMatching(/Audit log broken/) });
  });

  it('a re-chain that keeps the keyed scheme names (a MAC it cannot compute) is caught too', async () => {
    const path = copy('kept-scheme');
    edit(path, (db) => {
      db.exec("UPDATE audit_events SET actor = 'U0ADMIN' WHERE actor = 'U0EVE'");
      rechain(db, { keepScheme: true });
    });
    expect(await verify(path, { ROTOR_AUDIT_KEY: key })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/does not match its MAC/),
    });
  });
});

function edit(path: string, change: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    db.transaction(() => change(db))();
  } finally {
    db.close();
  }
}

function count(path: string, where: string, ...params: unknown[]): number {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(`SELECT count(*) FROM audit_events WHERE ${where}`)
      .pluck()
      .get(...params) as number;
  } finally {
    db.close();
  }
}

function headOf(path: string): { seq: number; hash: string } {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
  } finally {
    db.close();
  }
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(condition()).toBe(true);
}

/** What a plain SHA-256 chain stores for an event: anyone can compute it. */
function plainHash(event: {
  seq: number;
  at: string;
  actor: string;
  action: string;
  secret: string | null;
  details: string;
  prev: string;
}): string {
  const header = JSON.stringify([event.seq, event.at, event.actor, event.action, event.secret, event.prev]);
  return createHash('sha256').update(header).update('\n').update(event.details).digest('hex');
}

/** The attacker's re-chain: renumber, relink and rehash every event with plain SHA-256, then fix the head. */
function rechain(db: Database.Database, options: { keepScheme?: boolean } = {}): void {
  const hasScheme = (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('audit_events') as string[]).includes('scheme');
  const rows = db.prepare('SELECT seq, at, actor, action, secret, details FROM audit_events ORDER BY seq').all() as {
    seq: number;
    at: string;
    actor: string;
    action: string;
    secret: string | null;
    details: string;
  }[];
  db.exec('UPDATE audit_events SET seq = -seq');
  let prev = '0'.repeat(64);
  rows.forEach((row, index) => {
    const seq = index + 1;
    const hash = plainHash({ ...row, seq, prev });
    db.prepare('UPDATE audit_events SET seq = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(seq, prev, hash, -row.seq);
    prev = hash;
  });
  if (hasScheme && !options.keepScheme) db.exec("UPDATE audit_events SET scheme = 'sha256'");
  db.prepare('UPDATE audit_head SET seq = ?, hash = ?').run(rows.length, prev);
}
