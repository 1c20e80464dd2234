import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, loadPolicy, parsePolicy } from '../../src/config/policy.js';
import { ValidationError } from '../../src/core/errors.js';
import { runRotor } from '../support/cli.js';
import { openTempStore, snapshotTables } from '../support/temp-db.js';

function issuesOf(text: string) {
  try {
    parsePolicy(text, 'test.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected the policy to be refused');
}

describe('the policy key kms.pending_window_days', () => {
  it('defaults to the runbook’s 30 days, and takes 7 to 30; the example sets it', () => {
    expect(defaultPolicy.kms.pendingWindowDays).toBe(30);
    expect(parsePolicy('kms:\n  pending_window_days: 7\n').kms.pendingWindowDays).toBe(7);
    expect(parsePolicy('kms:\n  pending_window_days: 30\n').kms.pendingWindowDays).toBe(30);
    expect(loadPolicy('examples/policy.yml').kms.pendingWindowDays).toBe(30);
    expect(defaultPolicy.intervals.kms_key).toBe(365);
  });

  it.each([6, 31, 0, 7.5, -3])('refuses %d days, naming the key, its line and the range', (days) => {
    const [issue] = issuesOf(`environments: [prod]\nkms:\n  pending_window_days: ${days}\n`);
    expect(issue).toMatchObject({ where: 'kms.pending_window_days (line 3)' });
    expect(issue?.message).toContain('a whole number of days from 7 to 30');
  });

  it('stops the CLI at start-up with that message (exit 2), touching nothing', async () => {
    const store = openTempStore();
    const dir = mkdtempSync(join(tmpdir(), 'rotor-kms-policy-'));
    try {
      const before = snapshotTables(store, ['secrets', 'audit_events']);
      const policy = join(dir, 'policy.yml');
      writeFileSync(policy, 'kms:\n  pending_window_days: 45\n');
      const bad = await runRotor(['--db', store.path, '--config', policy, 'list']);
      expect(bad).toMatchObject({ code: 2, stdout: '' });
      expect(bad.stderr).toContain('kms.pending_window_days');
      expect(bad.stderr).toContain('from 7 to 30');
      expect(snapshotTables(store, ['secrets', 'audit_events'])).toEqual(before);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
