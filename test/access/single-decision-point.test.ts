import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/project-root.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('authorization has one decision point', () => {
  it('no Slack code reads roles from the policy: listeners ask src/access instead', () => {
    const offenders = files(join(projectRoot, 'src', 'slack')).filter((file) => /policy\.roles|\.(admins|securityLeads|devopsLeads|responders|teamLeads)\b/.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => relative(projectRoot, file))).toEqual([]);
  });

  it('every Slack listener that changes or starts something calls authorize()', () => {
    const listeners = files(join(projectRoot, 'src', 'slack', 'listeners')).filter((file) => /inventoryService\.(create|update|setOwner)|views\.open/.test(readFileSync(file, 'utf8')));
    expect(listeners.length).toBeGreaterThan(0);
    for (const file of listeners) expect(readFileSync(file, 'utf8'), relative(projectRoot, file)).toContain('authorize(');
  });
});
