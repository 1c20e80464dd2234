import { RotorError } from '../core/errors.js';
import { isTransientAwsError } from '../providers/aws/aws-errors.js';
import { AttemptTimeoutError } from '../providers/call-with-retry.js';

interface S3ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function s3ErrorName(error: unknown): string {
  return typeof error === 'object' && error !== null ? ((error as S3ErrorShape).name ?? '') : '';
}

export function s3HttpStatus(error: unknown): number {
  return typeof error === 'object' && error !== null ? ((error as S3ErrorShape).$metadata?.httpStatusCode ?? 0) : 0;
}

export { isTransientAwsError as isTransientS3Error };

/** Translates an S3 failure, by its error name, into a message that names the bucket or object and what to do. */
export function translateS3Error(error: unknown, where: string, action: string): RotorError {
  if (error instanceof RotorError) return error;
  const { name = '', code = '', message = '' } = typeof error === 'object' && error !== null ? (error as S3ErrorShape) : {};
  const failed = `Could not ${action} ${where}`;
  const detail = message ? ` (${message})` : '';
  if (error instanceof AttemptTimeoutError || name === 'TimeoutError' || name === 'AbortError' || /^E[A-Z]+$/.test(code)) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: S3 did not answer or cannot be reached${code ? ` (${code})` : ''}. Nothing was archived; it will be tried again.`,
      { cause: error },
    );
  }
  switch (name) {
    case 'NoSuchBucket':
      return new RotorError(
        'config',
        `${failed}: the bucket does not exist. Check the evidence archive's bucket in the policy and the region.`,
        { cause: error },
      );
    case 'AccessDenied':
    case 'AccessDeniedException':
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
      return new RotorError(
        'forbidden',
        `${failed}: access denied${detail}. Grant Rotor's role the S3 permissions listed in docs/providers.md on the archive's bucket and prefix.`,
        { cause: error },
      );
    case 'InvalidRequest':
      return new RotorError(
        'provider',
        `${failed}: S3 refused the request${detail}. Check that the bucket has versioning and Object Lock enabled.`,
        { cause: error },
      );
    case 'CredentialsProviderError':
      return new RotorError(
        'config',
        `${failed}: no AWS credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run Rotor with an IAM role.`,
        { cause: error },
      );
    default:
      break;
  }
  if (isTransientAwsError(error)) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: S3 answered with a server error (${name || 'unknown'}). Nothing was archived; it will be tried again.`,
      { cause: error },
    );
  }
  return new RotorError('provider', `${failed}: ${name || 'unexpected error'}${detail}.`, { cause: error });
}
