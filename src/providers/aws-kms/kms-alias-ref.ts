import { ValidationError } from '../../core/errors.js';

/** Which KMS alias a `kms_key` secret tracks, and the region when the reference fixes one. */
export interface KmsAliasRef {
  /** `alias/…`, as KMS's `KeyId` and `AliasName` parameters accept it. */
  aliasName: string;
  region: string | null;
}

const PARTITION = '(?:aws|aws-cn|aws-us-gov|aws-iso(?:-[a-z])?)';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d{1,2}';
// KMS alias names: `alias/` then 1-250 letters, digits and /_- (the whole name at most 256).
const ALIAS = 'alias/[A-Za-z0-9/_-]{1,250}';
const ARN_PATTERN = new RegExp(`^arn:${PARTITION}:kms:(${REGION}):(\\d{12}):(${ALIAS})$`);
const NAME_PATTERN = new RegExp(`^(?:(${REGION}):)?(${ALIAS})$`);
const KEY_ARN_PATTERN = new RegExp(`^arn:${PARTITION}:kms:${REGION}:\\d{12}:key/`);
const KEY_ID_PATTERN = /^(?:mrk-)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/;

const FORMS =
  'an alias such as alias/app, region:alias such as eu-west-1:alias/app, or an alias ARN such as arn:aws:kms:eu-west-1:123456789012:alias/app';

/**
 * Parses `alias/name`, `region:alias/name` or an alias ARN. A key id or key ARN is refused:
 * rotating by hand makes a new key, so what consumers name (and Rotor tracks) must be the alias
 * that moves to it. AWS-managed aliases (`alias/aws/…`) are refused: AWS rotates those keys.
 */
export function parseKmsAliasRef(secretName: string, ref: string): KmsAliasRef {
  const text = ref.trim();
  if (KEY_ARN_PATTERN.test(text) || KEY_ID_PATTERN.test(text)) {
    invalid(
      secretName,
      `\`${ref}\` names a key, not an alias; a rotation makes a new key, so track the alias your applications use (create one with \`aws kms create-alias\`)`,
    );
  }
  const arn = text.startsWith('arn:') ? ARN_PATTERN.exec(text) : null;
  if (text.startsWith('arn:') && !arn) invalid(secretName, `\`${ref}\` is not a KMS alias ARN`);
  const match = arn ? { region: arn[1], alias: arn[3] } : toParts(NAME_PATTERN.exec(text));
  if (!match) invalid(secretName, `\`${ref}\` is not a KMS alias (alias/ followed by letters, digits and /_-)`);
  const aliasName = match.alias as string;
  if (aliasName.startsWith('alias/aws/')) {
    invalid(secretName, `\`${aliasName}\` is an AWS-managed key's alias; AWS rotates those keys itself and they cannot be replaced`);
  }
  return { aliasName, region: match.region ?? null };
}

/** The reference as people write it back: `alias/app` or `region:alias/app`. */
export function formatKmsAliasRef(ref: KmsAliasRef): string {
  return ref.region ? `${ref.region}:${ref.aliasName}` : ref.aliasName;
}

function toParts(match: RegExpExecArray | null): { region: string | undefined; alias: string | undefined } | null {
  return match ? { region: match[1], alias: match[2] } : null;
}

function invalid(secretName: string, problem: string): never {
  const message = `The KMS reference of ${secretName} is malformed: ${problem}. Use ${FORMS}.`;
  throw new ValidationError(message, [{ where: 'provider_ref', message: `${problem}; use ${FORMS}` }]);
}
