import { describe, expect, it } from 'vitest';
import { CLI_NEXT_STEP_WORDS } from '../../../src/cli/cli-next-step.js';
import { sayHint } from '../../../src/core/next-step.js';
import type { ProviderOperationsService } from '../../../src/providers/provider-operations-service.js';
import { vaultKv2Store } from '../../../src/providers/vault/vault-store.js';
import type { RotationRecord } from '../../../src/rotation/rotation.js';
import { createVersion } from '../../../src/rotation/steps/create-version.js';
import type { StepExecutorDeps, StepRun } from '../../../src/rotation/steps/step-executor.js';

describe('“Check the store” after Rotor stopped writing to Vault, which now shows a newer version', () => {
  it("names the step's button as it then reads, and the CLI says it is pressed in Slack", async () => {
    const record = {
      rotation: {
        secretName: 'staging/cache/redis',
        provider: 'vault',
        providerRef: 'secret/staging/cache/redis',
        previousVersionId: '1',
        newVersionId: null,
      },
      steps: [],
    } as unknown as RotationRecord;
    // Only what the finding reads: the store's current version, as Vault's metadata would give it.
    const operations = { validate: async () => ({ current: { versionId: '2' } }) } as unknown as ProviderOperationsService;
    const finding = await createVersion.inspect({ record } as StepRun, { operations, store: vaultKv2Store } as StepExecutorDeps);
    expect(finding.kind).toBe('ask');
    if (finding.kind !== 'ask') return;
    const hint = { brief: finding.why, ...(finding.next ? { next: finding.next } : {}) };
    expect(sayHint(hint)).toMatch(
      /most likely Rotor's own write\. Press “Try again: Create new version” to take version 2 as the new one, or press “Abandon…” to stop\.$/,
    );
    expect(sayHint(hint, CLI_NEXT_STEP_WORDS)).toMatch(
      /Press “Try again: Create new version” in Slack to take version 2 as the new one, or press “Abandon…” in Slack to stop\.$/,
    );
  });
});
