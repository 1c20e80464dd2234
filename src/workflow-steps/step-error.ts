import { AccessDeniedError } from '../access/authorize.js';
import { describeWhoMay } from '../access/permissions.js';
import { describeError } from '../core/errors.js';

/**
 * Why a step failed, as the plain text Slack shows in the workflow's activity
 * (functions.completeError): the same words as the slash commands' answers, and for a refusal
 * who may do it instead.
 */
export function stepErrorText(error: unknown): string {
  if (error instanceof AccessDeniedError) return `${error.reason} ${describeWhoMay(error.whoMay)}`;
  return describeError(error);
}
