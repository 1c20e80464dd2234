import type { ModalView } from '@slack/types';
import { MAX_NOTE_LENGTH } from '../../reminders/reminder-actions-service.js';
import { CALLBACK_IDS, encodeNotMineMetadata, FORM_VALUE_ACTION, NOT_MINE_BLOCKS } from '../ids.js';
import { truncate } from './mrkdwn.js';

/** Asks who really owns the secret (a person, or nobody known) and for an optional note. */
export function notMineModal(key: string, secretName: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.notMine,
    private_metadata: encodeNotMineMetadata(key),
    title: { type: 'plain_text', text: 'Not mine' },
    submit: { type: 'plain_text', text: 'Tell the admins' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      // plain_text: Slack shows the name literally, so nothing in it needs escaping.
      {
        type: 'section',
        text: {
          type: 'plain_text',
          text: truncate(`You were reminded about ${secretName}. Rotor's admins and security leads will be told it is not yours.`, 3000),
        },
      },
      {
        type: 'input',
        block_id: NOT_MINE_BLOCKS.rightOwner,
        optional: true,
        label: { type: 'plain_text', text: 'Who owns it?' },
        hint: { type: 'plain_text', text: 'Leave empty if you do not know.' },
        element: { type: 'users_select', action_id: FORM_VALUE_ACTION, placeholder: { type: 'plain_text', text: 'Pick a person' } },
      },
      {
        type: 'input',
        block_id: NOT_MINE_BLOCKS.note,
        optional: true,
        label: { type: 'plain_text', text: 'Note' },
        element: {
          type: 'plain_text_input',
          action_id: FORM_VALUE_ACTION,
          multiline: true,
          max_length: MAX_NOTE_LENGTH,
          placeholder: { type: 'plain_text', text: 'e.g. the payments team took it over in March' },
        },
      },
    ],
  };
}
