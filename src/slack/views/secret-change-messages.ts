import { code, mention } from './mrkdwn.js';
import { textMessage, type SlackMessage } from './slack-message.js';

/** DM to the person who added a secret through the form. */
export function secretAddedMessage(name: string): SlackMessage {
  return textMessage(`:white_check_mark: Added ${code(name)}. \`/secrets show ${name}\` shows it.`);
}

/** DM to the person who saved the edit form. */
export function secretSavedMessage(name: string): SlackMessage {
  return textMessage(`:white_check_mark: Saved ${code(name)}.`);
}

/** DM to a secret's new owner. */
export function newOwnerMessage(name: string, by: string): SlackMessage {
  return textMessage(`${mention(by)} made you the owner of ${code(name)}. \`/secrets show ${name}\` shows what you now look after.`);
}

/** Reply to `/secrets owner`: handed over (and whether the new owner was told), or nothing to do. */
export function ownerChangedReply(change: { name: string; from: string | null; to: string }, told: { ok: true } | { ok: false; why: string }): SlackMessage {
  const done = `${code(change.name)} now belongs to ${mention(change.to)} (was ${mention(change.from)}).`;
  return textMessage(told.ok ? `:white_check_mark: ${done} I told them in a DM.` : `:white_check_mark: ${done}\nBut I could not DM them: ${told.why}`);
}

export function alreadyOwnerReply(name: string, owner: string): SlackMessage {
  return textMessage(`${mention(owner)} already owns ${code(name)}; nothing changed.`);
}
