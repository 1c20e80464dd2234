import { type App, type BlockAction, type Middleware, type SlackActionMiddlewareArgs, MultipleListenerError } from '@slack/bolt';
import type { ModalRefusalRenderer } from '../errors.js';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type ActionListener = Middleware<SlackActionMiddlewareArgs<BlockAction>>;

/**
 * Every block action Rotor handles, behind one Bolt listener. Bolt tries each listener it holds
 * on each request (a copy of the request's arguments and two matching middleware apiece), so some
 * forty action listeners cost every command, click and submission forty tries; here a click finds
 * its listener by its action id in a map (the few patterns tried after), and an action id nothing
 * handles (a stale button) goes to the catch-all, whose pattern is derived from the ids registered
 * rather than from a list kept by hand. Listeners answer exactly as they would have as
 * Bolt listeners of their own: the same arguments, every matching one run, their errors thrown
 * as Bolt throws them. Also remembers how the modals the actions act in show a refusal, for the
 * app's error handler.
 */
export class ActionRegistry {
  private readonly byId = new Map<string, ActionListener[]>();
  private readonly byPattern: { pattern: RegExp; listener: ActionListener }[] = [];
  private readonly handled: (string | RegExp)[] = [];
  private unhandled: { listener: ActionListener; pattern: RegExp } | null = null;
  private readonly modalRefusals = new Map<string, ModalRefusalRenderer>();

  constructor(app: App) {
    app.action<BlockAction>({ type: 'block_actions' }, (args) => this.dispatch(args));
  }

  on<A extends BlockAction>(actionId: string | RegExp, listener: Middleware<SlackActionMiddlewareArgs<A>>): void {
    // The catch-all's pattern was derived from the ids registered before it: this one would match both.
    if (this.unhandled) {
      throw new Error(
        `Action ${String(actionId)} was registered after onUnhandled(): register every action listener before the catch-all.`,
      );
    }
    const any = listener as unknown as ActionListener;
    this.handled.push(actionId);
    if (typeof actionId !== 'string') return void this.byPattern.push({ pattern: actionId, listener: any });
    const listeners = this.byId.get(actionId);
    if (listeners) listeners.push(any);
    else this.byId.set(actionId, [any]);
  }

  /** What answers the block actions no listener registered with `on` handles (registered once, after them). */
  onUnhandled(listener: ActionListener): void {
    this.unhandled = { listener, pattern: this.unhandledPattern() };
  }

  /** How a click refused inside the modal of `callbackId` is shown there. */
  onRefusalInModal(callbackId: string, render: ModalRefusalRenderer): void {
    this.modalRefusals.set(callbackId, render);
  }

  modalRefusalRenderer(callbackId: string): ModalRefusalRenderer | undefined {
    return this.modalRefusals.get(callbackId);
  }

  /** Matches every action id no registered listener handles. */
  unhandledPattern(): RegExp {
    return unhandledActionPattern(this.handled);
  }

  private async dispatch(args: SlackActionMiddlewareArgs<BlockAction> & Parameters<ActionListener>[0]): Promise<void> {
    const actionId = args.action.action_id;
    const matched = [...(this.byId.get(actionId) ?? [])];
    for (const { pattern, listener } of this.byPattern) {
      const matches = actionId.match(pattern);
      if (matches === null) continue;
      // As Bolt's own matching leaves them, for a listener registered with a pattern.
      args.context.actionIdMatches = matches;
      matched.push(listener);
    }
    if (this.unhandled?.pattern.test(actionId)) matched.push(this.unhandled.listener);
    if (matched.length === 0) return;
    if (matched.length === 1) return (matched[0] as ActionListener)(args);
    const rejected = (await Promise.allSettled(matched.map((listener) => listener(args)))).filter(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    if (rejected.length === 1) throw rejected[0]?.reason;
    if (rejected.length > 1) throw new MultipleListenerError(rejected.map((result) => result.reason));
  }
}

/** A pattern matching the action ids that none of `handled` (exact ids or anchored patterns) matches. */
export function unhandledActionPattern(handled: readonly (string | RegExp)[]): RegExp {
  const alternatives = handled.map((id) => (typeof id === 'string' ? escapeRegExp(id) : id.source.replace(/^\^|\$$/g, '')));
  return alternatives.length === 0 ? /^/ : new RegExp(`^(?!(?:${alternatives.join('|')})$)`);
}
