import type { DateTime } from 'luxon';

/**
 * Provenance at the store: the runbook tags each new version `version=<YYYYMMDD>` and
 * `rotated_by=<user>`, so whoever looks at the secret in AWS, Vault or Google sees when and by
 * whom it was last rotated without asking Rotor. The tag keys are the policy's to choose.
 */
export interface ProvenanceTagKeys {
  version: string;
  rotatedBy: string;
}

export const DEFAULT_PROVENANCE_TAG_KEYS: Readonly<ProvenanceTagKeys> = Object.freeze({ version: 'version', rotatedBy: 'rotated_by' });

/** The tags for a rotation completed at `completedAt` (its UTC date) by `rotatedBy` (a Slack name or id). */
export function provenanceTags(input: { completedAt: DateTime; rotatedBy: string; keys?: ProvenanceTagKeys }): Record<string, string> {
  const keys = input.keys ?? DEFAULT_PROVENANCE_TAG_KEYS;
  return { [keys.version]: input.completedAt.toUTC().toFormat('yyyyLLdd'), [keys.rotatedBy]: input.rotatedBy.trim() };
}

// Secrets Manager and KMS tags: letters, digits, spaces and + - = . _ : / @; keys up to 128, values up to 256.
const AWS_UNSAFE = /[^\p{L}\p{N} +\-=._:/@]/gu;

/** The same tags as AWS accepts them: other characters become `_`, lengths are cut to AWS's limits. */
export function asAwsTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags).map(([key, value]) => [key.replace(AWS_UNSAFE, '_').slice(0, 128), value.replace(AWS_UNSAFE, '_').slice(0, 256)]),
  );
}

/**
 * The same tags as Google labels: lowercase letters, digits, `_` and `-` only, at most 63
 * characters, keys starting with a letter (`U0123ABCD` becomes `u0123abcd`, `Ada Lovelace`
 * becomes `ada_lovelace`).
 */
export function asGoogleLabels(tags: Record<string, string>): Record<string, string> {
  const clean = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^\p{Ll}\p{Lo}\p{N}_-]/gu, '_')
      .slice(0, 63);
  return Object.fromEntries(
    Object.entries(tags).map(([key, value]) => {
      const cleanKey = clean(key);
      return [/^[\p{Ll}\p{Lo}]/u.test(cleanKey) ? cleanKey : `r${cleanKey}`.slice(0, 63), clean(value)];
    }),
  );
}
