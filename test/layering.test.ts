import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
/** The domain: business rules and their ports. Adapters (slack, http, scheduler, providers' stores, cli) live outside. */
const DOMAIN = [
  'src/access', 'src/audit', 'src/core', 'src/follow-ups', 'src/inventory', 'src/reminders', 'src/revocation', 'src/rotation', 'src/providers/secret-provider.ts',
  // The credential-target port and what it speaks in; the PostgreSQL and Redis adapters live in src/targets/<engine>/.
  ...['credential-target', 'target-description', 'target-error', 'target-parsing', 'target-password-generator', 'target-timeouts'].map((name) => `src/targets/${name}.ts`),
];

/** What the domain never imports: Slack, HTTP, metrics, cron, the stores' SDKs, the targets' clients and adapters. */
const FORBIDDEN = [
  /^@slack\//,
  /(?:^|\/)slack\//,
  /^(?:node:)?https?$/,
  /(?:^|\/)http\//,
  /^prom-client$/,
  /(?:^|\/)metrics\//,
  /^node-cron$/,
  /(?:^|\/)scheduler\//,
  /^@aws-sdk\//,
  /^node-vault$/,
  /^pg$/,
  /^@redis\//,
  /(?:^|\/)targets\/(?:postgres|redis)\/|^\.\/(?:postgres|redis)\//,
];

function sourceFiles(path: string): string[] {
  if (path.endsWith('.ts')) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    const full = join(path, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((match) => match[1] as string);
}

describe('layering', () => {
  it('no domain folder imports Slack, HTTP, prom-client, node-cron, the AWS SDK, node-vault, pg, @redis or a target adapter (no exemptions)', () => {
    const offenders = DOMAIN.flatMap((path) => sourceFiles(join(root, path))).flatMap((file) =>
      importsOf(file)
        .filter((specifier) => FORBIDDEN.some((pattern) => pattern.test(specifier)))
        .map((specifier) => `${relative(root, file)} → ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the check sees real imports', () => {
    expect(importsOf(join(root, 'src', 'runtime.ts'))).toContain('./slack/outbound/slack-poster.js');
  });
});
