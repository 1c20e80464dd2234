import type { FollowUpRepo } from '../../follow-ups/follow-up-repo.js';
import type { FollowUpService } from '../../follow-ups/follow-up-service.js';
import type { ReferenceChangeService } from '../../inventory/reference-change-service.js';
import type { RevocationService } from '../../revocation/revocation-service.js';
import type { RotationService } from '../../rotation/rotation-service.js';
import type { Services } from '../../services.js';

/** What the follow-ups that post to Slack read and register with: services, not the whole runtime (which registers them). */
export interface SlackFollowUpDeps {
  services: Services;
  followUps: { service: FollowUpService; repo: FollowUpRepo };
  rotation: RotationService;
  revocation: RevocationService;
  references: ReferenceChangeService;
}
