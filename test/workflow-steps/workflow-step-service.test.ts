import { afterEach, describe, expect, it } from 'vitest';
import { slackActor } from '../../src/access/actor.js';
import { FollowUpRepo } from '../../src/follow-ups/follow-up-repo.js';
import type { Runtime } from '../../src/runtime.js';
import { STEP_COMPLETION_FOLLOW_UP, stepTopic } from '../../src/workflow-steps/workflow-step-service.js';
import { operator } from '../support/actors.js';
import { sideRuntime } from '../support/rotations.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

/** The steps' domain, without Slack: which rotation a step follows, and the result fixed when it ends. */
describe('WorkflowStepService', () => {
  let store: TempStore | undefined;
  afterEach(() => store?.close());

  function setUp(): { store: TempStore; runtime: Runtime } {
    store = openTempStore();
    const lastRotated = store.clock.now().minus({ days: 100 }).toISODate() as string;
    store.inventoryService.create({ name: 'dev/app/api_key', type: 'api_key', owner: 'U0OWNER', lastRotated }, operator(), 'test');
    return { store, runtime: sideRuntime(store) };
  }

  const start = (runtime: Runtime, executionId: string) =>
    runtime.workflowSteps.startRotation({
      executionId,
      workflowExecutionId: null,
      inputs: { secret_name: 'dev/app/api_key', reason: 'From a workflow', requester: 'U0OWNER' },
    });

  it('a step follows the next rotation of its secret and fixes its error when it is abandoned, scheduling the completion once', async () => {
    const { store, runtime } = setUp();
    expect(start(runtime, 'Fx1').created).toBe(true);
    expect(start(runtime, 'Fx1').created).toBe(false);
    const started = await runtime.rotation.start(slackActor('U0OWNER'), 'dev/app/api_key', { ticket: 'OPS-1' });
    expect(runtime.workflowSteps.get('Fx1')).toMatchObject({ state: 'waiting', rotationId: started.rotation.id });

    await runtime.rotation.abandon(slackActor('U0OWNER'), started.rotation.id, {
      reason: 'Not needed after all',
      expectedVersion: started.rotation.version,
    });
    expect(runtime.workflowSteps.get('Fx1')).toMatchObject({
      state: 'settling',
      result: {
        kind: 'error',
        error: `The rotation of dev/app/api_key (#${started.rotation.id}) was abandoned by U0OWNER: Not needed after all`,
      },
    });
    const scheduled = new FollowUpRepo(store.db).find(STEP_COMPLETION_FOLLOW_UP, stepTopic('Fx1'));
    expect(scheduled).toMatchObject({ state: 'pending', payload: { execution: 'Fx1' } });
    expect(store.db.prepare(`SELECT action FROM audit_events WHERE action LIKE 'workflow_step.%' ORDER BY seq`).pluck().all()).toEqual([
      'workflow_step.started',
      'workflow_step.ended',
    ]);
  });

  it('a rollback of a rotation that completed before the step began is not the one it asked for', async () => {
    const { runtime } = setUp();
    const started = await runtime.rotation.start(slackActor('U0OWNER'), 'dev/app/api_key', { ticket: 'OPS-2' });
    await runtime.rotation.abandon(slackActor('U0OWNER'), started.rotation.id, {
      reason: 'Start over',
      expectedVersion: started.rotation.version,
    });
    start(runtime, 'Fx2');
    const ended = runtime.rotation.get(started.rotation.id);
    runtime.workflowSteps.onRotationChange({ ...ended, rotation: { ...ended.rotation, state: 'rolled_back' } });
    expect(runtime.workflowSteps.get('Fx2')).toMatchObject({ state: 'waiting', rotationId: null, result: null });
  });
});
