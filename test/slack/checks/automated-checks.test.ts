import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import { operator } from '../../support/actors.js';
import { startHealthServer, type HealthServer } from '../../support/health-server.js';
import {
  ACTION_IDS,
  button,
  currentStepOf,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  press,
  pushedSince,
  ROTATION_POLICY,
  rotationRecord,
  rotorCli,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  textOf,
  waitForPosts,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { startSilentServer, type SilentServer } from '../../support/silent-server.js';
import { snapshotTables } from '../../support/temp-db.js';
import { useFakeVault } from '../../support/vault.js';

/**
 * Issue 21 item 4: the policy's automated checks run by the verify step after promotion, through
 * the real Bolt app with signed requests. A failing HTTP health check blocks completion and offers
 * retry, roll forward and roll back; every result is on the step and in `rotor rotations evidence`.
 */
describe('automated checks at verify, through Slack', () => {
  const vault = useFakeVault();
  let harness: SlackHarness | undefined;
  const servers: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  async function health(): Promise<HealthServer> {
    const server = await startHealthServer();
    servers.push(server);
    return server;
  }

  /** A dev Vault secret (no approvals) whose policy checks `url`; the rotation is driven up to its verify step. */
  async function rotateUpToVerify(url: string, timeoutSeconds = 5) {
    const name = `dev/shop${randomBytes(3).toString('hex')}/redis_password`;
    vault.fake.putSecret('secret', name, { value: randomBytes(12).toString('hex') });
    const policy = `${ROTATION_POLICY}checks:\n  by_secret:\n    ${name}:\n      - { http: "${url}", consumer: checkout, timeout_seconds: ${timeoutSeconds} }\n`;
    harness = await startRotationHarness({
      policy,
      vault: () => new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY }),
      seed: (store) =>
        store.inventoryService.create(
          { name, type: 'redis', owner: 'U0OWNER', provider: 'vault', providerRef: `secret/${name}` },
          operator(),
          'test',
        ),
    });
    const h = harness;
    const { viewId } = await slashRotate(h, 'U0OWNER', name);
    const id = viewId as string;
    await submitTicket(h, 'U0OWNER', id, 'OPS-42');
    const rotationId = metadataOf(modal(h, id)).rotationId as number;
    for (let guard = 0; guard < 10 && currentStepOf(modal(h, id)) !== 'verify'; guard++) {
      h.store.clock.advance({ minutes: 1 });
      const run = button(modal(h, id), ACTION_IDS.rotationRunStep);
      await press(h, 'U0OWNER', id, run ? ACTION_IDS.rotationRunStep : ACTION_IDS.rotationTickStep);
    }
    expect(currentStepOf(modal(h, id)), textOf(modal(h, id))).toBe('verify');
    h.store.clock.advance({ minutes: 1 });
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationRunStep);
    return { h, id, name, rotationId };
  }

  function verifyStep(h: SlackHarness, rotationId: number) {
    return rotationRecord(h, rotationId).steps.find((step) => step.id === 'verify');
  }

  it('a failing health check blocks completion, offers retry / roll forward / roll back, and is in the evidence; the retry passes with its latency', async () => {
    const server = await health();
    server.status = 503;
    const { h, id, name, rotationId } = await rotateUpToVerify(server.url);

    const shown = textOf(modal(h, id));
    expect(shown).toContain('_Automated check:_');
    expect(shown).toContain('answered 503, expected 200');
    expect(shown).toContain('An automated check failed, so the rotation cannot complete.');
    const labels = (actionId: string) => button(modal(h, id), actionId)?.text;
    expect(labels(ACTION_IDS.rotationRunStep)).toMatch(/^Try again/);
    expect(labels(ACTION_IDS.rotationRollForward)).toBe('Roll forward…');
    expect(button(modal(h, id), ACTION_IDS.rotationComplete)).toBeUndefined();
    expect(server.requests).toEqual(['GET /api/health']);

    const failed = verifyStep(h, rotationId);
    expect(failed).toMatchObject({ state: 'pending', result: { checksFailed: true } });
    expect(failed?.result?.automatedChecks).toEqual([
      expect.objectContaining({ outcome: 'failed', where: server.url, detail: 'answered 503, expected 200', attempt: 1, step: 'verify' }),
    ]);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('in_progress');

    const blocked = await rotorCli(h, 'rotations', 'evidence', String(rotationId));
    expect(blocked.code).toBe(0);
    expect(blocked.stdout).toContain('## Automated checks');
    expect(blocked.stdout).toMatch(
      new RegExp(`\\| \`verify\` \\| 1 \\| HTTP GET expects 200 \\(checkout\\) \\| ${escape(server.url)} \\| failed \\|`),
    );
    expect(blocked.stdout).toContain('answered 503, expected 200');

    // Fixed: the retry passes; completion is allowed; the evidence lists both attempts, the passing one with its latency.
    server.status = 200;
    h.store.clock.advance({ minutes: 1 });
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationRunStep);
    expect(textOf(modal(h, id))).toContain(':white_check_mark: _Automated check:_');
    await driveModal(h, 'U0OWNER', id, null);
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    const [announced] = await waitForPosts(h, 'C0ANNOUNCE');
    expect(textOf({ blocks: announced!.args.blocks as unknown[] })).toMatch(
      /Automated checks.*:white_check_mark: HTTP GET expects 200 \(checkout\).*answered 200 · \d+ ms/s,
    );
    const evidence = (await rotorCli(h, 'rotations', 'evidence', String(rotationId))).stdout;
    expect(evidence).toMatch(
      new RegExp(`\\| \`verify\` \\| 2 \\| HTTP GET expects 200 \\(checkout\\) \\| ${escape(server.url)} \\| passed \\| \\d+ ms \\|`),
    );
    expect(evidence).toContain('| 1 | HTTP GET expects 200 (checkout)');

    const value = (vault.fake.version('secret', name, 2)?.data as Record<string, string>).value as string;
    expect(evidence).not.toContain(value);
    expect(JSON.stringify(h.fake.calls)).not.toContain(value);
    expect(JSON.stringify(snapshotTables(h.store))).not.toContain(value);
  });

  it('roll forward: the person gives a reason, the failed check stays on record apart from it, and the rotation completes', async () => {
    const server = await health();
    server.status = 500;
    const { h, id, rotationId } = await rotateUpToVerify(server.url);
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationRollForward);
    const reasonView = pushedSince(h, since);
    expect(textOf(reasonView)).toContain('Why go on although the check failed?');
    await submitReason(h, 'U0OWNER', reasonView, 'checkout reads the new token at its next deploy');
    expect(verifyStep(h, rotationId)).toMatchObject({
      state: 'skipped',
      skipReason: 'checkout reads the new token at its next deploy',
      result: { checksFailed: true },
    });
    await driveModal(h, 'U0OWNER', id, null);
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);
    expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    const evidence = (await rotorCli(h, 'rotations', 'evidence', String(rotationId))).stdout;
    expect(evidence).toContain('answered 500, expected 200');
    expect(evidence).toContain(
      'Rolled forward past the failed checks of `verify` by a person: checkout reads the new token at its next deploy.',
    );
  });

  it('roll back: the rotation is abandoned and Vault is rolled back to the previous value', async () => {
    const server = await health();
    server.status = 502;
    const { h, id, name, rotationId } = await rotateUpToVerify(server.url);
    const before = vault.fake.version('secret', name, 1)?.data;
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', id, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'checkout refuses the new token');
    const record = rotationRecord(h, rotationId);
    expect(record.rotation.state).toBe('abandoned');
    expect(record.rotation.endReason).toBe('checkout refuses the new token');
    let latest = 1;
    while (vault.fake.version('secret', name, latest + 1)) latest += 1;
    expect(latest).toBeGreaterThan(2);
    expect(vault.fake.version('secret', name, latest)?.data).toEqual(before);
  });

  it('a health URL that hangs times out with a clear answer and blocks completion', async () => {
    const silent: SilentServer = await startSilentServer();
    servers.push(silent);
    const { h, id, rotationId } = await rotateUpToVerify(`http://127.0.0.1:${silent.port}/api/health`, 1);
    expect(textOf(modal(h, id))).toContain('no answer within 1 s (timed out)');
    expect(verifyStep(h, rotationId)?.result?.automatedChecks).toEqual([expect.objectContaining({ outcome: 'failed', latencyMs: null })]);
    expect(button(modal(h, id), ACTION_IDS.rotationComplete)).toBeUndefined();
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
