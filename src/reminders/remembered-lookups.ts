import { isoInstant, type Clock } from '../core/clock.js';
import type { PersonInfo } from '../core/delivery.js';
import type { RecipientDirectoryRepo } from './recipient-directory-repo.js';

/** Anything that asks Slack about a person (the rotation preflight asks about approvers). */
export interface PersonLookup {
  lookupPerson(userId: string): Promise<PersonInfo>;
}

/**
 * A lookup whose answers also go to the shared people cache, so what Slack said about an
 * approver (their name above all) serves the evidence and the reports later, without asking again.
 */
export function rememberedLookups(lookup: PersonLookup, directory: RecipientDirectoryRepo, clock: Clock): PersonLookup {
  return {
    async lookupPerson(userId) {
      const info = await lookup.lookupPerson(userId);
      directory.save({ userId, tz: info.tz, gone: info.gone, fetchedAt: isoInstant(clock.now()), name: info.name ?? null });
      return info;
    },
  };
}
