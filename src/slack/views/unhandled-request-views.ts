import type { ModalView, PlainTextOption } from '@slack/types';
import { textMessage, type SlackMessage } from './slack-message.js';

/**
 * What Rotor answers to an interaction nothing in this build handles: a button, form or menu
 * from a message an older Rotor posted, a shortcut the app does not (or no longer) offer.
 */

/** A reply to a button or menu no listener handles. */
export function outdatedButtonMessage(): SlackMessage {
  return textMessage(
    ':warning: That button is not one this Rotor handles (the message may be from an older version). Run the command again; `/secrets help` lists them.',
  );
}

function notice(title: string, text: string): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: title },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/** Replaces a submitted form no listener handles (a modal opened by an older Rotor): nothing was saved. */
export function outdatedFormView(): ModalView {
  return notice(
    'Form out of date',
    ':warning: This form is from an older version of Rotor, so nothing was saved. Close it and run the command again; `/secrets help` lists them.',
  );
}

/** Opened for a shortcut Rotor does not offer. */
export function unknownShortcutView(): ModalView {
  return notice(
    'Not a Rotor shortcut',
    ':warning: Rotor has no shortcut by that name (it may be from an older version of the app). Rotor works through `/secrets`, `/rotate` and `/revoke`; `/secrets help` lists what it does.',
  );
}

/** The only choice offered by a menu whose options no listener provides (Slack shows option text only, up to 75 characters). */
export function outdatedMenuOption(): PlainTextOption {
  return {
    text: { type: 'plain_text', text: 'This menu is from an older Rotor: close it and run the command again' },
    value: 'rotor_outdated_menu',
  };
}
