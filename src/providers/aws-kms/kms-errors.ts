import { fixReferenceStep } from '../../core/next-step.js';
import { RotorError } from '../../core/errors.js';
import { AttemptTimeoutError } from '../call-with-retry.js';
import { isTransientAwsError } from '../aws/aws-errors.js';
import type { ProviderTarget } from '../secret-provider.js';

const DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
/** KMS's own names for a failure on its side that a later attempt may not meet. */
const KMS_TRANSIENT = new Set(['DependencyTimeoutException', 'KMSInternalException', 'KeyUnavailableException']);

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
}

function shapeOf(error: unknown): AwsErrorShape {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};
}

/** Throttling, 5xx, timeouts, dropped connections and KMS's internal failures are worth another attempt. */
export function isTransientKmsError(error: unknown): boolean {
  return isTransientAwsError(error) || KMS_TRANSIENT.has(shapeOf(error).name ?? '');
}

/**
 * Translates a KMS failure, by its exception name, into a message that names the secret and
 * its alias and says what to do. The SDK error stays attached as the cause for the logs.
 */
export function translateKmsError(error: unknown, target: ProviderTarget, action: string): RotorError {
  if (error instanceof RotorError) return error;
  const { name = '', code = '', message = '' } = shapeOf(error);
  const secret = target.secretName;
  const ref = target.providerRef;
  const failed = `Could not ${action} ${secret} (${ref}) in AWS KMS`;
  const detail = message ? ` (${message})` : '';
  if (error instanceof AttemptTimeoutError || name === 'TimeoutError' || name === 'AbortError') {
    return new RotorError(
      'provider_unavailable',
      `${failed}: AWS did not answer in time. Nothing was recorded; try again in a few minutes (the step can be resumed).`,
      { cause: error },
    );
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name)) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: the KMS endpoint cannot be reached (${code || name}). Nothing was recorded; check AWS_ENDPOINT_URL / network access and try again.`,
      { cause: error },
    );
  }
  switch (name) {
    case 'NotFoundException':
      return new RotorError('not_found', `${failed}: it does not exist${detail}.`, {
        cause: error,
        next: fixReferenceStep(secret, { lead: 'check the alias and region (`aws kms list-aliases`), or fix the reference with' }),
      });
    case 'DisabledException':
      return new RotorError(
        'conflict',
        `${failed}: the key is disabled${detail}. Enable it (\`aws kms enable-key\`) or point the alias at an enabled key, then try again.`,
        { cause: error },
      );
    case 'KMSInvalidStateException':
      return new RotorError(
        'conflict',
        `${failed}: the key is not in a state that allows this${detail}, e.g. pending deletion or disabled. Check it with \`aws kms describe-key\`.`,
        { cause: error },
      );
    case 'MalformedPolicyDocumentException':
      return new RotorError(
        'forbidden',
        `${failed}: KMS refused the old key's policy for the new key${detail}. The policy must let Rotor's role manage the key it creates (the lockout safety check); fix the key policy or create the new key by hand.`,
        { cause: error },
      );
    case 'AlreadyExistsException':
      return new RotorError('conflict', `${failed}: the alias already exists${detail}.`, { cause: error });
    case 'LimitExceededException':
      return new RotorError(
        'provider',
        `${failed}: a KMS quota was reached${detail}, e.g. keys or aliases per region. Schedule unused keys for deletion or raise the quota, then try again.`,
        { cause: error },
      );
    case 'TagException':
      return new RotorError(
        'validation',
        `${failed}: KMS refused a tag${detail}. Tag keys and values must be at most 128 and 256 characters and keys may not start with aws:.`,
        { cause: error },
      );
    case 'InvalidArnException':
    case 'InvalidAliasNameException':
      return new RotorError('validation', `${failed}: KMS refused the alias or key name${detail}.`, {
        cause: error,
        next: fixReferenceStep(secret),
      });
    case 'InvalidCiphertextException':
    case 'IncorrectKeyException':
      return new RotorError(
        'provider',
        `${failed}: the encrypt/decrypt round trip through the alias failed${detail}. The alias may have moved meanwhile; check it with \`aws kms describe-key --key-id ${ref}\`.`,
        { cause: error },
      );
    case 'UnsupportedOperationException':
      return new RotorError('validation', `${failed}: KMS does not support this for the key${detail}.`, { cause: error });
    case 'CredentialsProviderError':
      return new RotorError(
        'config',
        `${failed}: no AWS credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run Rotor with an IAM role, then try again.`,
        { cause: error },
      );
    default:
      break;
  }
  if (DENIED.has(name)) {
    return new RotorError(
      'forbidden',
      `${failed}: access denied (${name}). Grant Rotor's role the KMS permissions listed in docs/providers.md for this key and alias, then try again.`,
      { cause: error },
    );
  }
  if (name === 'ThrottlingException' || name === 'RequestLimitExceeded') {
    return new RotorError(
      'provider_unavailable',
      `${failed}: AWS is throttling requests. Nothing was recorded; try again in a few minutes.`,
      { cause: error },
    );
  }
  if (message.includes('Region is missing')) {
    return new RotorError(
      'config',
      `${failed}: no AWS region is configured. Set AWS_REGION, or write the reference as region:alias/name or as an alias ARN.`,
      { cause: error },
    );
  }
  if (isTransientKmsError(error)) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: AWS answered with a server error (${name || 'unknown'}). Nothing was recorded; try again later.`,
      { cause: error },
    );
  }
  return new RotorError('provider', `${failed}: ${name || 'unexpected error'}${detail}. Check the key's state in AWS, then try again.`, {
    cause: error,
  });
}
