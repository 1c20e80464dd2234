import { ValidationError } from '../core/errors.js';
import { findCredentialShape, findCredentialShapeInUrl } from './credential-shapes.js';

/**
 * The one check every free-text field a person types into a rotation or an incident goes
 * through (tickets, notes, reasons, status updates, the postmortem link): such text is stored,
 * posted to approvers and channels, logged and exported, so it must carry no credential, and no
 * character that makes it read as something other than what it holds. A refusal never echoes
 * the text: a hurried responder may have pasted the very value that leaked.
 */

/** Unicode's direction controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM): they reorder what a reader sees, so a link or a name can read as another. */
const DIRECTION_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;
/** Every other invisible format character (Unicode category Cf: zero-width spaces and joiners, the byte-order mark, soft hyphens, tags): they hide inside a link or a name and make it differ from what a reader sees. */
const FORMAT_CHARACTERS = /\p{Cf}/u;
/** A zero-width joiner between two pictographs is how emoji are composed (a family, a profession): what people type, not a hiding place. */
const EMOJI_JOINS = /(\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic})/gu;
/** C0 controls but tab and line breaks, DEL, and C1 controls: they drive terminals (colours, cursor moves, titles) when the text is printed. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** How a field is named to the person who typed it: the form field it shows under, and a phrase for the message. */
export interface FreeTextField {
  where: string;
  what: string;
}

/** What makes `text` unsafe to keep and show, worded for a person, or null. `url` fields are checked as links. */
export function findUnsafeText(text: string, options: { url?: boolean } = {}): { message: string; hint: string } | null {
  const hidden = findHiddenCharacters(text);
  if (hidden) return hidden;
  const shape = options.url ? findCredentialShapeInUrl(text) : findCredentialShape(text);
  if (shape) {
    return {
      message: `looks like it holds ${shape}. Never paste a secret's value: say where it is or what happened instead`,
      hint: `it looks like it holds ${shape}; never paste a secret's value`,
    };
  }
  return null;
}

/** Characters that make text show or print as something other than what it holds, or null. */
export function findHiddenCharacters(text: string): { message: string; hint: string } | null {
  if (DIRECTION_CONTROLS.test(text)) {
    return {
      message:
        'holds invisible characters that change the direction of the text (Unicode direction controls), which can make it read as something else',
      hint: 'it holds invisible direction-changing characters; type it again instead of pasting it',
    };
  }
  if (FORMAT_CHARACTERS.test(text.replace(EMOJI_JOINS, '$1'))) {
    return {
      message:
        'holds invisible formatting characters (such as zero-width spaces or a byte-order mark), which can make it read as something else',
      hint: 'it holds invisible characters (such as zero-width spaces); type it again instead of pasting it',
    };
  }
  if (CONTROL_CHARACTERS.test(text)) {
    return {
      message: 'holds control characters (such as terminal escape sequences)',
      hint: 'it holds control characters; type it again instead of pasting it',
    };
  }
  return null;
}

/** Refuses unsafe text on its field, saying nothing was recorded and never quoting it. */
export function refuseUnsafeText(text: string, field: FreeTextField, options: { url?: boolean } = {}): void {
  const problem = findUnsafeText(text, options);
  if (problem)
    throw new ValidationError(`The ${field.what} ${problem.message}. Nothing was recorded.`, [
      { where: field.where, message: problem.hint },
    ]);
}
