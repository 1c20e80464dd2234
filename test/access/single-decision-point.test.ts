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

const read = (file: string) => readFileSync(file, 'utf8');
const rel = (file: string) => relative(projectRoot, file);

describe('authorization has one decision point', () => {
  it('no Slack code reads roles from the policy: the services ask src/access instead', () => {
    const offenders = files(join(projectRoot, 'src', 'slack')).filter((file) =>
      /policy\.roles|\.(admins|securityLeads|devopsLeads|responders|teamLeads)\b/.test(read(file)),
    );
    expect(offenders.map(rel)).toEqual([]);
  });

  it('no Slack listener decides access itself: it hands the actor to a service, which authorizes', () => {
    const listeners = files(join(projectRoot, 'src', 'slack', 'listeners'));
    expect(listeners.filter((file) => /\bauthorizer\b|\bdecide\(|access\/(?:authorize|permissions)\.js/.test(read(file))).map(rel)).toEqual(
      [],
    );
    // Every listener that opens a form or changes something passes a Slack actor along (or receives one).
    const acting = listeners.filter((file) =>
      /views\.open|inventoryService\.(create|update|setOwner)|actions\.(snooze|reportNotMine)/.test(read(file)),
    );
    expect(acting.length).toBeGreaterThan(0);
    for (const file of acting) expect(read(file), rel(file)).toMatch(/slackActor\(|: SlackActor\b/);
  });

  it('every service method that changes the inventory or a reminder on request takes an Actor', () => {
    const inventory = read(join(projectRoot, 'src', 'inventory', 'inventory-service.ts'));
    for (const method of ['apply', 'create', 'update', 'setOwner'])
      expect(inventory).toMatch(new RegExp(`\\n  ${method}\\([^)]*actor: Actor`));
    const reminders = read(join(projectRoot, 'src', 'reminders', 'reminder-actions-service.ts'));
    for (const method of ['snooze', 'reportNotMine']) expect(reminders).toMatch(new RegExp(`\\n  ${method}\\([^)]*actor: Actor`));
  });
});
