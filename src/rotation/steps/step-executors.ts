import type { StepAction } from '../checklists/checklist-step.js';
import { awaitStoreRotation } from './await-store-rotation.js';
import { createVersion } from './create-version.js';
import { detectVersion } from './detect-version.js';
import { disableCompromised } from './disable-compromised.js';
import { lockAtTarget } from './lock-at-target.js';
import { promote } from './promote.js';
import { scheduleRemoval } from './schedule-removal.js';
import { setAtTarget } from './set-at-target.js';
import type { StepExecutor } from './step-executor.js';
import { verify } from './verify.js';
import { verifyAtTarget } from './verify-at-target.js';

/**
 * The executor of every action a checklist step may name, one line each: a new action in
 * STEP_ACTIONS does not compile until its executor is listed here. The state machine looks a
 * step's executor up here and knows nothing of what it does.
 */
export const STEP_EXECUTORS: Readonly<Record<StepAction, StepExecutor>> = {
  create_version: createVersion,
  detect_version: detectVersion,
  await_provider_rotation: awaitStoreRotation,
  promote,
  verify,
  schedule_removal: scheduleRemoval,
  disable_compromised: disableCompromised,
  set_at_target: setAtTarget,
  verify_at_target: verifyAtTarget,
  lock_at_target: lockAtTarget,
};
