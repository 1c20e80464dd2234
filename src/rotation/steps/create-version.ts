import { RotorError } from '../../core/errors.js';
import type { NextStep } from '../../core/next-step.js';
import { storeBindingOf } from '../rotation.js';
import type { FoundWrite } from '../../providers/secret-provider.js';
import { ownUnrecordedWrite, requestTokenOf, versionIn, writeIntentOf, type StepExecutor, type StepFinding } from './step-executor.js';

/** A create that did not happen is done by running the step again (its button then reads “Try again: …”). */
const AGAIN: NextStep = { kind: 'action', action: 'create_version', args: [], lead: '' };

/**
 * Rotor writes a generated value as the new version: pending where the store stages versions (named
 * by the run's request token), current at once where it promotes on create. A write of this
 * rotation that landed unrecorded (its intent kept on the step) is adopted, not written again.
 */
export const createVersion: StepExecutor = {
  async run({ actor, record, step, requestToken, now }, deps) {
    const { rotation } = record;
    const bound = storeBindingOf(rotation);
    if (rotation.newVersionId) return { result: { versionId: rotation.newVersionId, note: 'already created' }, change: {} };
    const own = deps.store.capabilities.promotesOnCreate ? await ownUnrecordedWrite(deps.operations, record) : null;
    if (own)
      return {
        result: { versionId: own.versionId, fingerprint: own.fingerprint, promotedOnCreate: true, adopted: true },
        change: { newVersionId: own.versionId, newFingerprint: own.fingerprint, promotedAt: now },
      };
    const decision = await deps.operations.valuePlacement(bound);
    if (!decision.placement) throw new RotorError('conflict', decision.message);
    // Alternating PostgreSQL roles: the new version names the role that is inactive now.
    const atTarget = record.steps.some((candidate) => candidate.action === 'set_at_target');
    const alongside =
      atTarget && decision.placement.kind === 'field' ? await deps.targets.alongside(bound, decision.placement.field) : undefined;
    const placement = alongside && decision.placement.kind === 'field' ? { ...decision.placement, alongside } : decision.placement;
    const run = { actor, record, step, requestToken, now };
    const created = await deps.operations.createVersion(bound, actor, {
      expectedCurrentVersionId: rotation.placeholderVersionId ?? rotation.previousVersionId,
      requestToken,
      placement,
      beforeWrite: (intent) => deps.recordWriteIntent(run, intent),
      // A store that numbers versions itself (Google) finds the version an earlier run added by it.
      earlierIntent: writeIntentOf(step),
    });
    return {
      result: {
        versionId: created.versionId,
        fingerprint: created.fingerprint,
        promotedOnCreate: created.promotedOnCreate,
        placement,
      },
      change: {
        newVersionId: created.versionId,
        newFingerprint: created.fingerprint,
        ...(created.promotedOnCreate ? { promotedAt: now } : {}),
      },
    };
  },

  async inspect({ record, step, now }, { operations, store }) {
    const { rotation } = record;
    const bound = storeBindingOf(rotation);
    if (rotation.newVersionId) return { kind: 'done', result: { versionId: rotation.newVersionId, note: 'already created' }, change: {} };
    const description = await operations.validate(bound);
    if (store.capabilities.promotesOnCreate) {
      const current = description.current?.versionId ?? null;
      if (!current || current === rotation.previousVersionId)
        return {
          kind: 'not_done',
          why: `Rotor stopped before ${store.shortLabel} wrote a new version (version ${current ?? 'none'} is still current):`,
          next: AGAIN,
        };
      return {
        kind: 'ask',
        why: `Rotor stopped while writing, and ${store.shortLabel}'s current version is now ${current} (it was ${rotation.previousVersionId ?? 'none'}): most likely Rotor's own write.`,
        next: {
          kind: 'action',
          action: 'create_version',
          args: [],
          lead: '',
          purpose: `to take version ${current} as the new one`,
          or: { kind: 'action', action: 'abandon', args: [], lead: '', purpose: 'to stop' },
        },
      };
    }
    const token = requestTokenOf(step);
    const found = token ? await operations.findWrite(bound, { requestToken: token, intent: writeIntentOf(step) }) : null;
    if (found) return findingOf(found, store.shortLabel);
    const made = token ? versionIn(description, token) : null;
    if (!token || !made)
      return {
        kind: 'not_done',
        why: `Rotor stopped before ${store.shortLabel} made the new version (no version ${token ?? '(no token)'} in the store):`,
        next: AGAIN,
      };
    const fingerprint = description.rotationConfigured ? null : (await operations.readVersion(bound, token)).fingerprint;
    return {
      kind: 'done',
      result: { versionId: token, fingerprint, promotedOnCreate: false, labels: made.labels },
      change: { newVersionId: token, newFingerprint: fingerprint, ...(made.current ? { promotedAt: now } : {}) },
    };
  },
};

/** What a store that numbers versions itself (Google) shows of an interrupted create: Rotor's version, nothing, or only someone else's. */
function findingOf(found: FoundWrite, store: string): StepFinding {
  if (found.kind === 'found')
    return {
      kind: 'done',
      result: { versionId: found.versionId, fingerprint: found.fingerprint, promotedOnCreate: false, recognised: true },
      change: { newVersionId: found.versionId, newFingerprint: found.fingerprint },
    };
  if (found.kind === 'none')
    return {
      kind: 'not_done',
      why: `Rotor stopped before ${store} added the new version (no version was added since):`,
      next: AGAIN,
    };
  const named = found.versionIds.length === 1 ? `version ${found.versionIds[0]}` : `versions ${found.versionIds.join(', ')}`;
  return {
    kind: 'ask',
    why: `Rotor stopped while adding the new version, and ${store} now holds ${named}, added since, none of which holds the value Rotor generated: someone else added ${found.versionIds.length === 1 ? 'it' : 'them'}, so Rotor takes none as its own and adds no other. Find out who.`,
    next: { kind: 'action', action: 'abandon', args: [], lead: 'then', purpose: 'and start a new rotation' },
  };
}
