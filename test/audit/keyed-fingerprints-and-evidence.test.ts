import Database from 'better-sqlite3';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HmacKeyring, keyIdOf } from '../../src/core/hmac-keyring.js';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { createFingerprinter } from '../../src/providers/fingerprint.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { operator } from '../support/actors.js';
import { runRotor } from '../support/cli.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import {
  ACTION_IDS,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  PEOPLE,
  press,
  ROTATION_POLICY,
  slashRotate,
  submitTicket,
  textOf,
  waitForPosts,
} from '../support/rotation-slack.js';
import { slashRevoke, submitRevoke } from '../support/revocation-slack.js';
import { startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';

/**
 * Both keys set, as a security team runs Rotor: every surface shows each secret's own value
 * fingerprint (HMAC-SHA256 of the value, 12 hex digits), and the evidence verifies the audit
 * chain exactly as `rotor audit verify` does, agreeing with it when intact and when broken.
 */
describe.runIf(shouldRunMotoSuite('the keyed fingerprints and evidence suite'))(
  'with ROTOR_FINGERPRINT_KEY and ROTOR_AUDIT_KEY set',
  () => {
    const moto = useMoto();
    const fingerprintKey = randomBytes(32).toString('hex');
    const auditKey = randomBytes(32).toString('hex');
    const env = { ROTOR_AUDIT_KEY: auditKey, ROTOR_FINGERPRINT_KEY: fingerprintKey };
    const names = ['dev/billing/webhook_secret', 'dev/hooks/signing_secret'];
    const shown: Record<string, { modal: string; announcement: string; rotationId: number; value: string }> = {};
    let harness: SlackHarness;

    const hmac12 = (value: string) => createHmac('sha256', fingerprintKey).update(value).digest('hex').slice(0, 12);
    const cli = (path: string, ...argv: string[]) =>
      runRotor(['--db', path, '--config', join(harness.store.dir, 'policy.yml'), ...argv], env);

    beforeAll(async () => {
      for (const name of names) await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: randomBytes(16).toString('hex') }));
      const fingerprinter = createFingerprinter(HmacKeyring.fromEnv(fingerprintKey));
      harness = await startSlackHarness({
        policy: ROTATION_POLICY,
        env,
        providers: () => {
          const aws = new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint, fingerprinter });
          return { registry: createProviderRegistry({ aws }), close: () => aws.destroy() };
        },
        beforeStart: ({ fake, store }) => {
          for (const person of PEOPLE) fake.addUser(person);
          for (const name of names)
            store.inventoryService.create(
              { name, type: 'webhook', owner: 'U0OWNER', provider: 'aws', providerRef: name },
              operator(),
              'test',
            );
        },
      });
      for (const [index, name] of names.entries()) {
        const { viewId } = await slashRotate(harness, 'U0OWNER', name);
        const id = viewId as string;
        harness.store.clock.advance({ minutes: 1 });
        await submitTicket(harness, 'U0OWNER', id, `SEC-${index + 1}`);
        const rotationId = metadataOf(modal(harness, id)).rotationId as number;
        await driveModal(harness, 'U0OWNER', id, null);
        harness.store.clock.advance({ minutes: 1 });
        await press(harness, 'U0OWNER', id, ACTION_IDS.rotationComplete);
        const posts = await waitForPosts(harness, 'C0ANNOUNCE', /was rotated/, index + 1);
        const announcement = posts.find((post) => String(post.args.text).includes(name));
        const value = (await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' })))
          .SecretString as string;
        shown[name] = {
          modal: textOf(modal(harness, id)),
          announcement: textOf({ blocks: announcement?.args.blocks as unknown[] }),
          rotationId,
          value,
        };
      }
    }, 120_000);
    afterAll(async () => harness?.close());

    it('shows each secret the HMAC-SHA256 of its own value, 12 hex digits, in the modal, the announcement and `rotor rotations show`', async () => {
      const [first, second] = names.map((name) => shown[name]!);
      expect(hmac12(first!.value)).not.toBe(hmac12(second!.value));
      for (const name of names) {
        const { modal: modalText, announcement, rotationId, value } = shown[name]!;
        const expected = `HMAC-SHA256 ${hmac12(value)}`;
        expect(modalText, name).toContain(`fingerprint \`${expected}\``);
        expect(announcement, name).toContain(`*Fingerprint*\\n\`${expected}\``);
        const show = await cli(harness.store.path, 'rotations', 'show', String(rotationId));
        expect(show.code).toBe(0);
        expect(show.stdout).toMatch(new RegExp(`new version +\\S+  fingerprint ${expected}\\n`));
        expect(show.stdout).not.toMatch(/fingerprint hmac-sha256:\s*$/m);
      }
    });

    it('`rotor incidents show` prints the compromised version with the HMAC-SHA256 of its value', async () => {
      const name = names[1]!;
      const { viewId } = await slashRevoke(harness, 'U0SEC', `${name} leaked in a public gist`);
      await submitRevoke(harness, 'U0SEC', viewId as string, { confirm: name, severity: 'SEV3' });
      const show = await cli(harness.store.path, 'incidents', 'show', '1');
      expect(show.code).toBe(0);
      expect(show.stdout).toMatch(new RegExp(`compromised version +\\S+  fingerprint HMAC-SHA256 ${hmac12(shown[name]!.value)}\\n`));
      expect(show.stdout).not.toMatch(/fingerprint hmac-sha256:\s*$/m);
    });

    it('`rotor audit verify` and `rotor rotations evidence` agree: intact, then broken at the same event once one audit row is edited', async () => {
      const rotationId = shown[names[0]!]!.rotationId;
      const verified = await cli(harness.store.path, 'audit', 'verify');
      expect(verified).toMatchObject({ code: 0, stderr: '' });
      expect(verified.stdout).toMatch(/Audit log intact: \d+ events/);
      const deep = await cli(harness.store.path, 'audit', 'verify', '--deep');
      expect(deep).toMatchObject({ code: 0, stderr: '' });
      expect(deep.stdout).toMatch(
        /Deep check: replayed the audit events of 3 rotations, 1 incident and 2 secrets; the tables agree with them\./,
      );
      const evidence = await cli(harness.store.path, 'rotations', 'evidence', String(rotationId));
      expect(evidence.code).toBe(0);
      expect(evidence.stdout).toContain('The whole chain verified at export');
      expect(evidence.stdout).toContain('a fingerprint (HMAC-SHA256)');
      expect(evidence.stdout).toContain('|  | Version id | Fingerprint (HMAC-SHA256) |');
      expect(evidence.stdout).not.toMatch(/SHA-256 fingerprint|Fingerprint \(SHA-256\)/);
      expect(evidence.stdout).not.toContain('broken');

      const copy = join(harness.store.dir, 'edited.db');
      await harness.store.db.backup(copy);
      const edited = new Database(copy);
      const seq = edited
        .prepare(`SELECT seq FROM audit_events WHERE action = 'rotation.approved' OR action = 'rotation.step_done' ORDER BY seq LIMIT 1`)
        .pluck()
        .get() as number;
      edited.prepare(`UPDATE audit_events SET actor = 'U0MALLORY' WHERE seq = ?`).run(seq);
      edited.close();

      const broken = await cli(copy, 'audit', 'verify');
      expect(broken).toMatchObject({ code: 1, stdout: '' });
      expect(broken.stderr).toContain(`Audit log broken at event #${seq}: its content does not match its MAC`);
      const brokenEvidence = await cli(copy, 'rotations', 'evidence', String(rotationId));
      expect(brokenEvidence.stdout).toContain(
        `**The audit chain was broken at export**, at event #${seq}: its content does not match its MAC`,
      );
      expect(brokenEvidence.stdout).not.toContain('The whole chain verified');
    });

    it('without ROTOR_AUDIT_KEY, verify and the evidence say the key is missing, not that someone tampered', async () => {
      const withoutKey = (...argv: string[]) =>
        runRotor(['--db', harness.store.path, '--config', join(harness.store.dir, 'policy.yml'), ...argv], {
          ROTOR_FINGERPRINT_KEY: fingerprintKey,
        });
      const verify = await withoutKey('audit', 'verify');
      expect(verify.code).toBe(1);
      const firstKeyed = harness.store.db.prepare(`SELECT min(seq) FROM audit_events WHERE scheme <> 'sha256'`).pluck().get() as number;
      expect(verify.stderr).toMatch(
        new RegExp(
          `^rotor: Cannot verify the audit log: event #${firstKeyed} is signed with audit key ${keyIdOf(auditKey)}, which is not configured\\. Set ROTOR_AUDIT_KEY`,
        ),
      );
      expect(verify.stderr).toContain('The key is missing; nothing here says the log was changed.');
      expect(verify.stderr).not.toMatch(/backup|investigate|broken/i);
      const evidence = await withoutKey('rotations', 'evidence', String(shown[names[0]!]!.rotationId));
      expect(evidence.stdout).toContain(
        `**The audit chain could not be checked at export**: event #${firstKeyed} is signed with audit key \`${keyIdOf(auditKey)}\`, which was not configured`,
      );
      expect(evidence.stdout).not.toContain('was broken');
    });
  },
);
