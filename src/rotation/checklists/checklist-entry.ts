import { z } from 'zod';
import {
  familyOfAction,
  MAX_CHECKLIST_STEPS,
  MAX_STEP_DETAIL_LENGTH,
  MAX_STEP_TITLE_LENGTH,
  STEP_ACTIONS,
  STEP_GATES,
  STEP_ID,
  type StepAction,
  type StepFamily,
  type StepGate,
} from './checklist-step.js';
import { findPlaceholderProblem, NEUTRAL_PLACEHOLDERS } from './checklist-placeholders.js';

/**
 * One entry of a checklist override (the policy's `checklists:`, or a secret's
 * `checklist_override`): a string naming a built-in step id keeps that step; any other
 * string is a manual, required step with that title; a mapping either adjusts a built-in
 * step (same id: title, detail, required) or adds a step of its own.
 */
export type ChecklistEntry = string | ChecklistEntryObject;

export interface ChecklistEntryObject {
  id: string;
  title?: string;
  detail?: string;
  required?: boolean;
  action?: StepAction;
  gate?: StepGate;
}

export const ENTRY_KEYS = ['id', 'title', 'detail', 'required', 'action', 'gate'] as const;

const entryObject = z
  .object({
    id: z.string(),
    title: z.string().optional(),
    detail: z.string().optional(),
    required: z.boolean().optional(),
    action: z.enum(STEP_ACTIONS).optional(),
    gate: z.enum(STEP_GATES).optional(),
  })
  .strict();

/**
 * The shape of an entry. A union would report "Invalid input" for a mapping with one wrong
 * field, so strings and mappings are told apart first and the mapping's own issues kept.
 */
export const checklistEntrySchema: z.ZodType<ChecklistEntry> = z.unknown().transform((value, ctx): ChecklistEntry => {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const parsed = entryObject.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}; a step has ${ENTRY_KEYS.join(', ')}`
          : issue.message;
      ctx.addIssue({ code: 'custom', message, path: issue.path });
    }
    return z.NEVER;
  }
  ctx.addIssue({
    code: 'custom',
    message: 'a step is a title, a built-in step id, or a mapping with id, title, detail, required, action, gate',
  });
  return z.NEVER;
});

/** A step as an override plans it, before it is resolved for one secret. */
export type PlannedStep =
  | { kind: 'builtin'; id: string; title?: string; detail?: string; required?: boolean }
  | {
      kind: 'custom';
      id: string;
      title: string;
      detail: string | null;
      required: boolean;
      family: StepFamily | null;
      gate: StepGate | null;
    };

export interface ChecklistProblem {
  /** Relative to the list: `[]` for the list itself, `[index]` or `[index, field]` for an entry. */
  path: (string | number)[];
  message: string;
}

/** Provider steps, in the order they must come when present. */
const ORDERED_FAMILIES: readonly StepFamily[] = ['creation', 'promote', 'verify', 'schedule_removal'];
/** The ones a rotation cannot do without, whatever its provider. */
const INDISPENSABLE: Readonly<Partial<Record<StepFamily, string>>> = {
  creation:
    'has no step that creates the new version: add `create_version` (for AWS and Vault it creates or detects the version that is promoted)',
  promote: 'has no promote step: add `promote` (it carries the approval gate and, for AWS and Vault, switches the current version)',
  verify: 'has no verify step: add `verify` (for AWS and Vault, Rotor confirms the new version at the store before the rotation completes)',
};

/**
 * Checks an override against the built-in steps it may name (id → family) and plans its
 * steps. Provider actions are kept as families: they become actions, or nothing for a
 * manual secret, only when the checklist is resolved for one secret.
 */
export function planChecklist(
  entries: readonly ChecklistEntry[],
  builtins: ReadonlyMap<string, StepFamily | null>,
  /** The placeholders of the stores, which a policy's detail may not use (they exist for some secrets only). */
  storePlaceholders: readonly string[] = [],
): { steps: PlannedStep[]; problems: ChecklistProblem[] } {
  const problems: ChecklistProblem[] = [];
  if (entries.length === 0)
    return { steps: [], problems: [{ path: [], message: "lists no steps; remove the key to use the type's default checklist" }] };
  if (entries.length > MAX_CHECKLIST_STEPS)
    problems.push({ path: [], message: `has ${entries.length} steps; a checklist has at most ${MAX_CHECKLIST_STEPS}` });

  const planned: (PlannedStep | null)[] = entries.map((entry, index) => planEntry(entry, index, builtins, problems, storePlaceholders));
  const seenIds = new Set<string>();
  const seenTitles = new Set<string>();
  const families = new Set<StepFamily>();
  entries.forEach((entry, index) => {
    const step = planned[index];
    if (!step) return;
    if (typeof entry === 'string' && step.kind === 'custom') {
      if (seenTitles.has(step.title)) {
        problems.push({ path: [index], message: `repeats the step "${step.title}"` });
        return;
      }
      seenTitles.add(step.title);
    } else {
      if (seenIds.has(step.id)) {
        problems.push({ path: [index], message: `repeats the step \`${step.id}\`` });
        return;
      }
      seenIds.add(step.id);
    }
    const family = step.kind === 'builtin' ? (builtins.get(step.id) ?? null) : step.family;
    if (family === null) return;
    if (families.has(family)) {
      problems.push({ path: [index], message: `is a second ${familyLabel(family)} step; a checklist has one` });
      return;
    }
    families.add(family);
    const later = ORDERED_FAMILIES.slice(ORDERED_FAMILIES.indexOf(family) + 1).find((other) => families.has(other));
    if (ORDERED_FAMILIES.includes(family) && later !== undefined) {
      problems.push({ path: [index], message: `the ${familyLabel(family)} step must come before the ${familyLabel(later)} step` });
    }
  });
  for (const [family, message] of Object.entries(INDISPENSABLE) as [StepFamily, string][]) {
    if (families.has(family)) continue;
    const gated = family === 'promote' && planned.some((step) => step?.kind === 'custom' && step.gate !== null);
    problems.push({ path: [], message: gated ? `${message}; an approval gate holds nothing back without it` : message });
  }
  return { steps: assignIds(entries, planned, builtins), problems };
}

function planEntry(
  entry: ChecklistEntry,
  index: number,
  builtins: ReadonlyMap<string, StepFamily | null>,
  problems: ChecklistProblem[],
  storePlaceholders: readonly string[],
): PlannedStep | null {
  if (typeof entry === 'string') {
    const text = entry.trim();
    if (builtins.has(text)) return { kind: 'builtin', id: text };
    const problem = titleProblem(text);
    if (problem) problems.push({ path: [index], message: problem });
    return { kind: 'custom', id: '', title: text, detail: null, required: true, family: null, gate: null };
  }
  const before = problems.length;
  const report = (field: string, message: string) => problems.push({ path: [index, field], message });
  if (!STEP_ID.test(entry.id)) report('id', 'must be lower-case letters, digits and `_`, starting with a letter, at most 40 characters');
  if (entry.title !== undefined) {
    const problem = titleProblem(entry.title.trim());
    if (problem) report('title', problem);
  }
  if (entry.detail !== undefined) {
    const problem = detailProblem(entry.detail, storePlaceholders);
    if (problem) report('detail', problem);
  }
  const builtin = builtins.has(entry.id);
  const family = builtin ? (builtins.get(entry.id) ?? null) : entry.action !== undefined ? familyOfAction(entry.action) : null;
  if (builtin) {
    const fixed = `keeps its own %s: the built-in step \`${entry.id}\` follows the provider and the value source; give your step another id to add one of your own`;
    if (entry.action !== undefined) report('action', fixed.replace('%s', 'action'));
    if (entry.gate !== undefined) report('gate', fixed.replace('%s', 'gate'));
  } else {
    if (entry.title === undefined) problems.push({ path: [index], message: `\`${entry.id}\` is not a built-in step, so it needs a title` });
    if (entry.action === 'disable_compromised') report('action', 'only the emergency checklist disables a compromised version');
    if (entry.action === 'lock_at_target')
      report('action', 'only the emergency checklist locks a compromised credential out at its target');
  }
  if (entry.required === false && family !== null && family !== 'schedule_removal') {
    report('required', `a ${familyLabel(family)} step cannot be optional: the rotation cannot complete without it`);
  }
  if (problems.length > before) return null;
  const title = entry.title?.trim();
  if (builtin) {
    return {
      kind: 'builtin',
      id: entry.id,
      ...(title !== undefined ? { title } : {}),
      ...(entry.detail !== undefined ? { detail: entry.detail.trim() } : {}),
      ...(entry.required !== undefined ? { required: entry.required } : {}),
    };
  }
  return {
    kind: 'custom',
    id: entry.id,
    title: title as string,
    detail: entry.detail?.trim() ?? null,
    required: entry.required ?? true,
    family,
    gate: entry.gate ?? null,
  };
}

function titleProblem(title: string): string | null {
  if (title === '') return 'a step title cannot be empty';
  if (/[\r\n]/.test(title)) return 'a step title is one line';
  if (title.length > MAX_STEP_TITLE_LENGTH)
    return `is ${title.length} characters; a step title has at most ${MAX_STEP_TITLE_LENGTH} (it must fit a Slack button)`;
  if (/\{[a-z_]+\}/.test(title)) return 'a step title takes no placeholders; put them in the detail';
  return null;
}

function detailProblem(detail: string, storePlaceholders: readonly string[]): string | null {
  const text = detail.trim();
  if (text === '') return 'a detail cannot be empty; leave the key out instead';
  if (text.length > MAX_STEP_DETAIL_LENGTH) return `is ${text.length} characters; a detail has at most ${MAX_STEP_DETAIL_LENGTH}`;
  return findPlaceholderProblem(text, NEUTRAL_PLACEHOLDERS, storePlaceholders);
}

function familyLabel(family: StepFamily): string {
  return family === 'creation' ? 'create-the-new-version' : family === 'schedule_removal' ? 'schedule-removal' : family;
}

/** Plain-string steps get ids from their titles, clear of every other id and every built-in id. */
function assignIds(
  entries: readonly ChecklistEntry[],
  planned: readonly (PlannedStep | null)[],
  builtins: ReadonlyMap<string, unknown>,
): PlannedStep[] {
  const taken = new Set<string>(builtins.keys());
  planned.forEach((step, index) => {
    if (step && !(typeof entries[index] === 'string' && step.kind === 'custom')) taken.add(step.id);
  });
  return planned
    .map((step, index) => {
      if (!step || !(typeof entries[index] === 'string' && step.kind === 'custom')) return step;
      const id = freeId(slugOf(step.title) ?? `step_${index + 1}`, taken);
      taken.add(id);
      return { ...step, id };
    })
    .filter((step): step is PlannedStep => step !== null);
}

function slugOf(title: string): string | null {
  const slug = title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (slug === '') return null;
  return (/^[a-z]/.test(slug) ? slug : `step_${slug}`).slice(0, 40).replace(/_+$/, '');
}

function freeId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const suffix = `_${n}`;
    const candidate = `${base.slice(0, 40 - suffix.length).replace(/_+$/, '')}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}
