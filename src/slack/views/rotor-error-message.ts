import { AccessDeniedError } from '../../access/authorize.js';
import { describeWhoMay } from '../../access/permissions.js';
import { describeError, type RotorError } from '../../core/errors.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { textMessage, type SlackMessage } from './slack-message.js';

/** What a person is told of one of Rotor's own errors: its message, which says what to do; a refusal also says who may. */
export function rotorErrorMessage(error: RotorError): SlackMessage {
  if (error instanceof AccessDeniedError) return textMessage(`:no_entry: ${error.reason} ${describeWhoMay(error.whoMay)}`);
  return textMessage(`:warning: ${escapeMrkdwn(describeError(error))}`);
}

/** Whatever else went wrong: never a stack trace, never an internal detail. */
export const INTERNAL_ERROR_MESSAGE: SlackMessage = textMessage(
  ':warning: Something went wrong inside Rotor. It has been logged; try again, and tell a Rotor admin if it keeps happening.',
);
