import type { MemberStanding } from '../../core/delivery.js';
import type { OwnerDirectory } from '../../inventory/ownership-service.js';
import { newOwnerMessage } from '../views/secret-change-messages.js';
import type { SlackPoster } from './slack-poster.js';

/** The ownership port over the outbound poster: users.info for who someone is, a DM for a new owner. */
export class SlackOwnerDirectory implements OwnerDirectory {
  constructor(private readonly poster: SlackPoster) {}

  standingOf(userId: string): Promise<MemberStanding> {
    return this.poster.memberStanding(userId);
  }

  async tellNewOwner(owner: string, secretName: string, by: string): Promise<void> {
    await this.poster.post(owner, newOwnerMessage(secretName, by));
  }
}
