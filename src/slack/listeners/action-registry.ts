import type { App, BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { ModalRefusalRenderer } from '../errors.js';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Registers block-action listeners and remembers their action ids, so the catch-all for stale
 * buttons is derived from what is really handled rather than from a list kept by hand; and how
 * the modals they act in show a refusal, for the app's error handler.
 */
export class ActionRegistry {
  private readonly handled: (string | RegExp)[] = [];
  private readonly modalRefusals = new Map<string, ModalRefusalRenderer>();

  constructor(private readonly app: App) {}

  on<A extends BlockAction>(actionId: string | RegExp, listener: Middleware<SlackActionMiddlewareArgs<A>>): void {
    this.handled.push(actionId);
    this.app.action<A>(actionId, listener);
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
}

/** A pattern matching the action ids that none of `handled` (exact ids or anchored patterns) matches. */
export function unhandledActionPattern(handled: readonly (string | RegExp)[]): RegExp {
  const alternatives = handled.map((id) => (typeof id === 'string' ? escapeRegExp(id) : id.source.replace(/^\^|\$$/g, '')));
  return alternatives.length === 0 ? /^/ : new RegExp(`^(?!(?:${alternatives.join('|')})$)`);
}
