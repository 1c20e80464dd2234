import type { ProviderServices } from '../providers/provider-factory.js';

/** What the `sync` and `discover` commands need, opened per invocation and closed after it. */
export interface ProviderCommandContext {
  providers: ProviderServices;
  /** Audit actor, e.g. `cli:alice`. */
  actor: string;
  /** Writes one line of output for the person at the terminal. */
  print(line: string): void;
  close(): void;
}

export type OpenProviderCommandContext = () => ProviderCommandContext | Promise<ProviderCommandContext>;

/** Opens the context, runs the action, always closes it. */
export async function withProviderContext<T>(open: OpenProviderCommandContext, action: (context: ProviderCommandContext) => Promise<T>): Promise<T> {
  const context = await open();
  try {
    return await action(context);
  } finally {
    context.close();
  }
}
