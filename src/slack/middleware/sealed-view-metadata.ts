import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { ViewMetadataSeal } from '../view-metadata-seal.js';

/** What of a view the seal looks at, as Rotor sends it or Slack echoes it. */
interface SealableView {
  callback_id?: string;
  private_metadata?: string;
}

function isView(value: unknown): value is SealableView {
  return typeof value === 'object' && value !== null;
}

/** A copy of `view` with its metadata sealed; a view without metadata is returned as it is. */
function sealed<V>(seal: ViewMetadataSeal, view: V): V {
  if (!isView(view) || typeof view.private_metadata !== 'string' || view.private_metadata === '') return view;
  return { ...view, private_metadata: seal.seal(view.callback_id ?? '', view.private_metadata) };
}

/** The clients whose `views` methods already seal. */
const sealingClients = new WeakSet<WebClient>();

/**
 * Seals the private_metadata of every view Rotor sends and opens it in every view Slack sends
 * back (view-metadata-seal.ts), at the app's edge, so that no listener, old or new, can forget:
 * - coming in, a view's metadata is replaced by what the seal carried, or by nothing when the
 *   seal is missing or wrong (each form then refuses it as unreadable; the attempt is logged);
 * - going out, views acknowledged with `response_action` and views sent with the client Bolt
 *   gives listeners (views.open, views.update, views.push) are sealed. Bolt keeps one client per
 *   token, built by itself, so its `views` methods are wrapped once, the first time it is seen.
 */
export function sealViewMetadata(app: App, seal: ViewMetadataSeal, logger: Logger): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = async (event) => {
    const body = event.body as { type?: string; view?: unknown };
    const view = body.view;
    if (isView(view) && typeof view.private_metadata === 'string' && view.private_metadata !== '') {
      const opened = seal.open(view.callback_id ?? '', view.private_metadata);
      if (opened === null)
        logger.warn(
          { kind: body.type, callbackId: view.callback_id ?? null },
          'a view came back with private_metadata Rotor did not seal; read as none',
        );
      view.private_metadata = opened ?? '';
    }
    const ack: typeof event.ack = (response) => {
      const answer = response as { response_action?: string; view?: unknown } | undefined;
      return event.ack(answer && answer.view !== undefined ? { ...answer, view: sealed(seal, answer.view) } : response);
    };
    await processEvent({ ...event, ack });
  };
  app.use(async ({ client, next }) => {
    sealViewsSentBy(client, seal);
    await next();
  });
}

/**
 * The view sealed and already in the JSON Slack receives. web-api walks an object argument key by
 * key (two regular expressions a key, for a debug line it builds even when debug is off) before
 * serialising it; a modal is thousands of keys, and that walk cost a `/rotate` more than its render.
 * A string is sent as it is: the same form field, the same bytes.
 */
function sealedJson<V>(seal: ViewMetadataSeal, view: V): V {
  if (typeof view !== 'object' || view === null) return view;
  return JSON.stringify(sealed(seal, view)) as V;
}

function sealViewsSentBy(client: WebClient, seal: ViewMetadataSeal): void {
  if (sealingClients.has(client)) return;
  sealingClients.add(client);
  const { views } = client;
  const open = views.open.bind(views);
  const update = views.update.bind(views);
  const push = views.push.bind(views);
  views.open = (args) => open({ ...args, view: sealedJson(seal, args.view) });
  views.update = (args) => update({ ...args, view: sealedJson(seal, args.view) });
  views.push = (args) => push({ ...args, view: sealedJson(seal, args.view) });
}
