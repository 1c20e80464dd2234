import type { SecretType } from '../inventory/secret.js';
import { methodOfCreation } from './checklists/creation-route.js';
import { familyOfAction } from './checklists/checklist-step.js';
import type { RotationRecord, RotationStep } from './rotation.js';
import { rotationSteps } from './checklists/rotation-templates.js';
import { TYPE_PROFILES } from './checklists/secret-type-profiles.js';
import type { CreationMethod, TargetUndo } from './checklists/step-definition.js';

/**
 * What rolling a completed rotation back takes, by route. Moving the store back is only half
 * of it where a step set the new credential at its target (ALTER USER): the previous one no
 * longer works there, so a person sets it again first. A manual secret has no store Rotor can
 * move: the rollback is the person's, and they confirm each part of it. Every item below is
 * confirmed before Rotor changes anything, and recorded with the rollback.
 */

/** One thing a person confirms before a rollback: a checkbox's text (≤ 75 characters) and how to do it. */
export interface RollbackItem {
  id: string;
  label: string;
  detail: string;
}

/** How the rotation got its new version, read back from its snapshot (the creation step's action; none: by hand). */
export function creationMethodOfRecord(record: RotationRecord): CreationMethod {
  const creation = record.steps.find((step) => step.action !== null && familyOfAction(step.action) === 'creation');
  return creation ? methodOfCreation(creation.action) : 'manual';
}

/** The done steps after which the previous credential no longer works where they set the new one, in the order they were done. */
export function replacedAtTarget(record: RotationRecord, type: SecretType): { step: RotationStep; undo: TargetUndo }[] {
  const method = creationMethodOfRecord(record);
  const definitions = new Map(rotationSteps(type).map((definition) => [definition.id, definition]));
  return record.steps.flatMap((step) => {
    const undo = definitions.get(step.id)?.undo;
    if (step.state !== 'done' || !undo || (undo.routes && !undo.routes.includes(method))) return [];
    return [{ step, undo }];
  });
}

/**
 * Whether the version before the rotation still works during the retention window: not after an
 * emergency (it was the compromised one, disabled), nor once a step replaced it at its target.
 */
export function previousStaysValid(record: RotationRecord, type: SecretType): boolean {
  return record.rotation.kind === 'scheduled' && replacedAtTarget(record, type).length === 0;
}

/** What the person confirms before Rotor rolls the rotation back: the target first (last change undone first), then, for a manual secret, the whole of it. */
export function rollbackPlan(record: RotationRecord, type: SecretType): RollbackItem[] {
  const items: RollbackItem[] = replacedAtTarget(record, type)
    .reverse()
    .map(({ step, undo }) => ({ id: `undo_${step.id}`, label: undo.label, detail: undo.detail }));
  if (creationMethodOfRecord(record) !== 'manual') return items;
  return [
    ...items,
    {
      id: 'previous_at_issuer',
      label: 'The previous value is valid at its issuer again',
      detail: 'Re-enable it at the issuer if it was disabled. If the issuer deleted it, do not roll back: rotate again instead.',
    },
    {
      id: 'production_uses_previous',
      label: 'Production reads the previous value again, and was redeployed',
      detail: "Put it back where consumers read it (the secret's retrieval instructions say where) and redeploy or restart them.",
    },
    { id: 'previous_checked', label: 'Checked that the previous value works', detail: `Check: ${TYPE_PROFILES[type].checks}.` },
  ];
}

/** The items of `plan` not among `confirmed`. */
export function unconfirmed(plan: readonly RollbackItem[], confirmed: readonly string[]): RollbackItem[] {
  return plan.filter((item) => !confirmed.includes(item.id));
}

/** What a rollback did, as its announcement tells it: the version the store holds now, read back, and what the person confirmed. */
export interface RollbackOutcome {
  /** Null for a manual secret: no store moved. */
  restored: {
    versionId: string;
    fingerprint: string;
    /** Vault writes the previous data as a new version: the version it is a copy of. */
    copyOf: string | null;
  } | null;
  confirmed: { id: string; label: string }[];
}

/** A rollback outcome read back from a follow-up's payload; null when it holds none (a follow-up scheduled before outcomes were recorded). */
export function rollbackOutcomeOf(value: unknown): RollbackOutcome | null {
  if (!value || typeof value !== 'object') return null;
  const { restored, confirmed } = value as Record<string, unknown>;
  if (!Array.isArray(confirmed) || !confirmed.every((item) => typeof item?.id === 'string' && typeof item?.label === 'string')) return null;
  if (restored === null) return { restored: null, confirmed };
  if (!restored || typeof restored !== 'object') return null;
  const { versionId, fingerprint, copyOf } = restored as Record<string, unknown>;
  if (typeof versionId !== 'string' || typeof fingerprint !== 'string' || (copyOf !== null && typeof copyOf !== 'string')) return null;
  return { restored: { versionId, fingerprint, copyOf }, confirmed };
}
