import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
/** The domain: business rules and their ports. Adapters (slack, http, scheduler, providers' stores, cli) live outside. */
const DOMAIN = [
  'src/access',
  'src/audit',
  'src/core',
  'src/follow-ups',
  'src/inventory',
  'src/reminders',
  'src/revocation',
  'src/rotation',
  'src/providers/secret-provider.ts',
  'src/providers/store-kind.ts',
  // The credential-target port and what it speaks in; the PostgreSQL and Redis adapters live in src/targets/<engine>/.
  ...['credential-target', 'target-description', 'target-error', 'target-parsing', 'target-password-generator', 'target-timeouts'].map(
    (name) => `src/targets/${name}.ts`,
  ),
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

/**
 * What the domain never imports either: one store's own folder (it asks the store port and the
 * catalog it is given), the catalog of built-in stores (handed to it by the composition root),
 * and the composition itself (runtime, services).
 */
const FORBIDDEN_WIRING = [
  /(?:^|\/)providers\/[^/]+\//,
  /(?:^|\/)providers\/store-catalog\.js$/,
  /(?:^|\/)runtime\.js$/,
  /(?:^|\/)services\.js$/,
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

/** The files of src/ each file imports (type-only imports too: a loop of types is a loop of concepts). */
function importGraph(): Map<string, string[]> {
  const files = sourceFiles(join(root, 'src'));
  return new Map(
    files.map((file) => [
      relative(root, file),
      importsOf(file)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => relative(root, resolve(dirname(file), specifier).replace(/\.js$/, '.ts'))),
    ]),
  );
}

/** Every import cycle of the graph, each as the files around it (Tarjan's strongly connected components of more than one file, or a file importing itself). */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
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

  it("no domain folder imports a store's own folder, the built-in store catalog, the runtime or the services", () => {
    const offenders = DOMAIN.flatMap((path) => sourceFiles(join(root, path))).flatMap((file) =>
      importsOf(file)
        .filter((specifier) => FORBIDDEN_WIRING.some((pattern) => pattern.test(specifier)))
        .map((specifier) => `${relative(root, file)} → ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the Slack adapter never imports the runtime or the services: it takes the services it uses, named (src/slack/slack-deps.ts)', () => {
    const offenders = sourceFiles(join(root, 'src/slack')).flatMap((file) =>
      importsOf(file)
        .filter((specifier) => /(?:^|\/)(?:runtime|services)\.js$/.test(specifier))
        .map((specifier) => `${relative(root, file)} → ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it('no import cycle in src/', () => {
    expect(cyclesOf(importGraph())).toEqual([]);
  });

  it('the cycle check finds a cycle', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
    ]);
    expect(cyclesOf(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('the check sees real imports', () => {
    expect(importsOf(join(root, 'src', 'runtime.ts'))).toContain('./slack/outbound/slack-poster.js');
  });
});
