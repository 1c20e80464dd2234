import { DateTime } from 'luxon';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import type { Policy } from '../config/policy.js';
import { unknownStore, type StoreCatalog } from '../providers/store-kind.js';
import { findCredentialShape } from './credential-shapes.js';
import { findHiddenCharacters } from './free-text-guard.js';
import { findNameProblem } from './secret-name.js';
import { parseTargetSetting, type TargetSetting } from '../targets/target-parsing.js';
import { parseSecretType } from './secret-type.js';
import {
  SECRET_TYPES,
  SLACK_USER_GROUP_ID,
  SLACK_USER_ID,
  VALUE_FIELD,
  VALUE_SOURCES,
  type Lifecycle,
  type ProviderKind,
  type SecretType,
  type ValueSource,
} from './secret.js';

/**
 * One inventory row as any source gives it (a YAML mapping, a CSV record, a Markdown table
 * row, a Slack modal): every value loosely typed, `undefined` or `null` meaning "not given".
 */
export type LooseRecord = Record<string, unknown>;

/** The fields a row sets. Absent keys leave the stored value as it is. */
export interface SecretFields {
  name: string;
  type?: SecretType;
  /** For the clearable fields, null means "clear it" (only an edit form says that). */
  description?: string | null;
  owner?: string;
  backupOwner?: string | null;
  team?: string | null;
  consumers?: string[];
  /** Member and user group ids; an empty list clears it. */
  access?: string[];
  breakGlass?: boolean;
  provider?: ProviderKind;
  providerRef?: string | null;
  /** null: back to the policy's default for the type (an edit form's emptied interval). */
  intervalDays?: number | null;
  lastRotated?: string;
  /** Honoured only for a never-rotated secret (its first due date); otherwise derived. */
  nextRotation?: string;
  lifecycle?: Lifecycle;
  retrievalInstructions?: string | null;
  tags?: Record<string, string>;
  checklistOverride?: string[];
  /** null: back to the tag or the type's default (`default`, or an edit form's choice of it). */
  valueSource?: ValueSource | null;
  /** null: back to the policy's `value_fields`, then `password`. */
  valueField?: string | null;
  /** null: no target (`off`, or an edit form's emptied field). */
  target?: TargetSetting | null;
}

/** What sets `value_source` or `value_field` back to the default. */
const DEFAULT_WORD = 'default';

/** Cells that mean "we do not know yet": never stored, never overwrite what Rotor knows. */
const UNKNOWN = /^(?:\[?tbd\]?|@\[?tbd\]?|n\/a|unknown|none|-|—|\?)$/i;

export const FIELD_ALIASES: Record<string, keyof SecretFields> = {
  name: 'name',
  secret: 'name',
  secret_name: 'name',
  key: 'name',
  type: 'type',
  description: 'description',
  owner: 'owner',
  slack: 'owner',
  backup_owner: 'backupOwner',
  backup: 'backupOwner',
  team: 'team',
  consumers: 'consumers',
  access: 'access',
  readers: 'access',
  read_access: 'access',
  break_glass: 'breakGlass',
  breakglass: 'breakGlass',
  provider: 'provider',
  provider_ref: 'providerRef',
  reference: 'providerRef',
  interval_days: 'intervalDays',
  interval: 'intervalDays',
  rotation_cadence: 'intervalDays',
  cadence: 'intervalDays',
  last_rotated: 'lastRotated',
  last_rotation: 'lastRotated',
  next_rotation: 'nextRotation',
  status: 'lifecycle',
  lifecycle: 'lifecycle',
  retrieval_instructions: 'retrievalInstructions',
  retrieval: 'retrievalInstructions',
  tags: 'tags',
  checklist: 'checklistOverride',
  checklist_override: 'checklistOverride',
  value_source: 'valueSource',
  value_field: 'valueField',
  credential_field: 'valueField',
  target: 'target',
};

/**
 * Imports normalise the same few keys on every row (six keys a row, 100,000 rows), so answers
 * are remembered; the memo is dropped whenever it grows large.
 */
const normalizedKeys = new Map<string, string>();

/** `Backup Owner`, `backup-owner`, `backupOwner` all become `backup_owner`. */
export function normalizeKey(key: string): string {
  let normalized = normalizedKeys.get(key);
  if (normalized === undefined) {
    normalized = key
      .trim()
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '');
    if (normalizedKeys.size >= 10_000) normalizedKeys.clear();
    normalizedKeys.set(key, normalized);
  }
  return normalized;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const trimmed = (value instanceof Date ? value.toISOString() : String(value)).trim().replace(/^`(.*)`$/, '$1');
  if (trimmed === '' || UNKNOWN.test(trimmed)) return undefined;
  return trimmed;
}

const SLACK_USER = /^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$/;

function slackUser(value: string): string | null {
  return SLACK_USER.exec(value)?.[1] ?? null;
}

const CADENCE_WORDS: Record<string, number> = { daily: 1, weekly: 7, monthly: 30, quarterly: 90, yearly: 365, annually: 365, annual: 365 };

const CADENCE_UNIT_WORDS: Record<string, number> = { day: 1, days: 1, week: 7, weeks: 7, month: 30, months: 30, year: 365, years: 365 };

/** Characters `.` in a regex does not match: a note may not run across lines. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

const isDigit = (char: string | undefined) => char !== undefined && char >= '0' && char <= '9';
const isLetter = (char: string | undefined) => char !== undefined && char >= 'a' && char <= 'z';
const isWordChar = (char: string | undefined) => isDigit(char) || isLetter(char) || char === '_';
const isSpace = (char: string | undefined) => char !== undefined && /\s/.test(char);

/**
 * Rotation cadences as teams write them: `90`, `30 days`, `90 days with dual-publish`,
 * `6 months`, `quarterly`. Returns the days and anything said after the cadence.
 *
 * Read by hand, left to right, in one pass: the regular expression this replaces backtracked
 * cubically over runs of spaces (a 1,000-character cell took seconds, issue 14).
 */
export function parseCadence(value: unknown): { days: number; note: string | null } | null {
  if (typeof value === 'number') return Number.isInteger(value) ? { days: value, note: null } : null;
  const source = String(value).trim().toLowerCase();
  const leading = wordAt(source, 0);
  const everyWord = CADENCE_WORDS[leading];
  if (everyWord !== undefined && !isWordChar(source[leading.length])) {
    const said = source.slice(leading.length).trimStart();
    return LINE_TERMINATOR.test(said) ? null : { days: everyWord, note: said || null };
  }
  // A whole number, then a unit and words, or just words: `1.5`, `2,5` or `1e2` are refused, not truncated.
  let end = source.startsWith('-') ? 1 : 0;
  const digitsFrom = end;
  while (isDigit(source[end])) end += 1;
  if (end === digitsFrom) return null;
  const count = Number(source.slice(0, end));
  if (end === source.length) return { days: count, note: null };
  let unitAt = end;
  while (isSpace(source[unitAt])) unitAt += 1;
  const unit = wordAt(source, unitAt);
  const perUnit = CADENCE_UNIT_WORDS[unit];
  if (perUnit !== undefined && !isWordChar(source[unitAt + unit.length])) {
    let rest = source.slice(unitAt + unit.length).trimStart();
    if (rest.startsWith(',') || rest.startsWith(';') || rest.startsWith('(')) rest = rest.slice(1);
    return withNote(count * perUnit, rest);
  }
  // Words straight after the number, with no space between, are not a cadence (`90x`).
  return unitAt === end ? null : withNote(count, source.slice(unitAt));
}

/** The run of letters starting at `index`. */
function wordAt(text: string, index: number): string {
  let end = index;
  while (isLetter(text[end])) end += 1;
  return text.slice(index, end);
}

function withNote(days: number, rest: string): { days: number; note: string | null } | null {
  const said = rest.trim();
  if (LINE_TERMINATOR.test(said)) return null;
  const note = (said.startsWith('with') && isSpace(said[4]) ? said.slice(4) : said).trim().replace(/\)$/, '').trim();
  return { days, note: note || null };
}

function list(value: unknown): string[] {
  const parsed = Array.isArray(value) ? value : jsonText(value, '[');
  const items: unknown[] = Array.isArray(parsed) ? parsed : String(value).split(/[,;]/);
  return items.map((item) => text(item)).filter((item): item is string => item !== undefined);
}

/** CSV cells may hold JSON (an export writes lists and maps that way so commas survive). */
function jsonText(value: unknown, opener: '[' | '{'): unknown[] | Record<string, unknown> | undefined {
  if (typeof value !== 'string' || !value.trim().startsWith(opener)) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' ? (parsed as unknown[] | Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function tagMap(raw: unknown): Record<string, string> | null {
  const value = jsonText(raw, '{') ?? raw;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, String(inner ?? '')]));
  }
  const entries = list(value).map((pair) => pair.split('='));
  if (entries.some((pair) => pair.length !== 2 || pair[0]!.trim() === '')) return null;
  return Object.fromEntries(entries.map(([key, inner]) => [key!.trim(), inner!.trim()]));
}

const LIFECYCLE_WORDS: Record<string, Lifecycle> = {
  active: 'active',
  overdue: 'active',
  due: 'active',
  due_soon: 'active',
  retired: 'retired',
  compromised: 'compromised',
};

/**
 * What is wrong with a provider reference, or null. The store's own parser decides, so a
 * reference the inventory accepts is one the store can use; whether it exists is the store's
 * question, asked by `rotor sync` and the rotation flow.
 */
export function findReferenceProblem(stores: StoreCatalog, provider: ProviderKind, reference: string | undefined): string | null {
  if (!stores.has(provider)) return unknownStore(provider, stores.kinds);
  const store = stores.of(provider);
  if (store.capabilities.byHand) return null;
  if (!reference) return `a ${provider} secret needs provider_ref (${store.references.what})`;
  try {
    store.references.validate('this secret', reference);
    return null;
  } catch (error) {
    if (error instanceof ValidationError) return error.issues[0]?.message ?? error.message;
    throw error;
  }
}

/** Who may read a secret, as people write them: ids, mentions (`<@U…>`, `<!subteam^S…|@group>`), separated by commas, semicolons or spaces. */
const ACCESS_ENTRY = /^(?:<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>|<!subteam\^(S[A-Z0-9]{2,})(?:\|[^>]*)?>|@?([UWS][A-Z0-9]{2,}))$/;

/** The most people and groups one secret's access list holds. */
export const MAX_ACCESS_ENTRIES = 200;

/**
 * An access list: Slack member ids (`U…`, `W…`) and user group ids (`S…`), deduplicated in the
 * order given; anything else (a name, a handle, a channel) is refused naming it, since Rotor
 * could never match it to a person who leaves. AWS tags allow no commas, so spaces separate too.
 */
export function parseAccessList(value: unknown): { ids: string[] } | { problem: string } {
  const items = Array.isArray(value)
    ? value.map((item) => String(item ?? ''))
    : ((jsonText(value, '[') as unknown[] | undefined)?.map((item) => String(item ?? '')) ?? String(value).split(/[,;\s]+/));
  const ids: string[] = [];
  const wrong: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === '' || UNKNOWN.test(item)) continue;
    const match = ACCESS_ENTRY.exec(item);
    const id = match ? (match[1] ?? match[2] ?? match[3]) : undefined;
    if (id && (SLACK_USER_ID.test(id) || SLACK_USER_GROUP_ID.test(id))) {
      if (!ids.includes(id)) ids.push(id);
    } else wrong.push(item);
  }
  if (wrong.length > 0) {
    const shown = wrong
      .slice(0, 3)
      .map((item) => `\`${item.slice(0, 40)}\``)
      .join(', ');
    return {
      problem: `${shown}${wrong.length > 3 ? ` and ${wrong.length - 3} more are` : wrong.length > 1 ? ' are' : ' is'} not a Slack member id (U0123ABCD) or user group id (S0123ABCD); list who may read the value by their ids`,
    };
  }
  if (ids.length > MAX_ACCESS_ENTRIES) return { problem: `names ${ids.length} people and groups; at most ${MAX_ACCESS_ENTRIES}` };
  return { ids };
}

const FLAG_WORDS: Record<string, boolean> = {
  true: true,
  yes: true,
  y: true,
  '1': true,
  on: true,
  false: false,
  no: false,
  n: false,
  '0': false,
  off: false,
};

/** A yes/no cell: true, yes, 1, on… or false, no, 0, off…; null for anything else. */
function parseFlag(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  return FLAG_WORDS[String(value).trim().toLowerCase()] ?? null;
}

export interface ParseOptions {
  /**
   * An empty clearable field (description, team, backup owner, consumers, reference, retrieval
   * instructions) clears it, and an empty interval falls back to the policy default.
   */
  emptyClears?: boolean;
}

function isUnknownMarker(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '' && UNKNOWN.test(value.trim());
}

export interface ParsedFields {
  fields: SecretFields | null;
  issues: ValidationIssue[];
}

/**
 * Longer than any real cell (descriptions and instructions stop at 2,000 characters), and
 * checked before any pattern reads the cell, so no parser ever sees more than this.
 */
export const MAX_CELL_LENGTH = 4096;
/** Consumers, checklist steps, tags: more than any real secret has. */
export const MAX_LIST_ITEMS = 500;

/** How a field is named in messages, as files and forms spell it. */
function fieldLabel(field: string): string {
  if (field === 'lifecycle') return 'status';
  if (field === 'checklistOverride') return 'checklist';
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Every string a loose value holds: itself, a list's items, a mapping's keys and values. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap((item) => (typeof item === 'string' ? [item] : []));
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.entries(value).flatMap(([key, inner]) => [key, ...(typeof inner === 'string' ? [inner] : [])]);
  return [];
}

function sizeProblem(value: unknown): string | null {
  const items = Array.isArray(value)
    ? value.length
    : value && typeof value === 'object' && !(value instanceof Date)
      ? Object.keys(value).length
      : 0;
  if (items > MAX_LIST_ITEMS) return `has ${items} entries; at most ${MAX_LIST_ITEMS}`;
  const longest = Math.max(0, ...stringsIn(value).map((text) => text.length));
  return longest > MAX_CELL_LENGTH ? `is ${longest} characters; at most ${MAX_CELL_LENGTH}` : null;
}

/**
 * The fields a row may not be parsed from: too long to read safely, or carrying a credential.
 * The message names the field and the kind of credential, never the text.
 */
function refusedFields(record: LooseRecord): Map<string, string> {
  const refused = new Map<string, string>();
  for (const [field, value] of Object.entries(record)) {
    const tooBig = sizeProblem(value);
    if (tooBig) {
      refused.set(field, tooBig);
      continue;
    }
    const shape = stringsIn(value)
      .map(findCredentialShape)
      .find((kind) => kind !== null);
    if (shape) {
      refused.set(
        field,
        `looks like it holds ${shape}; Rotor never keeps a secret's value, so say where to find it instead (a Vault path, an ARN, a password-manager item)`,
      );
      continue;
    }
    const hidden = stringsIn(value)
      .map(findHiddenCharacters)
      .find((found) => found !== null);
    if (hidden) refused.set(field, hidden.hint);
  }
  return refused;
}

/**
 * Rows of an import share a few hundred rotation dates, and luxon's parse costs more than the
 * rest of a row's checks, so each text's instant is remembered (the memo is dropped whenever it
 * grows large). Null: not a date.
 */
const parsedInstants = new Map<string, { millis: number; iso: string } | null>();

function parseUtcInstant(value: string): { millis: number; iso: string } | null {
  let parsed = parsedInstants.get(value);
  if (parsed === undefined) {
    const instant = DateTime.fromISO(value, { zone: 'utc' });
    parsed = instant.isValid ? { millis: instant.toMillis(), iso: instant.toUTC().toISO() as string } : null;
    if (parsedInstants.size >= 10_000) parsedInstants.clear();
    parsedInstants.set(value, parsed);
  }
  return parsed;
}

/**
 * Validates one row and turns it into the fields it sets. Every problem in the row is
 * reported, each naming its field, so a person can fix a whole file in one pass.
 */
export function parseSecretFields(
  input: LooseRecord,
  policy: Policy,
  stores: StoreCatalog,
  now: DateTime,
  where = '',
  options: ParseOptions = {},
): ParsedFields {
  const issues: ValidationIssue[] = [];
  const record: LooseRecord = { ...input };
  // Imports never erase what Rotor knows; an edit form that empties a field means to clear it.
  const cleared = (field: keyof LooseRecord) =>
    options.emptyClears === true && field in record && text(record[field]) === undefined && !isUnknownMarker(record[field]);
  const problem = (field: string, message: string) => issues.push({ where: where ? `${where}, ${field}` : field, message });
  const fields: Partial<SecretFields> = {};

  const refused = refusedFields(record);
  for (const [field, message] of refused) {
    problem(fieldLabel(field), message);
    delete record[field];
  }

  const name = text(record.name) ?? '';
  const nameProblem = refused.has('name') ? null : findNameProblem(name, policy.environments);
  if (nameProblem) problem('name', nameProblem);
  fields.name = name;

  const type = text(record.type);
  if (type !== undefined) {
    const parsed = parseSecretType(type);
    if (parsed) fields.type = parsed;
    else problem('type', `unknown type \`${type}\`; use one of: ${SECRET_TYPES.join(', ')}`);
  }

  for (const [key, field] of [
    ['description', 'description'],
    ['team', 'team'],
    ['retrieval_instructions', 'retrievalInstructions'],
  ] as const) {
    if (cleared(field)) fields[field] = null;
    const value = text(record[field]);
    if (value === undefined) continue;
    const limit = field === 'team' ? 80 : 2000;
    if (value.length > limit) problem(key, `is ${value.length} characters; at most ${limit}`);
    else fields[field] = value;
  }

  if (cleared('backupOwner')) fields.backupOwner = null;
  for (const [key, field] of [
    ['owner', 'owner'],
    ['backup_owner', 'backupOwner'],
  ] as const) {
    const value = text(record[field]);
    if (value === undefined) continue;
    const id = slackUser(value);
    if (id) fields[field] = id;
    else problem(key, `\`${value}\` is not a Slack user id; use the member id from the person's Slack profile, like U0123ABCD`);
  }

  if (cleared('consumers')) fields.consumers = [];
  else if (record.consumers !== undefined && record.consumers !== null) fields.consumers = list(record.consumers);

  if (cleared('access')) fields.access = [];
  else if (record.access !== undefined && record.access !== null && !isUnknownMarker(record.access)) {
    const parsed = parseAccessList(record.access);
    if ('problem' in parsed) problem('access', parsed.problem);
    else fields.access = parsed.ids;
  }

  if (record.breakGlass !== undefined && record.breakGlass !== null && text(record.breakGlass) !== undefined) {
    const flag = parseFlag(record.breakGlass);
    if (flag === null) problem('break_glass', `\`${String(record.breakGlass)}\` is not yes or no; write true or false`);
    else fields.breakGlass = flag;
  } else if (cleared('breakGlass')) fields.breakGlass = false;

  const provider = text(record.provider)?.toLowerCase();
  if (provider !== undefined) {
    if (stores.has(provider)) fields.provider = provider;
    else problem('provider', unknownStore(provider, stores.kinds));
  }
  const providerRef = text(record.providerRef);
  if (providerRef !== undefined) fields.providerRef = providerRef;
  else if (cleared('providerRef')) fields.providerRef = null;
  if (fields.provider) {
    const referenceProblem = findReferenceProblem(stores, fields.provider, providerRef);
    if (referenceProblem) problem('provider_ref', referenceProblem);
  }

  if (cleared('intervalDays')) fields.intervalDays = null;
  else if (record.intervalDays !== undefined && record.intervalDays !== null && text(record.intervalDays) !== undefined) {
    const cadence = parseCadence(record.intervalDays);
    if (!cadence) problem('interval_days', `\`${String(record.intervalDays)}\` is not a whole number of days; write 90 or "90 days"`);
    else if (cadence.days < 1 || cadence.days > 3650) problem('interval_days', `must be between 1 and 3650 days, not ${cadence.days}`);
    else {
      fields.intervalDays = cadence.days;
      if (cadence.note) fields.tags = { ...fields.tags, cadence_note: cadence.note };
    }
  }

  const lastRotated = text(record.lastRotated);
  if (lastRotated !== undefined) {
    const parsed = parseUtcInstant(lastRotated);
    if (!parsed) problem('last_rotated', `\`${lastRotated}\` is not a date; write it as YYYY-MM-DD or an ISO time`);
    else if (parsed.millis > now.toMillis())
      problem('last_rotated', `${lastRotated} is in the future; a rotation cannot have happened yet`);
    else fields.lastRotated = parsed.iso;
  }

  const nextRotation = text(record.nextRotation);
  if (nextRotation !== undefined) {
    const parsed = DateTime.fromISO(nextRotation, { zone: 'utc' });
    if (!parsed.isValid) problem('next_rotation', `\`${nextRotation}\` is not a date; write it as YYYY-MM-DD`);
    else fields.nextRotation = parsed.toISODate() as string;
  }

  const status = text(record.lifecycle);
  if (status !== undefined) {
    const lifecycle = LIFECYCLE_WORDS[normalizeKey(status)];
    if (lifecycle) fields.lifecycle = lifecycle;
    else problem('status', `unknown status \`${status}\`; use active, retired or compromised`);
  }

  if (record.tags !== undefined && record.tags !== null && text(record.tags) !== undefined) {
    const tags = tagMap(record.tags);
    if (tags) fields.tags = { ...tags, ...fields.tags };
    else problem('tags', 'write tags as key=value pairs separated by commas, or as a mapping');
  }

  if (record.checklistOverride !== undefined && record.checklistOverride !== null) {
    const steps = list(record.checklistOverride);
    if (steps.length > 0) fields.checklistOverride = steps;
  }

  const valueSource = text(record.valueSource)?.toLowerCase();
  if (cleared('valueSource') || valueSource === DEFAULT_WORD) fields.valueSource = null;
  else if (valueSource !== undefined) {
    if ((VALUE_SOURCES as readonly string[]).includes(valueSource)) fields.valueSource = valueSource as ValueSource;
    else
      problem(
        'value_source',
        `unknown value source \`${valueSource}\`; use generate (Rotor creates a random value at the store), issuer (a person writes the issuer's value) or default`,
      );
  }

  const valueField = text(record.valueField);
  if (cleared('valueField') || valueField?.toLowerCase() === DEFAULT_WORD) fields.valueField = null;
  else if (valueField !== undefined) {
    if (VALUE_FIELD.test(valueField)) fields.valueField = valueField;
    else
      problem(
        'value_field',
        `\`${valueField}\` is not a field name; use the key of the JSON or Vault field a generated value replaces, such as password (letters, digits, \`_ . @ + -\`, at most 100), or default`,
      );
  }

  const target = record.target;
  if (cleared('target') || (typeof target === 'string' && ['off', DEFAULT_WORD].includes(target.trim().toLowerCase())))
    fields.target = null;
  else if (target !== undefined && target !== null && !(typeof target === 'string' && text(target) === undefined)) {
    try {
      fields.target = parseTargetSetting(target);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const issue of error.issues) problem(issue.where === 'target' ? 'target' : `target.${issue.where}`, issue.message);
    }
  }

  return issues.length > 0 ? { fields: null, issues } : { fields: fields as SecretFields, issues };
}

/** Maps a record's keys (any spelling) onto SecretFields keys; unknown keys are reported. */
export function canonicalRecord(raw: Record<string, unknown>): { record: LooseRecord; unknownKeys: string[] } {
  const record: LooseRecord = {};
  const unknownKeys: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = FIELD_ALIASES[normalizeKey(key)];
    if (field) record[field] = value;
    else unknownKeys.push(key);
  }
  return { record, unknownKeys };
}
