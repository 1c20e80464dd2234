import { fixReferenceStep } from '../../core/next-step.js';
import { isWritingAction, OutcomeUnknownError, RotorError } from '../../core/errors.js';
import { AttemptTimeoutError } from '../call-with-retry.js';
import type { ProviderTarget } from '../secret-provider.js';

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);
const DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function shapeOf(error: unknown): AwsErrorShape {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};
}

/** Throttling, 5xx, timeouts and dropped connections are worth another attempt; nothing else is. */
export function isTransientAwsError(error: unknown): boolean {
  if (error instanceof AttemptTimeoutError) return true;
  const { name = '', code = '', $metadata } = shapeOf(error);
  if (THROTTLING.has(name) || name === 'InternalServiceError' || name === 'TimeoutError') return true;
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name)) return true;
  const status = $metadata?.httpStatusCode ?? 0;
  return status >= 500 || status === 429;
}

/**
 * Translates a Secrets Manager failure, by its exception name, into a message that names the
 * secret and says what to do. The SDK error stays attached as the cause for the logs.
 */
export function translateAwsError(error: unknown, target: ProviderTarget, action: string): RotorError {
  if (error instanceof RotorError) return error;
  const { name = '', code = '', message = '' } = shapeOf(error);
  const secret = target.secretName;
  const ref = target.providerRef;
  const failed = `Could not ${action} ${secret} in AWS Secrets Manager`;
  if (error instanceof AttemptTimeoutError || name === 'TimeoutError' || name === 'AbortError') {
    if (isWritingAction(action))
      return new OutcomeUnknownError('provider_unavailable', `${failed}: AWS did not answer in time, so whether it was done is unknown.`, {
        cause: error,
      });
    return new RotorError(
      'provider_unavailable',
      `${failed}: AWS did not answer in time. Nothing was recorded; try again in a few minutes (the step can be resumed).`,
      { cause: error },
    );
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name)) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: the Secrets Manager endpoint cannot be reached (${code || name}). Nothing was recorded; check AWS_ENDPOINT_URL / network access and try again.`,
      { cause: error },
    );
  }
  if (THROTTLING.has(name)) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: AWS is throttling requests. Nothing was recorded; try again in a few minutes.`,
      { cause: error },
    );
  }
  if (name === 'ResourceNotFoundException') {
    return new RotorError(
      'not_found',
      `${secret} points to ${ref}, which does not exist in AWS Secrets Manager (or is in another region or account).`,
      {
        cause: error,
        next: fixReferenceStep(secret, { purpose: 'or create the secret in AWS' }),
      },
    );
  }
  if (name === 'CredentialsProviderError') {
    return new RotorError(
      'config',
      `${failed}: no AWS credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run Rotor with an IAM role, then try again.`,
      { cause: error },
    );
  }
  if (DENIED.has(name)) {
    return new RotorError(
      'forbidden',
      `${failed}: access denied (${name}). Grant Rotor's role the Secrets Manager permissions listed in the README for ${ref}, then try again.`,
      { cause: error },
    );
  }
  if (name === 'InvalidRequestException' || name === 'InvalidParameterException') {
    return new RotorError(
      'conflict',
      `${failed}: AWS refused the request (${message || name}). Check the secret's state in AWS (scheduled for deletion? rotation in progress?) and try again.`,
      { cause: error },
    );
  }
  if (name === 'DecryptionFailure') {
    return new RotorError(
      'forbidden',
      `${failed}: AWS could not decrypt it with its KMS key. Grant Rotor's role kms:Decrypt on that key.`,
      { cause: error },
    );
  }
  if (name === 'LimitExceededException') {
    return new RotorError(
      'provider',
      `${failed}: a Secrets Manager limit was reached (${message || name}), often too many versions. Deprecate old versions and try again.`,
      { cause: error },
    );
  }
  if (message.includes('Region is missing')) {
    return new RotorError(
      'config',
      `${failed}: no AWS region is configured. Set AWS_REGION, or write the reference as region:name or as an ARN.`,
      { cause: error },
    );
  }
  if (isTransientAwsError(error)) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: AWS answered with a server error (${name || 'unknown'}). Nothing was recorded; try again later.`,
      { cause: error },
    );
  }
  return new RotorError(
    'provider',
    `${failed}: ${name || 'unexpected error'}${message ? ` (${message})` : ''}. Nothing was recorded; check the reference ${ref} and the secret's state in AWS, then try again.`,
    { cause: error },
  );
}
