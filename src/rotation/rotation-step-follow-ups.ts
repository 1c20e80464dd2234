import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import { ROTATION_FOLLOW_UPS, rotationIdOfTopic } from './rotation-follow-ups.js';
import type { RotationService } from './rotation-service.js';

/**
 * The rotation follow-up that needs no Slack: a provider step's run checked once its lease is
 * over (settled from the store if its runner died), and an open incident's disable step driven
 * until it holds. It reads the rotation afresh and does nothing once the step moved on, so an
 * interrupted run is simply run again (reconcile finds nothing to settle).
 */
export function registerRotationStepFollowUps(followUps: FollowUpService, rotation: RotationService): void {
  followUps.register({
    kind: ROTATION_FOLLOW_UPS.stepCheck,
    async run(followUp) {
      const id = rotationIdOfTopic(followUp.topic);
      if (id === null) throw new Error(`${followUp.kind} follow-up with a topic that names no rotation: ${followUp.topic}`);
      const step = String(followUp.payload.step ?? '');
      const attempt = Number(followUp.payload.attempt ?? 0);
      const why = followUp.payload.why === 'redrive' ? 'redrive' : 'lease';
      return { outcome: { step, attempt, why }, then: await rotation.followUpStep(id, step, attempt, why) };
    },
    reconcile: () => Promise.resolve(null),
  });
  followUps.register({
    kind: ROTATION_FOLLOW_UPS.rollbackCheck,
    async run(followUp) {
      const id = rotationIdOfTopic(followUp.topic);
      if (id === null) throw new Error(`${followUp.kind} follow-up with a topic that names no rotation: ${followUp.topic}`);
      const requestToken = String(followUp.payload.requestToken ?? '');
      await rotation.followUpRollback(id, requestToken);
      return { outcome: { requestToken } };
    },
    reconcile: () => Promise.resolve(null),
  });
}
