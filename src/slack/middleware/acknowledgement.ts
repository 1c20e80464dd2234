import type { AnyMiddlewareArgs, App, Context, Middleware } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { AckFirstQueue } from '../inbound/ack-first-queue.js';
import type { InFlightRequests } from './in-flight-requests.js';
import { outdatedButtonMessage, outdatedFormView, outdatedMenuOption, unknownShortcutView } from '../views/unhandled-request-views.js';

/** Whether a request was acknowledged, and whether what answered it was a fallback rather than a listener for it. */
export interface Acknowledgement {
  acknowledged: boolean;
  /** Answered only because nothing handles it: counted as `unhandled`, never `ok`. */
  unhandled: boolean;
  /** The middleware chain saw the request (Bolt skips it for a body whose type it cannot tell). */
  seen: boolean;
}

const CONTEXT_KEY = 'rotorAcknowledgement';
/** A custom property of a request Rotor's HTTP gate already acknowledged, after its turn in the queue. */
export const ACKED_EARLY_PROPERTY = 'rotorAckedEarly';

/**
 * Wraps the app's entry point so that every request carries, in its context, whether anything
 * acknowledged it. What is handled is then derived from what really answered, whoever registered
 * the listener, rather than from a list of ids kept beside the listeners. A body Bolt cannot even
 * classify is acknowledged at the end, so Slack is never left waiting 3 seconds. What a listener
 * does after its ack waits for its turn in `afterAck`, behind the acks of requests already waiting,
 * unless the request already had its turn (the HTTP gate acknowledged it and queued it whole).
 * Each request is counted in `inFlight` until it is done.
 */
export function trackAcknowledgements(
  app: App,
  afterAck: Pick<AckFirstQueue, 'turn'>,
  inFlight: Pick<InFlightRequests, 'enter' | 'leave'>,
): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = async (event) => {
    // Counted from here, not from the first middleware: Bolt acknowledges an event before any
    // middleware runs, and its work then waits for its turn, which shutdown must wait for too.
    inFlight.enter();
    try {
      await processTracked(event);
    } finally {
      inFlight.leave();
    }
  };
  const processTracked: typeof app.processEvent = async (event) => {
    const tracker: Acknowledgement = { acknowledged: false, unhandled: false, seen: false };
    const hadItsTurn = event.customProperties?.[ACKED_EARLY_PROPERTY] === true;
    const ack: typeof event.ack = async (response) => {
      tracker.acknowledged = true;
      await event.ack(response);
      if (!hadItsTurn) await afterAck.turn();
    };
    await processEvent({ ...event, ack, customProperties: { ...event.customProperties, [CONTEXT_KEY]: tracker } });
    if (!tracker.seen && !tracker.acknowledged) await ack();
  };
}

export function acknowledgementOf(context: Context): Acknowledgement | undefined {
  return context[CONTEXT_KEY] as Acknowledgement | undefined;
}

/** For a catch-all listener (e.g. stale buttons): it answered, but nothing handled the request. */
export function markUnhandled(context: Context): void {
  const tracker = acknowledgementOf(context);
  if (tracker) tracker.unhandled = true;
}

/**
 * Global middleware: once every listener has run, a request none of them acknowledged is
 * acknowledged here and, where a person is there to read it, explained: an outdated form is
 * replaced by a notice, a shortcut opens one, a menu offers one line saying so, a button or
 * command gets an ephemeral reply. A closed view has nobody to tell. A listener that threw is
 * left to the error handler.
 */
export function answerUnhandledMiddleware(logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const tracker = acknowledgementOf(args.context);
    if (tracker) tracker.seen = true;
    await args.next();
    if (!tracker || tracker.acknowledged || !('ack' in args) || typeof args.ack !== 'function') return;
    tracker.unhandled = true;
    const ack = args.ack as (response?: unknown) => Promise<void>;
    const body = args.body as Record<string, unknown>;
    try {
      switch (body.type) {
        case 'view_submission':
          return await ack({ response_action: 'update', view: outdatedFormView() });
        case 'block_suggestion':
          return await ack({ options: [outdatedMenuOption()] });
        case 'shortcut':
        case 'message_action':
          await ack();
          await openNotice(args.client, body.trigger_id);
          return;
        default: {
          await ack();
          const respond = 'respond' in args ? args.respond : undefined;
          if (typeof respond === 'function')
            await respond({ response_type: 'ephemeral', replace_original: false, ...outdatedButtonMessage() });
        }
      }
    } catch (error) {
      // Acknowledged already; the explanation is a courtesy and its failure only worth a line.
      logger.warn({ err: error, kind: body.type }, 'could not explain an interaction Rotor does not handle');
    }
  };
}

async function openNotice(client: WebClient, triggerId: unknown): Promise<void> {
  if (typeof triggerId !== 'string') return;
  await client.views.open({ trigger_id: triggerId, view: unknownShortcutView() });
}
