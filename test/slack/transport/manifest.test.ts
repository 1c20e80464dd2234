import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AppsManifestCreateArguments } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../../src/core/project-root.js';
import { COMMANDS } from '../../../src/slack/ids.js';
import { FUNCTION_CALLBACK_IDS } from '../../../src/slack/listeners/functions/workflow-steps.js';
import { COMMAND_LISTENERS, SUBSCRIBED_EVENTS } from '../../../src/slack/listeners/index.js';
import { FEATURE_SCOPES, WEB_API_METHOD_SCOPES } from '../../../src/slack/web-api-scopes.js';

type Manifest = AppsManifestCreateArguments['manifest'];

const manifest = parse(readFileSync(join(projectRoot, 'manifest.yml'), 'utf8')) as Manifest;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every `client.<family>.<method>(` call in src/ (the reminder notifier's `clients.post|read.…` too): the Web API methods the code uses. */
function webApiMethodsCalled(): Set<string> {
  const methods = new Set<string>();
  for (const file of sourceFiles(join(projectRoot, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\b(?:client|clients\.[a-z]+)\.([a-z]+)\.([a-zA-Z]+)\(/g))
      methods.add(`${match[1]}.${match[2]}`);
  }
  return methods;
}

describe('manifest.yml', () => {
  it('parses and sets up the app Rotor expects: App Home with messages, interactivity, Socket Mode', () => {
    expect(manifest.display_information.name).toBe('Rotor');
    expect(manifest.features?.app_home).toMatchObject({ home_tab_enabled: true, messages_tab_enabled: true });
    expect(manifest.settings?.interactivity?.is_enabled).toBe(true);
    expect(manifest.settings?.socket_mode_enabled).toBe(true);
  });

  it('declares exactly the slash commands the code registers, each escaping mentions for the parser', () => {
    const declared = (manifest.features?.slash_commands ?? []).map((command) => command.command).sort();
    expect(declared).toEqual(Object.keys(COMMAND_LISTENERS).sort());
    expect(declared).toEqual(Object.values(COMMANDS).sort());
    for (const command of manifest.features?.slash_commands ?? []) expect(command.should_escape).toBe(true);
  });

  it('subscribes to exactly the events the code listens for', () => {
    expect([...(manifest.settings?.event_subscriptions?.bot_events ?? [])].sort()).toEqual([...SUBSCRIBED_EVENTS].sort());
    // app.function listens for function_executed events (Bolt's custom steps).
    const listened = sourceFiles(join(projectRoot, 'src')).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [
        ...[...text.matchAll(/\bapp\.event\('([a-z_]+)'/g)].map((match) => match[1]),
        ...(/\bapp\.function\(/.test(text) ? ['function_executed'] : []),
      ];
    });
    expect([...new Set(listened)].sort()).toEqual([...SUBSCRIBED_EVENTS].sort());
  });

  it('declares exactly the Workflow Builder steps the code implements, set up to run them (org-level, remote runtime)', () => {
    const functions =
      (
        manifest as unknown as {
          functions?: Record<
            string,
            {
              title: string;
              input_parameters: { properties: Record<string, unknown>; required: string[] };
              output_parameters: { properties: Record<string, unknown> };
            }
          >;
        }
      ).functions ?? {};
    expect(Object.keys(functions).sort()).toEqual([...FUNCTION_CALLBACK_IDS].sort());
    expect(Object.keys(functions.rotate_secret?.input_parameters.properties ?? {}).sort()).toEqual(['reason', 'requester', 'secret_name']);
    expect(Object.keys(functions.rotate_secret?.output_parameters.properties ?? {}).sort()).toEqual([
      'new_version_id',
      'outcome',
      'rotation_id',
    ]);
    expect(Object.keys(functions.secret_status?.output_parameters.properties ?? {}).sort()).toEqual([
      'last_rotated',
      'next_due',
      'owner',
      'status',
    ]);
    const settings = manifest.settings as { org_deploy_enabled?: boolean; function_runtime?: string };
    expect(settings.org_deploy_enabled).toBe(true);
    expect(settings.function_runtime).toBe('remote');
  });

  it('asks for exactly the bot scopes the code’s Web API calls and features need', () => {
    const called = webApiMethodsCalled();
    const unknown = [...called].filter((method) => !(method in WEB_API_METHOD_SCOPES));
    expect(unknown, 'add these methods to WEB_API_METHOD_SCOPES').toEqual([]);
    const needed = new Set([
      ...Object.keys(FEATURE_SCOPES),
      ...[...called].flatMap((method) => WEB_API_METHOD_SCOPES[method]?.scopes ?? []),
    ]);
    expect([...(manifest.oauth_config?.scopes?.bot ?? [])].sort()).toEqual([...needed].sort());
    expect(manifest.oauth_config?.scopes?.user ?? []).toEqual([]);
  });
});
