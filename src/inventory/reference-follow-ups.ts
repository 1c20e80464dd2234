import type { ProviderKind } from './secret.js';

/**
 * The follow-ups a change of where a secret is stored schedules (in the transaction of the change
 * or the request); the Slack layer registers the handlers that send them.
 */
export const REFERENCE_FOLLOW_UPS = {
  /** Security is told a secret now points elsewhere: a DM per security lead (the announce channel when there is none); occurrence: `<at>|<user or channel>`. */
  changed: 'inventory.reference_changed',
  /** DM to a security lead with Approve / Reject for a requested change; topic: the request; occurrence: user id. */
  request: 'inventory.reference_change_request',
  /** DM to whoever asked for the change: approved or rejected; topic: the request. */
  decided: 'inventory.reference_change_decided',
} as const;

/** Where a secret was stored and is stored now, as the follow-up carries it (never a value). */
export interface ReferenceMove {
  secret: string;
  from: { provider: ProviderKind; providerRef: string | null };
  to: { provider: ProviderKind; providerRef: string | null };
}

export function secretReferenceTopic(secretName: string): string {
  return `reference:${secretName}`;
}

export function referenceRequestTopic(requestId: number): string {
  return `reference_request:${requestId}`;
}

export function referenceRequestIdOfTopic(topic: string): number | null {
  const match = /^reference_request:(\d+)$/.exec(topic);
  return match ? Number(match[1]) : null;
}
