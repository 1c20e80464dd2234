import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const DOMAIN = ['src/inventory', 'src/reminders', 'src/rotation', 'src/audit', 'src/core', 'src/providers/secret-provider.ts'];

function sourceFiles(path: string): string[] {
  if (path.endsWith('.ts')) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    const full = join(path, entry.name);
    if (entry.isDirectory()) return entry.name === 'adapters' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('layering', () => {
  it('the domain (reminders adapters aside) imports neither Bolt, the Slack SDKs nor src/slack', () => {
    const offenders = DOMAIN.flatMap((path) => sourceFiles(join(root, path)))
      .filter((file) => /from '(?:@slack\/[^']*|(?:\.\.?\/)+(?:[\w-]+\/)*slack\/[^']*)'/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(offenders).toEqual([]);
  });
});
