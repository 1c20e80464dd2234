import type { App, BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Registers block-action listeners and remembers their action ids, so the catch-all for stale
 * buttons is derived from what is really handled rather than from a list kept by hand.
 */
export class ActionRegistry {
  private readonly handled: (string | RegExp)[] = [];

  constructor(private readonly app: App) {}

  on<A extends BlockAction>(actionId: string | RegExp, listener: Middleware<SlackActionMiddlewareArgs<A>>): void {
    this.handled.push(actionId);
    this.app.action<A>(actionId, listener);
  }

  /** Matches every action id no registered listener handles. */
  unhandledPattern(): RegExp {
    return unhandledActionPattern(this.handled);
  }
}

/** A pattern matching the action ids that none of `handled` (exact ids or anchored patterns) matches. */
export function unhandledActionPattern(handled: readonly (string | RegExp)[]): RegExp {
  const alternatives = handled.map((id) => (typeof id === 'string' ? escapeRegExp(id) : id.source.replace(/^\^|\$$/g, '')));
  return alternatives.length === 0 ? /^/ : new RegExp(`^(?!(?:${alternatives.join('|')})$)`);
}
