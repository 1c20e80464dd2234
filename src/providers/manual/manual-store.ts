import type { StoreKind } from '../store-kind.js';
import { ManualProvider } from './manual-provider.js';

/**
 * Secrets rotated by hand at a third party: no store Rotor can call, no reference, every step
 * ticked by a person. The checklists word its steps themselves (the `manual` method).
 */
export const manualStore: StoreKind = {
  kind: 'manual',
  label: 'manual (rotated by hand)',
  shortLabel: 'manual',
  capabilities: {
    byHand: true,
    stagedVersions: false,
    promotesOnCreate: false,
    storeRotation: false,
    destroy: false,
    disableNeedsReplacement: false,
    restoreByRewrite: false,
    values: 'readable',
    discovery: null,
  },
  setup: null,
  references: {
    what: 'none: it is rotated by hand',
    validate: () => undefined,
    placeholders: [],
    placeholderValues: () => ({}),
    explicitField: () => null,
    defaultField: null,
    keyOf: () => null,
    sameSecret: () => false,
    describeKey: (key) => key.name,
    outsideScope: () => null,
  },
  commands: {
    writeNewVersion: () => null,
    removePending: () => null,
    rollBackTo: () => null,
    disableVersion: () => [],
    retrieve: () => null,
  },
  texts: {},
  preflight: () => [],
  isPending: () => false,
  stillServes: () => null,
  compromisedStillLive: () => null,
  connect: () => new ManualProvider(),
};
