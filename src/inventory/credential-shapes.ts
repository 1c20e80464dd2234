/**
 * Recognises text that carries a credential's shape, so free text (retrieval instructions,
 * descriptions, notes) never becomes a place where a secret's value is kept. Only shapes are
 * named, never the text: callers say which field and what kind, and must not echo the value.
 *
 * Every pattern runs in time linear in the text: fixed-length tails on literal prefixes, and
 * token checks done by hand, with no quantifier that could give back characters to another.
 * What legitimately belongs in retrieval instructions passes: ARNs, `aws secretsmanager
 * get-secret-value --secret-id …` lines, Vault paths, URLs, ids and hex digests.
 */

/** Vendor prefixes with a fixed-length tail: linear however they repeat. */
const VENDOR_SHAPES: readonly [RegExp, string][] = [
  [/(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|APKA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/, 'an AWS access key id'],
  [/\bxox[abposre]-[A-Za-z0-9-]{10}/, 'a Slack token'],
  [/\bxapp-\d-[A-Za-z0-9-]{10}/, 'a Slack app token'],
  [/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9]{8}/, 'a Slack webhook URL'],
  [/\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16}/, 'a Stripe secret key'],
  [/\bwhsec_[A-Za-z0-9]{20}/, 'a Stripe webhook secret'],
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}/, 'a GitHub token'],
  [/\bgithub_pat_[A-Za-z0-9_]{22}/, 'a GitHub token'],
  [/\bglpat-[A-Za-z0-9_-]{20}/, 'a GitLab token'],
  [/\bAIza[A-Za-z0-9_-]{35}/, 'a Google API key'],
  [/-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY/, 'a PEM private key'],
];

/** All of them in one pass (one group each), which imports of 100,000 rows notice. */
const ANY_VENDOR_SHAPE = new RegExp(VENDOR_SHAPES.map(([pattern]) => `(${pattern.source})`).join('|'));

/** No shape fits in fewer characters (`pwd: ` and a six-character value). */
const SHORTEST_SHAPE = 10;

/** `sk-…` and `sk-proj-…`: the tail must look random, or `sk-learn-classifier-model` would match. */
const OPENAI_CANDIDATE = /\bsk-(?:proj-|svcacct-|admin-)?([A-Za-z0-9_-]{20})/g;

/** `password: hunter2`, `password is hunter2`, `pwd=…`: the value is the next word. */
const ASSIGNMENT = /\b(?:password|passwd|pwd|passphrase)(?:\s*[:=]\s*|\s+is\s+)([^\s,;'"`]+)/gi;

/** Runs of base64 / base64url characters: where random keys live. */
const KEY_RUN = /[A-Za-z0-9+/_-]+/g;
/** Runs of JWT characters (base64url and dots). */
const JWT_RUN = /[A-Za-z0-9_.-]+/g;

/** Shorter random strings are too often ids; longer ones are what generated keys look like. */
const MIN_RANDOM_LENGTH = 24;

/** What kind of credential `text` appears to contain, or null. */
export function findCredentialShape(text: string): string | null {
  return findShape(text, true);
}

/**
 * What kind of credential a link appears to carry, or null: a password in its user part, a
 * known vendor shape, a token or a `password=` anywhere, and random-looking runs in its user
 * part, query and fragment. Path segments are not held to the random-run test: document ids
 * (Google Docs, Drive) look random and are what postmortem and ticket links are made of.
 */
export function findCredentialShapeInUrl(text: string): string | null {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    return findCredentialShape(text);
  }
  if (url.password !== '') return 'a password (in the user part of the link)';
  // A link carries what its percent-escapes (and a form's `+` spaces) spell, wherever they are: the path included.
  for (const form of decodedForms(text)) {
    const known = findShape(form, false);
    if (known) return known;
  }
  for (const part of [url.username, url.search, url.hash])
    if (part.length >= MIN_RANDOM_LENGTH && hasRandomRun(percentDecoded(part))) return 'a long random string (a key or token)';
  return null;
}

/** How many times escapes are undone: `%2573` is `%73` is `s`; more layers than that read as text no system decodes. */
const DECODE_LAYERS = 3;

/** The link as typed, then as each layer of percent-decoding reads it, and with `+` read as a space. */
function decodedForms(text: string): string[] {
  const forms = [text];
  let current = text;
  for (let layer = 0; layer < DECODE_LAYERS; layer += 1) {
    const next = percentDecoded(current);
    if (next === current) break;
    forms.push(next);
    current = next;
  }
  if (current.includes('+')) forms.push(percentDecoded(current.replace(/\+/g, ' ')));
  return forms;
}

/**
 * Undoes each run of well-formed percent-escapes on its own, so a stray `%` elsewhere (which
 * makes decodeURIComponent give up on the whole text) cannot hide an escaped key; a run that is
 * not UTF-8 is kept as typed.
 */
function percentDecoded(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function hasRandomRun(text: string): boolean {
  for (const run of text.matchAll(KEY_RUN)) if (looksRandom(run[0])) return true;
  return false;
}

function findShape(text: string, randomRuns: boolean): string | null {
  if (text.length < SHORTEST_SHAPE) return null;
  const vendor = ANY_VENDOR_SHAPE.exec(text);
  if (vendor) return VENDOR_SHAPES[vendor.findIndex((group, index) => index > 0 && group !== undefined) - 1]?.[1] ?? null;
  // Cheap tests first: most cells hold none of these, and then their scans are skipped.
  if (text.includes('sk-'))
    for (const match of text.matchAll(OPENAI_CANDIDATE)) if (mixesClasses(match[1] as string)) return 'an OpenAI API key';
  if (text.includes('eyJ')) for (const run of text.matchAll(JWT_RUN)) if (isJwt(run[0])) return 'a JSON Web Token';
  if (/pass|pwd/i.test(text)) for (const match of text.matchAll(ASSIGNMENT)) if (looksLikeValue(match[1] as string)) return 'a password';
  if (randomRuns && text.length >= MIN_RANDOM_LENGTH && hasRandomRun(text)) return 'a long random string (a key or token)';
  return null;
}

function mixesClasses(text: string): boolean {
  return /[A-Z]/.test(text) && /[a-z]/.test(text) && /[0-9]/.test(text);
}

/** Header and payload both start `eyJ` (base64url of `{"`), then a signature part. */
function isJwt(run: string): boolean {
  const parts = run.split('.');
  for (let index = 0; index + 2 < parts.length; index += 1) {
    const [header, payload] = [parts[index] as string, parts[index + 1] as string];
    if (header.startsWith('eyJ') && payload.startsWith('eyJ') && header.length >= 10 && payload.length >= 10) return true;
  }
  return false;
}

/**
 * The word after "password:" is a value unless it is a reference (a path, a URL, `${VAR}`,
 * `<placeholder>`, `@vault`) or an ordinary word: a value has a digit or a symbol.
 */
function looksLikeValue(word: string): boolean {
  if (word.length < 6 || /[/:]/.test(word) || /^[$<{@%]/.test(word) || /^1password/i.test(word)) return false;
  return /[0-9]|[^A-Za-z0-9_.-]/.test(word);
}

/**
 * A run that reads like generated randomness: long, upper and lower case and digits, a change
 * of character class about every other character, and few lower-case words. Paths and
 * CamelCase identifiers change class at word boundaries and are mostly words; hex digests and
 * UUIDs have no upper case and pass (so do hex keys: they cannot be told from digests).
 */
function looksRandom(run: string): boolean {
  if (run.length < MIN_RANDOM_LENGTH) return false;
  return changesClassOften(run) || spreadLikeGeneratedText(run);
}

function changesClassOften(run: string): boolean {
  if (!mixesClasses(run)) return false;
  let changes = 0;
  for (let index = 1; index < run.length; index += 1) if (classOf(run[index] as string) !== classOf(run[index - 1] as string)) changes += 1;
  return changes / (run.length - 1) >= 0.45 && distinctRatio(run) >= 0.5 && wordShare(run) <= 0.45;
}

/**
 * The second reading, for what the class changes miss: about 3 in 100 random 32-character
 * tokens (and 2 in 100 of Rotor's own 48-character values) hold long lower-case stretches or no
 * digit. Upper and lower case each present (and a digit below 32 characters), characters spread
 * as a generator spreads them (Shannon entropy at least 80% of the most the run's length
 * allows), and under half of it in pronounceable words, which identifiers such as
 * `SecretsManagerRotationLambda2024` are made of. Together the two miss about 4 in 10,000
 * random 32-character tokens.
 */
function spreadLikeGeneratedText(run: string): boolean {
  const [lower, upper, digits] = classCounts(run);
  if (lower < 2 || upper < 2 || (digits < 1 && run.length < 32)) return false;
  return entropy(run) >= 0.8 * Math.log2(Math.min(run.length, 62)) && pronounceableShare(run) < 0.5;
}

function classCounts(text: string): [number, number, number] {
  const counts: [number, number, number] = [0, 0, 0];
  for (const char of text) {
    const kind = classOf(char);
    if (kind < 3) counts[kind as 0 | 1 | 2] += 1;
  }
  return counts;
}

/** Shannon entropy of the run's characters, in bits per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / text.length) * Math.log2(count / text.length);
  return bits;
}

/** The share of characters in words that read as words: vowels and consonants alternating, no four consonants in a row. */
function pronounceableShare(text: string): number {
  let inWords = 0;
  for (const match of text.matchAll(/[A-Z]?[a-z]{3,}/g)) {
    const word = match[0];
    if (/[aeiou][^aeiou]|[^aeiou][aeiou]/i.test(word) && !/[^aeiou]{4}/i.test(word)) inWords += word.length;
  }
  return inWords / text.length;
}

/** The share of characters in runs of three or more lower-case letters. */
function wordShare(text: string): number {
  let inWords = 0;
  for (const word of text.matchAll(/[a-z]{3,}/g)) inWords += word[0].length;
  return inWords / text.length;
}

function classOf(char: string): number {
  if (char >= 'a' && char <= 'z') return 0;
  if (char >= 'A' && char <= 'Z') return 1;
  if (char >= '0' && char <= '9') return 2;
  return 3;
}

/** Distinct characters per character (capped by the alphabet): repeated patterns are not random. */
function distinctRatio(text: string): number {
  return new Set(text).size / Math.min(text.length, 64);
}
