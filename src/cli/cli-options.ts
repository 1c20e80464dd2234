import { InvalidArgumentError } from 'commander';
import { closest } from 'fastest-levenshtein';
import type { Policy } from '../config/policy.js';
import { ValidationError } from '../core/errors.js';
import { MAX_WINDOW_DAYS } from '../inventory/schedule.js';
import { SLACK_USER_ID } from '../inventory/secret.js';

/** A whole number of at least `min`, for commander option parsers. */
export function wholeNumber(min: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min)
      throw new InvalidArgumentError(`expected a whole number of at least ${min}, got "${value}".`);
    return Number(value);
  };
}

/** A window of days, 1 to MAX_WINDOW_DAYS: the same limit as `/secrets due` in Slack. */
export function dayCount(value: string): number {
  const days = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || days < 1 || days > MAX_WINDOW_DAYS) {
    throw new InvalidArgumentError(`expected a whole number of days from 1 to ${MAX_WINDOW_DAYS}, got "${value}"; e.g. --days 90.`);
  }
  return days;
}

/** `--owner`: a member id, also as Slack writes it (`<@U0123ABCD>`); a name or handle is refused, never matched against nothing. */
export function memberIdOption(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const id = /^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$/.exec(value.trim())?.[1];
  if (id && SLACK_USER_ID.test(id)) return id;
  throw new ValidationError(`${option} ${value} is not a Slack member id, so it cannot match any owner.`, [
    { where: option, message: `use the member id (Slack profile → ⋮ → Copy member ID), e.g. ${option} U0123ABCD` },
  ]);
}

/** `--env`: one of the policy's environments; anything else would only ever list nothing. */
export function environmentOption(value: string | undefined, policy: Policy): string | undefined {
  if (value === undefined || policy.environments.includes(value)) return value;
  const suggestion = closest(value.toLowerCase(), [...policy.environments]);
  throw new ValidationError(`--env ${value} is not an environment of the policy.`, [
    { where: '--env', message: `use one of ${policy.environments.join(', ')}, e.g. --env ${suggestion}` },
  ]);
}
