import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CliContext } from '../../src/cli/cli-context.js';
import { buildProgram } from '../../src/cli/program.js';
import { botSchema } from '../../src/config/env.js';
import { policySchema } from '../../src/config/policy.js';
import { projectRoot } from '../../src/core/project-root.js';
import { ENTRY_KEYS } from '../../src/rotation/checklists/checklist-entry.js';
import { SUBCOMMANDS } from '../../src/slack/listeners/commands/secrets-command-parser.js';
import { readMarkdown, section, type MarkdownDocument } from '../support/markdown.js';

/**
 * The documentation names everything a person can set or type, and every link in it leads
 * somewhere. Every list here comes from the code (the env schema, the commander tree, the
 * manifest, the `/secrets` parser, the policy schema, the provider calls), so whatever is
 * added later is caught until it is documented.
 */

const readme = readMarkdown(join(projectRoot, 'README.md'));
const docsFolder = join(projectRoot, 'docs');
const docs: MarkdownDocument[] = existsSync(docsFolder)
  ? readdirSync(docsFolder)
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map((name) => readMarkdown(join(docsFolder, name)))
  : [];
const documentation = [readme, ...docs];

const code = (text: string) => '`' + text + '`';
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** `text` written as inline code, alone or as the start of a longer code span (`rotor import <file>`). */
const codeStart = (text: string) => new RegExp('`' + escapeRegExp(text) + '(?=[`\\s])');
const mentions = (lines: readonly string[], text: string) => lines.some((line) => codeStart(text).test(line));
const where = (document: MarkdownDocument) => relative(projectRoot, document.path);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('documentation', () => {
  it('the README documents every environment variable src/config/env.ts reads, in its Configuration table', () => {
    const variables = Object.keys(botSchema.shape);
    expect(variables).toContain('SLACK_BOT_TOKEN');
    const table = section(readme, 'Configuration').filter((line) => line.startsWith('|'));
    const firstCells = table.map((line) => line.split('|')[1] ?? '');
    const missing = variables.filter((variable) => !firstCells.some((cell) => cell.includes(code(variable))));
    expect(missing, 'variables missing from the README\'s "Configuration" table').toEqual([]);
  });

  describe('the rotor CLI', () => {
    const program = buildProgram(new CliContext({ stdout: () => undefined, stderr: () => undefined, env: {} }, () => ({})));
    const commands: { path: string; command: Command }[] = [];
    const walk = (command: Command, path: string): void => {
      for (const child of command.commands) {
        const at = `${path} ${child.name()}`;
        commands.push({ path: at, command: child });
        walk(child, at);
      }
    };
    walk(program, 'rotor');
    /** The heading a command's section has: its path and its arguments, as `--help` writes them. */
    const headingOf = ({ path, command }: (typeof commands)[number]) =>
      [
        path,
        ...command.registeredArguments.map((argument) =>
          argument.required
            ? `<${argument.name()}${argument.variadic ? '...' : ''}>`
            : `[${argument.name()}${argument.variadic ? '...' : ''}]`,
        ),
      ].join(' ');
    const sectionOf = (heading: string) => {
      for (const document of documentation) {
        const lines = section(document, heading);
        if (lines.length > 0) return lines;
      }
      return [];
    };

    it('the walk sees the real command tree', () => {
      expect(commands.map((entry) => entry.path)).toEqual(
        expect.arrayContaining(['rotor import', 'rotor audit verify', 'rotor incidents close']),
      );
    });

    it('every command has a section headed by its usage, naming each of its options and their choices', () => {
      const problems: string[] = [];
      for (const entry of commands) {
        const heading = headingOf(entry);
        const lines = sectionOf(heading);
        if (lines.length === 0) {
          problems.push(`no heading ${code(heading)}`);
          continue;
        }
        for (const alias of entry.command.aliases())
          if (!lines.some((line) => line.includes(alias))) problems.push(`${heading}: alias ${alias}`);
        for (const option of entry.command.options) {
          const flag = option.long ?? option.short ?? option.flags;
          if (!mentions(lines, flag)) problems.push(`${heading}: option ${flag}`);
          for (const choice of option.argChoices ?? [])
            if (!lines.some((line) => new RegExp(`\\b${escapeRegExp(choice)}\\b`).test(line)))
              problems.push(`${heading}: ${flag} ${choice}`);
        }
      }
      expect(problems, 'commands and options missing from the documentation').toEqual([]);
    });

    it("the README's CLI section lists every command that runs and the global options, with `npx rotor`", () => {
      const lines = section(readme, 'CLI');
      const leaves = commands.filter((entry) => entry.command.commands.length === 0).map((entry) => entry.path);
      const missing = [...leaves, ...program.options.map((option) => option.long as string)].filter((text) => !mentions(lines, text));
      expect(missing, 'missing from the README\'s "CLI" section').toEqual([]);
      expect(lines.join('\n')).toContain('npx rotor');
    });
  });

  describe('Slack', () => {
    const manifest = parseYaml(readFileSync(join(projectRoot, 'manifest.yml'), 'utf8')) as {
      features: { slash_commands: { command: string }[] };
    };
    const slashCommands = manifest.features.slash_commands.map((entry) => entry.command);
    /** The words /revoke takes in place of a secret's name (`/revoke close …`). */
    const revokeWords = [
      ...readFileSync(join(projectRoot, 'src/slack/listeners/commands/revoke-command.ts'), 'utf8').matchAll(
        /firstWord\.toLowerCase\(\) === '([a-z]+)'/g,
      ),
    ].map((match) => `/revoke ${match[1]}`);

    it('the lists come from the code', () => {
      expect(slashCommands).toEqual(expect.arrayContaining(['/rotate', '/secrets', '/revoke']));
      expect(revokeWords).toEqual(['/revoke close']);
    });

    it('every slash command is in the README and has its own section', () => {
      const inReadme = section(readme, 'Using Rotor in Slack');
      const missing = slashCommands.filter(
        (command) =>
          !mentions(inReadme, command) || !documentation.some((document) => document.headings.some((heading) => heading.text === command)),
      );
      expect(missing, 'slash commands missing from "Using Rotor in Slack" or without a heading of their own').toEqual([]);
    });

    it('every /secrets subcommand and every /revoke word is documented where its command is', () => {
      const lines = documentation.flatMap((document) => section(document, '/secrets'));
      const revoke = documentation.flatMap((document) => section(document, '/revoke'));
      const missing = [
        ...SUBCOMMANDS.map((sub) => `/secrets ${sub}`).filter((text) => !mentions(lines, text)),
        ...revokeWords.filter((text) => !mentions(revoke, text)),
      ];
      expect(missing, "subcommands missing from their command's section").toEqual([]);
    });
  });

  describe('the policy file', () => {
    /**
     * Each key as the documentation must name it: the groups are dotted paths, written as code
     * on one line; a new group starts below a map or a list (`checklists` … `title`), and an
     * enum's values are a group of their own (`reminders.escalation` … `cto`).
     */
    const keys: string[][] = [];
    const add = (groups: string[][]) => {
      const names = groups.filter((group) => group.length > 0).map((group) => group.join('.'));
      if (!keys.some((known) => known.join() === names.join())) keys.push(names);
    };
    const walk = (schema: z.core.$ZodType, groups: string[][]): void => {
      const open = (groups[groups.length - 1] ?? []).length > 0 ? [...groups, []] : groups;
      if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
        return walk(schema.unwrap(), groups);
      if (schema instanceof z.ZodPipe) return (walk(schema.in, groups), walk(schema.out, groups));
      if (schema instanceof z.ZodRecord) return walk(schema.valueType, open);
      if (schema instanceof z.ZodArray) return walk(schema.element, open);
      if (schema instanceof z.ZodEnum) return void schema.options.forEach((value) => add([...open.slice(0, -1), [String(value)]]));
      // A built-in value or a name the policy defines (a role): the built-in values are documented.
      if (schema instanceof z.ZodUnion) return void schema.options.forEach((option) => walk(option as z.core.$ZodType, groups));
      if (schema instanceof z.ZodObject) {
        for (const [key, child] of Object.entries(schema.shape)) {
          const here = [...groups.slice(0, -1), [...(groups[groups.length - 1] ?? []), key]];
          add(here);
          walk(child, here);
        }
        // Keys the file names itself (an environment's approvals, a defined role): walked as a record's values.
        const { catchall } = schema._zod.def;
        if (catchall && !(catchall instanceof z.ZodNever)) walk(catchall, groups.length > 0 ? [...groups, []] : groups);
      }
    };
    walk(policySchema, [[]]);
    // A checklist entry reads its mapping inside a transform (for its error messages), out of the walk's sight: its own list of keys.
    for (const key of ENTRY_KEYS) add([['checklists'], [key]]);

    it('the walk sees the real schema', () => {
      expect(keys).toEqual(
        expect.arrayContaining([
          ['environments'],
          ['reminders.offsets_days'],
          ['incident.status_update_minutes.SEV1'],
          ['reminders.escalation', 'cto'],
          ['approvals', 'devops_lead'],
          ['checklists', 'title'],
        ]),
      );
    });

    it('every key (and every value of an enum) is documented on one line', () => {
      const lines = documentation.flatMap((document) => document.lines);
      const missing = keys
        .filter((names) => !lines.some((line) => names.every((name) => line.includes(code(name)))))
        .map((names) => names.map(code).join(' … '));
      expect(missing, 'policy keys no line of the documentation names').toEqual([]);
    });

    it("the README's Configuration section names every top-level key", () => {
      const lines = section(readme, 'Configuration');
      const missing = Object.keys(policySchema.shape).filter((key) => !mentions(lines, key));
      expect(missing, 'top-level policy keys missing from the README\'s "Configuration" section').toEqual([]);
    });
  });

  describe('links', () => {
    it('every in-repo link and #anchor in README.md and docs/*.md resolves', () => {
      const broken: string[] = [];
      for (const document of documentation) {
        for (const link of document.links) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue;
          const [file = '', anchor] = link.target.split('#') as [string, string | undefined];
          const target = file === '' ? document.path : resolve(dirname(document.path), decodeURIComponent(file));
          const at = `${where(document)}:${link.line + 1} → ${link.target}`;
          if (!target.startsWith(projectRoot) || !existsSync(target)) broken.push(`${at} (no such file)`);
          else if (anchor !== undefined && (!target.endsWith('.md') || !readMarkdown(target).anchors.has(anchor)))
            broken.push(`${at} (no such anchor)`);
        }
      }
      expect(broken, 'links that lead nowhere').toEqual([]);
    });

    it('every docs/*.md is linked from the README', () => {
      const linked = new Set(readme.links.map((link) => resolve(projectRoot, link.target.split('#')[0] ?? '')));
      expect(docs.filter((document) => !linked.has(document.path)).map(where)).toEqual([]);
    });

    it('the README sections the code and manifest.yml send people to exist', () => {
      const pointers = new Set<string>();
      for (const file of [...sourceFiles(join(projectRoot, 'src')), join(projectRoot, 'manifest.yml')]) {
        const text = readFileSync(file, 'utf8');
        for (const pattern of [/"([^"]+)" in README\.md/g, /README's "([^"]+)"/g, /see README, ([A-Z][A-Za-z ]+)\)/g]) {
          for (const match of text.matchAll(pattern)) pointers.add(match[1] as string);
        }
      }
      expect([...pointers]).toEqual(expect.arrayContaining(['Create the Slack app', 'Security']));
      const headings = new Set(readme.headings.map((heading) => heading.text));
      expect(
        [...pointers].filter((name) => !headings.has(name)),
        'README sections pointed at that do not exist',
      ).toEqual([]);
    });
  });

  describe('providers', () => {
    const providerSources = sourceFiles(join(projectRoot, 'src/providers')).map((file) => readFileSync(file, 'utf8'));
    /** The stores' AWS calls and the evidence archive's S3 calls. */
    const awsSources = [
      ...providerSources,
      ...sourceFiles(join(projectRoot, 'src/evidence-archive')).map((file) => readFileSync(file, 'utf8')),
    ];
    const IAM_PREFIX: Record<string, string> = { 'client-secrets-manager': 'secretsmanager', 'client-kms': 'kms', 'client-s3': 's3' };
    /** S3 operations whose IAM action has another name (the others share theirs). */
    const S3_IAM_ACTION: Record<string, string> = {
      HeadObject: 'GetObject',
      ListObjectsV2: 'ListBucket',
      ListObjectVersions: 'ListBucketVersions',
      GetObjectLockConfiguration: 'GetBucketObjectLockConfiguration',
    };
    /** Each command a file imports, with the IAM prefix of the SDK client it comes from. */
    const servicesOf = (text: string) =>
      new Map(
        [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g)].flatMap((match) =>
          (match[1] as string)
            .split(',')
            .map((name) => [name.trim().replace(/^type\s+/, ''), IAM_PREFIX[match[2] as string] ?? `unknown client ${match[2]}`] as const),
        ),
      );
    /** Every AWS call the code makes, as its IAM action (`secretsmanager:…`, `kms:…`, `s3:…`). */
    const awsActions = [
      ...new Set(
        awsSources.flatMap((text) => {
          const services = servicesOf(text);
          // A client loaded on first use builds its commands from the module it imported (`new sdk.PutObjectCommand(`).
          const loaded =
            /import\(\s*'@aws-sdk\/(client-[a-z0-9-]+)'|import type \*? ?(?:as \w+ )?(?:\{[^}]*\} )?from '@aws-sdk\/(client-[a-z0-9-]+)'/.exec(
              text,
            );
          const loadedService = loaded
            ? (IAM_PREFIX[(loaded[1] ?? loaded[2]) as string] ?? `unknown client ${loaded[1] ?? loaded[2]}`)
            : undefined;
          return [...text.matchAll(/new (sdk\.)?([A-Z][A-Za-z0-9]+)Command\(/g)].map((match) => {
            const service = (match[1] ? loadedService : services.get(`${match[2]}Command`)) ?? 'secretsmanager';
            return `${service}:${(service === 's3' ? S3_IAM_ACTION[match[2] as string] : undefined) ?? match[2]}`;
          });
        }),
      ),
    ].sort();
    /** Every Vault KV v2 API path the code reads or writes under a mount, as the policy path. */
    const vaultPaths = [
      ...new Set(
        providerSources.flatMap((text) => [...text.matchAll(/\$\{(?:ref\.)?mount\}\/([a-z]+)\//g)].map((match) => `MOUNT/${match[1]}/*`)),
      ),
    ].sort();

    it('the lists come from the code', () => {
      expect(awsActions).toEqual(
        expect.arrayContaining([
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
          'kms:CreateKey',
          's3:PutObject',
        ]),
      );
      expect(
        awsActions.filter((action) => action.startsWith('unknown')),
        'AWS SDK clients without an IAM prefix here',
      ).toEqual([]);
      expect(vaultPaths).toEqual(expect.arrayContaining(['MOUNT/data/*', 'MOUNT/metadata/*']));
    });

    it('the README lists every permission the code needs (its access-denied errors send people there)', () => {
      const text = readme.lines.join('\n');
      expect(
        [...awsActions, ...vaultPaths].filter((permission) => !text.includes(code(permission))),
        'permissions missing from the README',
      ).toEqual([]);
    });

    it('the least-privilege IAM policy grants every Secrets Manager action the code calls', () => {
      const policies = documentation.flatMap((document) => {
        const text = document.lines.join('\n');
        return [...text.matchAll(/```json\n([\s\S]*?)```/g)]
          .map((match) => parseJsonBlock(match[1] as string))
          .filter((policy) => Array.isArray(policy?.Statement)) as IamPolicy[];
      });
      expect(policies.length).toBeGreaterThan(0);
      const granted = new Set(policies.flatMap((policy) => policy.Statement ?? []).flatMap((statement) => [statement.Action].flat()));
      expect(
        awsActions.filter((action) => !granted.has(action)),
        'actions the IAM policy leaves out',
      ).toEqual([]);
    });
  });

  describe('`npx rotor` after `npm ci`', () => {
    const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    const bin = join(projectRoot, manifest.bin['rotor'] ?? '');

    it('package.json names an executable bin/rotor.js, and `npm ci` builds what it runs (prepare)', () => {
      expect(manifest.bin).toEqual({ rotor: 'bin/rotor.js' });
      expect(statSync(bin).mode & 0o111, 'bin/rotor.js is executable').not.toBe(0);
      expect(readFileSync(bin, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
      expect(manifest.scripts['prepare']).toBe('npm run build');
    });

    it('the built CLI it loads exists and answers --help', () => {
      const loaded = /new URL\('([^']+)', import\.meta\.url\)/.exec(readFileSync(bin, 'utf8'))?.[1];
      expect(loaded).toBe('../dist/src/cli.js');
      expect(existsSync(resolve(dirname(bin), loaded as string)), 'dist/src/cli.js (run npm run build)').toBe(true);
      const run = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env: { PATH: process.env['PATH'] } });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^Usage: rotor \[options\] \[command\]/);
    });
  });
});

interface IamPolicy {
  Statement: { Action: string | string[] }[];
}

/** A JSON block of the documentation, or null for an example that is not one JSON document (several objects, elisions). */
function parseJsonBlock(text: string): { Statement?: unknown } | null {
  try {
    return JSON.parse(text) as { Statement?: unknown };
  } catch {
    return null;
  }
}
