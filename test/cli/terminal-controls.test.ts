import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { operator, slackActor } from '../support/actors.js';
import { runRotor } from '../support/cli.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { sideRuntime } from '../support/rotations.js';

/**
 * Issue 19, finding 9: a note holding terminal control sequences (written into the database
 * file directly, since the forms refuse them now) reached the CLI raw, where it drives the
 * reader's terminal. Every C0 and C1 control but tab and line feed is dropped from what the
 * CLI prints; the readable text stays.
 */

const POLICY = 'roles:\n  admins: [U0ADMIN]\n';
/** Clears the screen, sets the window title, turns text red (7-bit and 8-bit CSI), rings the bell, and a lone carriage return that would overwrite the line. */
const CONTROLS = '\u001b[2J\u001b]0;owned\u0007\u001b[31m\u009b31mred\u001b[0m\rhidden';
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

describe('the CLI prints stored text without terminal control characters', () => {
  let store: TempStore | undefined;
  afterEach(() => store?.close());

  it('rotations show and evidence, secrets show and list: the text stays, the controls go', async () => {
    store = openTempStore({ at: '2027-02-01T10:00:00Z', policy: parsePolicy(POLICY) });
    const config = join(store.dir, 'policy.yml');
    writeFileSync(config, POLICY);
    const runtime = sideRuntime(store);
    store.inventoryService.create(
      { name: 'dev/app/api_key', type: 'api_key', owner: 'U0OWNER', lastRotated: '2027-01-01', description: 'the app key' },
      operator(),
      'test',
    );
    const owner = slackActor('U0OWNER');
    const started = await runtime.rotation.start(owner, 'dev/app/api_key', { ticket: 'SEC-1' });
    const step = started.steps[0]!;
    runtime.rotation.tickStep(owner, started.rotation.id, step.id, {
      expectedVersion: started.rotation.version,
      note: 'minted at the issuer',
    });
    // What an edit of the database file leaves: controls in a note and in a description.
    store.db
      .prepare('UPDATE rotation_steps SET note = ? WHERE rotation_id = ? AND step_id = ?')
      .run(`minted ${CONTROLS}`, started.rotation.id, step.id);
    store.db.prepare('UPDATE secrets SET description = ? WHERE name = ?').run(`the app key ${CONTROLS}`, 'dev/app/api_key');

    const cli = (...argv: string[]) => runRotor(['--db', store!.path, '--config', config, ...argv]);
    for (const argv of [
      ['rotations', 'show', String(started.rotation.id)],
      ['rotations', 'evidence', String(started.rotation.id)],
      ['show', 'dev/app/api_key'],
      ['list'],
    ]) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).toBe(0);
      expect(result.stdout, argv.join(' ')).not.toMatch(CONTROL_CHARACTERS);
      expect(result.stdout, argv.join(' ')).not.toContain('\r');
    }
    expect((await cli('rotations', 'show', String(started.rotation.id))).stdout).toContain('minted [2J]0;owned[31m31mred[0mhidden');
    runtime.close();
  });
});
