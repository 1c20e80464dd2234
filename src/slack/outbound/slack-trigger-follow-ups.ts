import type { FollowUp } from '../../follow-ups/follow-up.js';
import type { Secret } from '../../inventory/secret.js';
import { BREAK_GLASS_FOLLOW_UPS, needIdOfTopic } from '../../rotation-needs/break-glass-service.js';
import { RELEASE_FOLLOW_UPS } from '../../rotation-needs/release-check.js';
import {
  DEPARTURE_FOLLOW_UPS,
  departureIdOfTopic,
  departureOrigin,
  type DigestAsk,
  type SoleApprover,
} from '../../personnel/departure-service.js';
import type { SlackFollowUpDeps } from './slack-follow-up-deps.js';
import { breakGlassOwnerNotice, breakGlassSecurityNotice } from '../views/break-glass-messages.js';
import { departureDigest, departureSecuritySummary } from '../views/departure-messages.js';
import { releaseOwnerNotice } from '../views/release-messages.js';
import { messageFollowUp } from './message-follow-up.js';
import type { Conversation, SlackPoster } from './slack-poster.js';

/** The audience a follow-up's payload names: a channel, or a person's DM. */
function audienceOf(followUp: FollowUp): Conversation {
  return typeof followUp.payload.channel === 'string' ? { channel: followUp.payload.channel } : { user: String(followUp.payload.user) };
}

/**
 * What the rotation triggers send (issue 23): a break-glass use told to security and the owner;
 * the owners asked to rotate before a release; a departure's digests and security summary.
 * Each renders from the need as it stands when it fires: a use whose rotation is already done by
 * then still tells security (the use happened), but no longer asks the owner to rotate.
 */
export function registerTriggerSlackFollowUps(
  deps: Pick<SlackFollowUpDeps, 'followUps' | 'rotationNeeds' | 'inventory'>,
  poster: SlackPoster,
): void {
  const { followUps, rotationNeeds, inventory } = deps;
  const needOf = (followUp: FollowUp) => {
    const id = needIdOfTopic(followUp.topic);
    const need = id === null ? null : rotationNeeds.get(id);
    const secret = need ? inventory.getById(need.secretId) : null;
    return need && secret ? { need, secret } : null;
  };
  followUps.service.register(
    messageFollowUp(BREAK_GLASS_FOLLOW_UPS.securityNotice, poster, (followUp) => {
      const found = needOf(followUp);
      return found ? { to: audienceOf(followUp), message: breakGlassSecurityNotice(found.need, found.secret) } : null;
    }),
  );
  followUps.service.register(
    messageFollowUp(BREAK_GLASS_FOLLOW_UPS.ownerNotice, poster, (followUp) => {
      const found = needOf(followUp);
      return found && found.need.resolvedAt === null
        ? { to: audienceOf(followUp), message: breakGlassOwnerNotice(found.need, found.secret) }
        : null;
    }),
  );
  followUps.service.register(
    messageFollowUp(RELEASE_FOLLOW_UPS.ownerNotice, poster, (followUp) => {
      const names = Array.isArray(followUp.payload.secrets) ? followUp.payload.secrets.map(String) : [];
      const secrets = [...inventory.getMany(names).values()].filter((secret: Secret) => secret.lifecycle !== 'retired');
      if (secrets.length === 0) return null;
      return {
        to: audienceOf(followUp),
        message: releaseOwnerNotice(String(followUp.payload.environment), secrets, String(followUp.payload.dueAt)),
      };
    }),
  );
  const departureNeeds = (followUp: FollowUp) => {
    const id = departureIdOfTopic(followUp.topic);
    return id === null ? [] : rotationNeeds.ofOrigin(departureOrigin(id));
  };
  const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
  followUps.service.register(
    messageFollowUp(DEPARTURE_FOLLOW_UPS.digest, poster, (followUp) => {
      const { payload } = followUp;
      const ask: DigestAsk = {
        rotate: list(payload.rotate),
        offered: list(payload.offered),
        takeOver: list(payload.takeOver),
        approve: list(payload.approve),
      };
      const needs = new Map(departureNeeds(followUp).map((need) => [need.secretName, need]));
      return {
        to: audienceOf(followUp),
        message: departureDigest(String(payload.leaver), ask, needs, typeof payload.cause === 'string' ? payload.cause : null),
      };
    }),
  );
  followUps.service.register(
    messageFollowUp(DEPARTURE_FOLLOW_UPS.securitySummary, poster, (followUp) => {
      const { payload } = followUp;
      const message = departureSecuritySummary({
        leaver: String(payload.leaver),
        cause: typeof payload.cause === 'string' ? payload.cause : null,
        needs: departureNeeds(followUp),
        handedOver: list(payload.handedOver),
        offered: list(payload.offered),
        soleApprover: list<SoleApprover>(payload.soleApprover),
        rotationsHandedOver: list(payload.rotationsHandedOver).length,
        approvalsReasked: list(payload.approvalsReasked).length,
      });
      return { to: audienceOf(followUp), message };
    }),
  );
}
