import { AccessDeniedError } from '../../access/authorize.js';
import { describeWhoMay } from '../../access/permissions.js';
import { isRotorError, ValidationError } from '../../core/errors.js';

/**
 * Field errors for a modal's `response_action: 'errors'`: each validation issue on the block that
 * shows its field (`blockFor`), anything without a field of its own on `fallbackBlock`. Slack
 * shows these verbatim as plain text, so they are not mrkdwn-escaped, and mentions become ids.
 * An error on a block the modal does not show makes Slack reject the whole answer, so
 * `blockFor` must answer only with blocks the modal has.
 */
export function fieldErrors(
  error: unknown,
  blockFor: (where: string) => string | undefined,
  fallbackBlock: string,
): Record<string, string> {
  const errors: Record<string, string> = {};
  const add = (blockId: string, message: string) => {
    errors[blockId] = errors[blockId] ? `${errors[blockId]} ${message}` : message;
  };
  if (error instanceof ValidationError && error.issues.length > 0) {
    for (const issue of error.issues) add(blockFor(issue.where) ?? fallbackBlock, issue.message);
  } else if (error instanceof AccessDeniedError) {
    add(
      (error.where ? blockFor(error.where) : undefined) ?? fallbackBlock,
      `${error.reason} ${describeWhoMay(error.whoMay).replace(/<@([A-Z0-9]+)>/g, '$1')}`,
    );
  } else if (isRotorError(error)) {
    add(fallbackBlock, error.message);
  }
  return errors;
}
