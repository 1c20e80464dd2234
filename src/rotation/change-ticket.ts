import { ValidationError } from '../core/errors.js';
import { findHiddenCharacters, findUnsafeText } from '../inventory/free-text-guard.js';

export const MAX_TICKET_LENGTH = 200;

/** `SEC-123`, `OPS-42`: a tracker key, as Jira, Linear and YouTrack write them. */
const TRACKER_KEY = /^[A-Z][A-Z0-9_]{0,19}-\d{1,9}$/;
const URL = /^https?:\/\/[^\s<>"]{1,190}$/;

/**
 * The change ticket a rotation is recorded under: a tracker key such as `SEC-123` or a URL, at
 * most 200 characters. Anything else (empty, a broadcast such as `<!channel>`, free prose) is
 * refused with what to type instead, on the field it came from, and so is a link carrying a
 * credential or invisible direction-changing characters (never echoed).
 */
export function parseChangeTicket(input: string | null | undefined): string {
  const text = (input ?? '').trim();
  const refuse = (message: string): never => {
    throw new ValidationError(`The change ticket ${message}`, [
      { where: 'ticket', message: `${message.replace(/\.$/, '')}; write a ticket id such as SEC-123 or its URL` },
    ]);
  };
  if (text === '') return refuse('is required.');
  if (text.length > MAX_TICKET_LENGTH) return refuse(`is ${text.length} characters long; at most ${MAX_TICKET_LENGTH}.`);
  if (/[<>]/.test(text)) return refuse('may not contain < or > (mentions, broadcasts and links are not tickets).');
  // Checked as a link: a ticket's URL is posted to approvers and channels and kept in the evidence.
  // Hidden characters count as typed, even at the ends (trimming drops a byte-order mark, and the person meant the link they saw).
  const unsafe = findHiddenCharacters(input ?? '') ?? findUnsafeText(text, { url: true });
  if (unsafe)
    throw new ValidationError(`The change ticket ${unsafe.message}. Nothing was recorded.`, [{ where: 'ticket', message: unsafe.hint }]);
  if (TRACKER_KEY.test(text.toUpperCase()) && !/\s/.test(text)) return text.toUpperCase();
  if (URL.test(text)) return text;
  // Not echoed back: whatever was typed could be anything, a pasted value included.
  return refuse('is neither a ticket id nor a URL.');
}
