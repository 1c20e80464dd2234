import { ValidationError } from '../../core/errors.js';

/** Where an AWS-backed secret lives: the id passed to Secrets Manager, and a region when the reference fixes one. */
export interface AwsSecretRef {
  /** The ARN or the secret's name, as Secrets Manager's `SecretId` accepts it. */
  secretId: string;
  region: string | null;
}

const PARTITION = '(?:aws|aws-cn|aws-us-gov|aws-iso(?:-[a-z])?)';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d{1,2}';
// Secrets Manager names: 1-512 characters of letters, digits and /_+=.@-
const NAME = '[A-Za-z0-9/_+=.@-]{1,512}';
const ARN_PATTERN = new RegExp(`^arn:${PARTITION}:secretsmanager:(${REGION}):(\\d{12}):secret:(${NAME})$`);
const NAME_PATTERN = new RegExp(`^(?:(${REGION}):)?(${NAME})$`);

const FORMS =
  'an ARN such as arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-AbCdEf, a name such as prod/app/db, or region:name such as eu-west-1:prod/app/db';

/** ` --region <region>` for an AWS CLI line when the reference names one (an ARN or region:name), else nothing. */
export function awsRegionFlag(ref: AwsSecretRef): string {
  return ref.region ? ` --region ${ref.region}` : '';
}

/** The id a replica answers to in `region`: a replica has the primary's name, and its ARN differs only by region. */
export function replicaSecretId(ref: AwsSecretRef, region: string): string {
  if (!ref.secretId.startsWith('arn:')) return ref.secretId;
  const parts = ref.secretId.split(':');
  parts[3] = region;
  return parts.join(':');
}

/**
 * Parses `arn:…:secretsmanager:…`, `name` or `region:name`. The message names the secret and
 * the accepted forms, because whoever typed the reference has to fix it.
 */
export function parseAwsSecretRef(secretName: string, ref: string): AwsSecretRef {
  const text = ref.trim();
  if (text.startsWith('arn:')) {
    const match = ARN_PATTERN.exec(text);
    if (!match) return invalid(secretName, `\`${ref}\` is not a Secrets Manager secret ARN`);
    return { secretId: text, region: match[1] ?? null };
  }
  const match = NAME_PATTERN.exec(text);
  if (!match) return invalid(secretName, `\`${ref}\` is not a Secrets Manager secret name (letters, digits and /_+=.@- only)`);
  return { secretId: match[2] as string, region: match[1] ?? null };
}

function invalid(secretName: string, problem: string): never {
  const message = `The AWS reference of ${secretName} is malformed: ${problem}. Use ${FORMS}.`;
  throw new ValidationError(message, [{ where: 'provider_ref', message: `${problem}; use ${FORMS}` }]);
}
