/**
 * Keeps the current values of `names` in the process environment and returns what puts them back
 * (a variable that was unset is deleted again): with vitest's `isolate: false` the test files of a
 * fork share one process, so a file that points the SDKs somewhere must not leave them there.
 */
export function keepEnvironment(names: readonly string[]): () => void {
  const kept = names.map((name) => [name, process.env[name]] as const);
  return () => {
    for (const [name, value] of kept) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
