import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_NEXT_STEP_WORDS } from '../../src/cli/cli-next-step.js';
import { RotorError } from '../../src/core/errors.js';
import type { NextStep } from '../../src/core/next-step.js';
import { renderRotationDetail } from '../../src/rotation/history/rotation-summary.js';
import { sayCheck, type RotationRecord } from '../../src/rotation/rotation.js';
import { RotationRepo } from '../../src/rotation/rotation-repo.js';
import { sayLastError, stepErrorOf } from '../../src/rotation/step-error.js';
import { operator } from '../support/actors.js';
import { rotor } from '../support/cli.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

const NAME = 'dev/app/webhook_token';

/**
 * A failed step keeps what went wrong and, beside it (migration 0024), its next step as data: the
 * modal says it as Slack's button, `rotor rotations show` and the evidence in the CLI's words; a
 * row written before keeps its text as stored.
 */
describe("a step's last error and its next step", () => {
  let store: TempStore;
  let repo: RotationRepo;
  let id: number;
  beforeEach(() => {
    store = openTempStore();
    repo = new RotationRepo(store.db);
    const lastRotated = store.clock.now().minus({ days: 10 }).toISODate() as string;
    const secret = store.inventoryService.create({ name: NAME, type: 'api_key', intervalDays: 90, lastRotated }, operator(), 'test');
    id = repo.insert(
      {
        secretId: secret.id,
        secretName: NAME,
        kind: 'emergency',
        state: 'in_progress',
        ticket: null,
        environment: 'dev',
        provider: 'manual',
        providerRef: null,
        requiredApprovals: [],
        checklistSource: { kind: 'type', type: 'generic' } as never,
        preflight: [],
        startedBy: 'U0OWNER',
        startedAt: store.clock.now().toISO() as string,
        previousVersionId: 'v1',
        previousFingerprint: null,
        previousLastRotated: secret.lastRotated,
        previousNextRotation: secret.nextRotation,
        previousLifecycle: 'active',
      },
      [
        { id: 'promote', title: 'Promote', detail: null, action: 'promote', required: true, gate: null },
        { id: 'close', title: 'Close the incident', detail: null, action: null, required: true, gate: null },
      ],
    );
  });
  afterEach(() => store.close());

  const stepOf = (stepId: string) => (repo.get(id) as RotationRecord).steps.find((step) => step.id === stepId)!;
  const fail = (stepId: string, error: RotorError) => expect(repo.updateStep(id, stepId, ['pending'], stepErrorOf(error))).toBe(true);

  it('Slack says the button, the CLI that it is pressed in Slack; the step keeps the brief and the step apart', async () => {
    const promote: NextStep = { kind: 'action', action: 'promote', args: [], lead: '' };
    fail('promote', new RotorError('conflict', 'Rotor stopped before the store made version v2 current (v1 still is):', { next: promote }));
    const step = stepOf('promote');
    expect(step).toMatchObject({
      lastError: 'Rotor stopped before the store made version v2 current (v1 still is):',
      lastErrorNext: promote,
    });
    expect(sayLastError(step)).toBe('Rotor stopped before the store made version v2 current (v1 still is): press “Try again: Promote”.');
    const cliSays = 'Rotor stopped before the store made version v2 current (v1 still is): press “Try again: Promote” in Slack.';
    expect(renderRotationDetail(repo.get(id) as RotationRecord, null, CLI_NEXT_STEP_WORDS)).toContain(`last error (attempt 0): ${cliSays}`);
    const shown = await rotor(store.path, 'rotations', 'show', String(id));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(cliSays);
    expect(shown.stdout).not.toContain('press “Try again: Promote”.');
  });

  it('where the CLI has a `rotor` command for the action, the CLI shows it and Slack its button', async () => {
    const override: NextStep = {
      kind: 'action',
      action: 'override_close',
      args: ['3'],
      lead: 'a second responder closes it with an override:',
    };
    fail('close', new RotorError('validation', 'Incident #3 cannot close yet.', { next: override }));
    const step = stepOf('close');
    expect(sayLastError(step)).toBe(
      'Incident #3 cannot close yet. A second responder closes it with an override: *Close incident…* on the status message, or `rotor incidents close 3 --postmortem <link> --override <reason>`.',
    );
    expect(sayLastError(step, CLI_NEXT_STEP_WORDS)).toBe(
      'Incident #3 cannot close yet. A second responder closes it with an override: `rotor incidents close 3 --postmortem <link> --override <reason>`.',
    );
    const shown = await rotor(store.path, 'rotations', 'show', String(id));
    expect(shown.stdout).toContain('override: `rotor incidents close 3 --postmortem <link> --override <reason>`.');
    expect(shown.stdout).not.toContain('*Close incident…*');
  });

  it('a row written before migration 0024 (its text alone) reads as stored, on every surface', async () => {
    const old = 'Rotor stopped before the store made version v2 current (v1 still is): press “Try again: Promote”.';
    store.db.prepare("UPDATE rotation_steps SET last_error = ?, attempts = 1 WHERE rotation_id = ? AND step_id = 'promote'").run(old, id);
    const step = stepOf('promote');
    expect(step).toMatchObject({ lastError: old, lastErrorNext: null });
    expect(sayLastError(step)).toBe(old);
    expect(sayLastError(step, CLI_NEXT_STEP_WORDS)).toBe(old);
    expect((await rotor(store.path, 'rotations', 'show', String(id))).stdout).toContain(`last error (attempt 1): ${old}`);
  });

  it('a later error without a next step clears the earlier one’s, and success clears both', () => {
    fail('promote', new RotorError('conflict', 'Stopped:', { next: { kind: 'action', action: 'promote', args: [], lead: '' } }));
    fail('promote', new RotorError('provider', 'The store refused the write.'));
    expect(stepOf('promote')).toMatchObject({ lastError: 'The store refused the write.', lastErrorNext: null });
    fail('promote', new RotorError('conflict', 'Stopped:', { next: { kind: 'action', action: 'check_store', args: [], lead: '' } }));
    expect(repo.updateStep(id, 'promote', ['pending'], { state: 'done', lastError: null })).toBe(true);
    expect(stepOf('promote')).toMatchObject({ lastError: null, lastErrorNext: null });
  });

  it('a preflight finding names its action, not a button: Slack says the button, the CLI that it is in Slack', () => {
    const unsettled = {
      check: 'rollback',
      status: 'blocking' as const,
      message: 'A rollback of the last rotation is not settled: whether the store moved back is unknown.',
      next: { kind: 'action' as const, action: 'check_store' as const, args: [], lead: '', purpose: 'first' },
    };
    expect(sayCheck(unsettled)).toBe(
      'A rollback of the last rotation is not settled: whether the store moved back is unknown. Press “Check the store” first.',
    );
    expect(sayCheck(unsettled, CLI_NEXT_STEP_WORDS)).toBe(
      'A rollback of the last rotation is not settled: whether the store moved back is unknown. Press “Check the store” in Slack first.',
    );
  });
});
