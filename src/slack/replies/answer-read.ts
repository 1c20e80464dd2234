import { DateTime } from 'luxon';
import { isRotorError } from '../../core/errors.js';
import { postToResponseUrl } from '../outbound/response-url.js';
import { INTERNAL_ERROR_MESSAGE, rotorErrorMessage } from '../views/rotor-error-message.js';
import { readReply, type ReadSource } from './read-replies.js';
import type { ReplyJob, ReplyOutcome } from './reply-protocol.js';

/**
 * Makes a read-only reply and posts it to its response_url; on failure, posts what the person
 * should be told instead (the error's own message for Rotor's errors, a generic apology for the
 * rest), as the app's error handler does. Never throws: the outcome says what happened.
 */
export async function answerRead(source: ReadSource, job: ReplyJob, dueSoonDays: readonly number[]): Promise<ReplyOutcome> {
  let failure: unknown;
  try {
    const message = readReply(source, job.request, DateTime.fromISO(job.today, { setZone: true }), dueSoonDays);
    await postToResponseUrl(job.responseUrl, message);
    return { outcome: 'ok' };
  } catch (error) {
    failure = error;
  }
  const known = isRotorError(failure) ? failure : null;
  let delivered = true;
  try {
    await postToResponseUrl(job.responseUrl, known ? rotorErrorMessage(known) : INTERNAL_ERROR_MESSAGE);
  } catch {
    delivered = false;
  }
  if (known && delivered) return { outcome: 'rejected', code: known.code };
  const error = failure instanceof Error ? failure : new Error(String(failure));
  return { outcome: 'error', error: { message: error.message, ...(error.stack ? { stack: error.stack } : {}) }, delivered };
}
