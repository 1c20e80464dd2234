import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from 'pino';

/** The workspace and app the bot token belongs to, as Slack told at start-up; `appId` null when it could not tell. */
export interface TokenWorkspace {
  teamId: string;
  appId: string | null;
  /**
   * The Enterprise Grid organisation, when the app is installed at the organisation level (what
   * Workflow Builder steps need): the token then serves every workspace of that organisation.
   */
  enterpriseId?: string | null;
}

/** The workspace (and organisation) and app a request says it comes from. */
export function requestOrigin(body: AnyMiddlewareArgs['body'] | Record<string, unknown>): {
  teamId?: string;
  appId?: string;
  enterpriseId?: string;
} {
  const raw = body as Record<string, unknown>;
  const team = typeof raw.team_id === 'string' ? raw.team_id : (raw.team as { id?: unknown } | null | undefined)?.id;
  const enterprise =
    typeof raw.enterprise_id === 'string'
      ? raw.enterprise_id
      : ((raw.enterprise as { id?: unknown } | null | undefined)?.id ??
        (raw.team as { enterprise_id?: unknown } | null | undefined)?.enterprise_id);
  return {
    ...(typeof team === 'string' ? { teamId: team } : {}),
    ...(typeof raw.api_app_id === 'string' ? { appId: raw.api_app_id } : {}),
    ...(typeof enterprise === 'string' ? { enterpriseId: enterprise } : {}),
  };
}

/**
 * Whether a request's origin is the bot token's workspace (or, for an organisation-level install,
 * its organisation) and app. Shortcut payloads carry no app id (Bolt's types agree); a request
 * signed with this app's secret is this app's.
 */
export function isOurWorkspace(expected: TokenWorkspace, origin: { teamId?: string; appId?: string; enterpriseId?: string }): boolean {
  const sameOrganisation = typeof expected.enterpriseId === 'string' && origin.enterpriseId === expected.enterpriseId;
  return (
    (origin.teamId === expected.teamId || sameOrganisation) &&
    (expected.appId === null || origin.appId === undefined || origin.appId === expected.appId)
  );
}

/**
 * Refuses a request for another workspace or app than the bot token's, in both modes: one
 * signing secret (and one socket) serves every workspace an app is installed in, so a correctly
 * signed request can still be meant for someone else's Rotor. An organisation-level install
 * takes the requests of every workspace of its organisation. A foreign request is
 * acknowledged, so Slack does not retry, and dropped; a request that names no workspace is refused as well. The app is
 * checked where the request names one.
 */
export function workspaceGuardMiddleware(expected: TokenWorkspace, logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const origin = requestOrigin(args.body);
    if (isOurWorkspace(expected, origin)) {
      await args.next();
      return;
    }
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
    logger.warn(
      { team: origin.teamId ?? null, app: origin.appId ?? null },
      'refused a Slack request for another workspace or app than the bot token',
    );
  };
}
