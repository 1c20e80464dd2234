import type { KnownBlock } from '@slack/types';
import type { RotationPlan } from '../../rotation-plans/plan-repo.js';
import type { PlanOffer } from '../../rotation-plans/plan-service.js';
import { ACTION_IDS } from '../ids.js';
import { button, section } from './blocks.js';
import { code, mention } from './mrkdwn.js';
import type { SlackMessage } from './slack-message.js';

const order = (names: readonly { name: string; automatic: boolean }[]) =>
  names.map((variant, index) => `${index + 1}. ${code(variant.name)}${variant.automatic ? ' (automatic)' : ''}`).join('\n');

/** `/rotate <key>` without an environment: the plan it offers, in order, with *Start the plan*. */
export function planOfferMessage(offer: PlanOffer): SlackMessage {
  const variants = offer.variants.map((secret) => ({ name: secret.name, automatic: offer.automatic.includes(secret.environment) }));
  const text = `Rotate ${code(offer.key)} in every environment, in order? Each variant starts only once the one before it is verified, with its own checklist and approvals.\n${order(variants)}`;
  const blocks: KnownBlock[] = [
    section(text),
    { type: 'actions', elements: [button(ACTION_IDS.planStart, 'Start the plan', offer.key, 'primary')] },
  ];
  return { text, blocks };
}

/** The plan started: who starts first. */
export function planStartedMessage(plan: RotationPlan): SlackMessage {
  const first = plan.variants[0];
  const text = `The plan for ${code(plan.key)} is under way. First: ${code(first?.secretName ?? '')}.`;
  return {
    text,
    blocks: [
      section(text),
      {
        type: 'actions',
        elements: [button(ACTION_IDS.rotationOpen, `Rotate ${first?.environment ?? ''}`, first?.secretName ?? '', 'primary')],
      },
    ],
  };
}

/** The root of the plan's thread in the announcement channel. */
export function planThreadRoot(plan: RotationPlan): SlackMessage {
  const variants = plan.variants.map((variant) => ({ name: variant.secretName, automatic: variant.automatic }));
  const text = `:arrows_clockwise: ${mention(plan.startedBy)} started rotating ${code(plan.key)} in every environment, in order; each starts once the one before it is verified. Progress follows in this thread.\n${order(variants)}`;
  return { text, blocks: [section(text)] };
}

/** A reply in the plan's thread: a variant verified, and what comes next. */
export function planProgressReply(input: { verified: string; next: string | null; automatic: boolean }): SlackMessage {
  const then = !input.next
    ? 'Every environment is rotated: the plan is done.'
    : input.automatic
      ? `Next: ${code(input.next)}, rotated automatically: Rotor opens its rotation now (a person may still run \`/rotate ${input.next}\`).`
      : `Next: ${code(input.next)} may start now (\`/rotate ${input.next}\`).`;
  const text = `:white_check_mark: ${code(input.verified)} is verified. ${then}`;
  return { text, blocks: [section(text)] };
}
