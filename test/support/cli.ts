import { runCli } from '../../src/cli/program.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in-process with the given arguments and environment, capturing what it prints. */
export async function runRotor(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
  });
  return { code, stdout, stderr };
}

/** Runs the real CLI in-process against a given database, with an empty environment. */
export function rotor(databasePath: string, ...argv: string[]): Promise<CliResult> {
  return runRotor(['--db', databasePath, ...argv]);
}
