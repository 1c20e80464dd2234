import type { OwnerTold } from '../../inventory/ownership-service.js';
import type { ReferenceRequest } from '../../inventory/reference-request-repo.js';
import type { Secret } from '../../inventory/secret.js';
import { code, escapeMrkdwn, mention } from './mrkdwn.js';
import { textMessage, type SlackMessage } from './slack-message.js';

/** Whether the form's new owner was told, for the confirmation. */
export interface NewOwnerNotice {
  owner: string;
  told: OwnerTold;
}

function noticeLine(notice: NewOwnerNotice | null): string {
  if (!notice) return '';
  return notice.told.ok
    ? ` I told ${mention(notice.owner)} in a DM that they own it now.`
    : `\nBut I could not DM ${mention(notice.owner)} that they own it now: ${escapeMrkdwn(notice.told.why)}.`;
}

/** DM to the person who added a secret through the form. */
export function secretAddedMessage(name: string, notice: NewOwnerNotice | null = null): SlackMessage {
  return textMessage(`:white_check_mark: Added ${code(name)}. \`/secrets show ${name}\` shows it.${noticeLine(notice)}`);
}

/** DM to the person who saved the edit form: saved, when it is next due, and whether a new owner was told. */
export function secretSavedMessage(
  secret: Secret,
  notice: NewOwnerNotice | null = null,
  referenceRequest: ReferenceRequest | null = null,
): SlackMessage {
  const status = secret.lifecycle === 'active' ? '' : ` (${secret.lifecycle})`;
  return textMessage(
    `:white_check_mark: Saved ${code(secret.name)}${status}: next rotation ${secret.nextRotation}.${noticeLine(notice)}${requestLine(referenceRequest)}`,
  );
}

/** The provider and reference the save asked security for instead of saving. */
function requestLine(request: ReferenceRequest | null): string {
  if (!request) return '';
  const to = request.to.providerRef ? `${code(request.to.provider)} ${code(request.to.providerRef)}` : code(request.to.provider);
  return `\n:hourglass: The new reference (${to}) waits for a security lead's approval (request #${request.id}); I asked them. Until then Rotor keeps using ${request.from.providerRef ? code(request.from.providerRef) : code(request.from.provider)}.`;
}

/** DM to a secret's new owner. */
export function newOwnerMessage(name: string, by: string): SlackMessage {
  return textMessage(`${mention(by)} made you the owner of ${code(name)}. \`/secrets show ${name}\` shows what you now look after.`);
}

/** DM to the owner a secret was taken from by someone else. */
export function formerOwnerMessage(name: string, owner: string, by: string): SlackMessage {
  const what =
    by === owner
      ? `${mention(owner)} took over ${code(name)} from you`
      : `${mention(by)} made ${mention(owner)} the owner of ${code(name)} instead of you`;
  return textMessage(`:information_source: ${what}: its reminders go to them from now on. \`/secrets show ${name}\` shows it.`);
}

/** Reply to `/secrets owner`: handed over (and whether the new owner was told), or nothing to do. */
export function ownerChangedReply(
  change: { name: string; from: string | null; to: string },
  told: { ok: true } | { ok: false; why: string },
): SlackMessage {
  const done = `${code(change.name)} now belongs to ${mention(change.to)} (was ${mention(change.from)}).`;
  return textMessage(
    told.ok ? `:white_check_mark: ${done} I told them in a DM.` : `:white_check_mark: ${done}\nBut I could not DM them: ${told.why}`,
  );
}

export function alreadyOwnerReply(name: string, owner: string): SlackMessage {
  return textMessage(`${mention(owner)} already owns ${code(name)}; nothing changed.`);
}
