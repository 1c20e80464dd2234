import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { productionNodeFlags } from '../../../bench/support/production-flags.js';
import { projectRoot } from '../../../src/core/project-root.js';

/** No Docker engine runs here, so the Dockerfile is checked by reading it; its HEALTHCHECK is run in main-process.test.ts. */
const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);

describe('Dockerfile', () => {
  it('is multi-stage on Node 22 LTS slim, with build tools only in the build stage', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim$/m);
    expect(stages.map((stage) => stage.split('\n')[0])).toEqual(['${NODE_IMAGE} AS build', '${NODE_IMAGE} AS runtime']);
    expect(stages[0]).toContain('npm ci --ignore-scripts');
    expect(stages[0]).toContain('npm rebuild better-sqlite3');
    // `prepare` builds with tsc, so the build runs only once the sources are in.
    expect(stages[0]?.indexOf('COPY src')).toBeLessThan(stages[0]?.indexOf('npm run build') ?? -1);
    expect(stages[0]).toContain('g++');
    expect(stages[1]).not.toContain('apt-get');
    expect(stages[1]).not.toContain('npm ci');
  });

  it('runs as a non-root user with the database on a volume', () => {
    const runtime = stages[1] as string;
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toContain('ROTOR_DB=/data/rotor.db');
    expect(runtime).toContain('VOLUME ["/data"]');
    expect(runtime).toContain('chown node:node /data');
    expect(runtime.indexOf('chown node:node /data')).toBeLessThan(runtime.indexOf('USER node'));
  });

  it('checks health on /healthz and starts the built entry point with exec form', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\/healthz/ms);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]$/m);
  });

  it("starts the bot with the same Node flags as package.json's start script (the bench launches it with them too)", () => {
    const start = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(cmd ?? '[]')).toEqual(start.split(' '));
    expect(productionNodeFlags()).toEqual(start.split(' ').slice(1, -1));
  });

  it('ships migrations beside package.json, where Rotor looks for them', () => {
    expect(stages[1]).toContain('COPY package.json');
    expect(stages[1]).toContain('COPY migrations ./migrations');
  });

  it('.dockerignore keeps local databases, env files and node_modules out of the build context', () => {
    const ignored = readFileSync(join(projectRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', '*.db', '.env*', 'data']) expect(ignored).toContain(entry);
  });
});
