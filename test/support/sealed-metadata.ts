import { ViewMetadataSeal } from '../../src/slack/view-metadata-seal.js';
import type { SlackHarness } from './slack-app-harness.js';

/**
 * Modals' private_metadata is sealed by Rotor (src/slack/view-metadata-seal.ts). Tests read what
 * Rotor sent through `unsealed`, and build a submission Slack would echo, or a forgery made with
 * the signing secret, through `sealedFor`.
 */

/** What Rotor put in a view's private_metadata, under its seal; throws when the value is not sealed. */
export function unsealed(sealed: string): string {
  const match = /^rotor1\.[A-Za-z0-9_-]+\.([\s\S]*)$/.exec(sealed);
  if (!match) throw new Error(`private_metadata is not sealed: ${sealed.slice(0, 40)}`);
  return match[1] as string;
}

/** `metadata` sealed as the bot under test seals it for a view of `callbackId`. */
export function sealedFor(harness: Pick<SlackHarness, 'signingSecret'>, callbackId: string, metadata: string): string {
  return new ViewMetadataSeal(harness.signingSecret).seal(callbackId, metadata);
}
