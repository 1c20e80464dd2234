import type { ModalView } from '@slack/types';
import type { ScheduledWindow } from '../../../rotation-windows/window-repo.js';
import { MAX_IMPACT_LENGTH, MAX_WINDOW_MINUTES, MIN_WINDOW_MINUTES } from '../../../rotation-windows/window-rules.js';
import type { WindowNotice } from '../../../rotation-windows/window-service.js';
import type { RotationWindow } from '../../../rotation/rotation-window.js';
import { CALLBACK_IDS, encodeWindowMetadata, FORM_VALUE_ACTION, WINDOW_BLOCKS, type WindowMetadata } from '../../ids.js';
import { section } from '../blocks.js';
import { code, escapeWithin, mention } from '../mrkdwn.js';
import { textMessage, type SlackMessage } from '../slack-message.js';
import { when } from './rotation-text.js';

/** The planned-window form, pushed on top of the rotation modal: start, expected duration, expected impact. */
export function windowPlanModal(metadata: WindowMetadata, secretName: string, current: RotationWindow | null): ModalView {
  const startSeconds = current ? Math.floor(Date.parse(current.startsAt) / 1000) : undefined;
  const minutes = current ? Math.round((Date.parse(current.endsAt) - Date.parse(current.startsAt)) / 60_000) : undefined;
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.rotationWindow,
    title: { type: 'plain_text', text: 'Plan a window' },
    submit: { type: 'plain_text', text: 'Plan and notify' },
    close: { type: 'plain_text', text: 'Back' },
    private_metadata: encodeWindowMetadata(metadata),
    blocks: [
      section(
        `${code(secretName)}: its consumers' channels and the announcement channel are told now, before the window and when it starts. Irreversible steps stay locked outside it.`,
      ),
      {
        type: 'input',
        block_id: WINDOW_BLOCKS.start,
        label: { type: 'plain_text', text: 'Starts' },
        element: {
          type: 'datetimepicker',
          action_id: FORM_VALUE_ACTION,
          ...(startSeconds !== undefined ? { initial_date_time: startSeconds } : {}),
        },
      },
      {
        type: 'input',
        block_id: WINDOW_BLOCKS.duration,
        label: { type: 'plain_text', text: 'Expected duration (minutes)' },
        element: {
          type: 'number_input',
          action_id: FORM_VALUE_ACTION,
          is_decimal_allowed: false,
          min_value: String(MIN_WINDOW_MINUTES),
          max_value: String(MAX_WINDOW_MINUTES),
          ...(minutes !== undefined ? { initial_value: String(minutes) } : {}),
        },
      },
      {
        type: 'input',
        block_id: WINDOW_BLOCKS.impact,
        label: { type: 'plain_text', text: 'Expected impact' },
        hint: { type: 'plain_text', text: 'What the consumers should expect, e.g. "15 min, no impact expected". Never paste a value.' },
        element: {
          type: 'plain_text_input',
          action_id: FORM_VALUE_ACTION,
          max_length: MAX_IMPACT_LENGTH,
          ...(current ? { initial_value: current.impact } : {}),
        },
      },
    ],
  };
}

const HEADLINES: Record<WindowNotice, (name: string) => string> = {
  planned: (name) => `:calendar: A rotation of ${name} is planned`,
  reminder: (name) => `:alarm_clock: Reminder: the rotation of ${name} is coming up`,
  started: (name) => `:arrow_forward: The rotation window of ${name} has started`,
};

/** To a consumer's or the announcement channel: the window planned, coming up, or started. */
export function windowNotice(kind: WindowNotice, window: ScheduledWindow): SlackMessage {
  const lines = [
    `${HEADLINES[kind](code(window.secretName))} (${window.environment}).`,
    `*Window:* ${when(window.startsAt)} to ${when(window.endsAt)}`,
    `*Expected impact:* “${escapeWithin(window.impact, 500)}”`,
    `*Owner:* ${mention(window.owner)} · planned by ${mention(window.plannedBy)}`,
  ];
  return textMessage(lines.join('\n'));
}
