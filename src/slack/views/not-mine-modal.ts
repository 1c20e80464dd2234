import type { ModalView } from '@slack/types';
import { MAX_NOTE_LENGTH } from '../../reminders/reminder-actions-service.js';
import { NOT_MINE_BLOCKS, NOT_MINE_VALUE_ACTION, REMINDER_CALLBACK_IDS } from './reminder-ids.js';
import { truncate } from './mrkdwn.js';

/** What the Not-mine modal carries between opening and submission (Slack echoes it back). */
export interface NotMineMetadata {
  /** Ledger key of the reminder. */
  key: string;
}

/** Asks who really owns the secret (a person, or nobody known) and for an optional note. */
export function notMineModal(key: string, secretName: string): ModalView {
  const metadata: NotMineMetadata = { key };
  return {
    type: 'modal',
    callback_id: REMINDER_CALLBACK_IDS.notMine,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Not mine' },
    submit: { type: 'plain_text', text: 'Tell the admins' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      // plain_text: Slack shows the name literally, so nothing in it needs escaping.
      { type: 'section', text: { type: 'plain_text', text: truncate(`You were reminded about ${secretName}. Rotor's admins and security leads will be told it is not yours.`, 3000) } },
      {
        type: 'input',
        block_id: NOT_MINE_BLOCKS.rightOwner,
        optional: true,
        label: { type: 'plain_text', text: 'Who owns it?' },
        hint: { type: 'plain_text', text: 'Leave empty if you do not know.' },
        element: { type: 'users_select', action_id: NOT_MINE_VALUE_ACTION, placeholder: { type: 'plain_text', text: 'Pick a person' } },
      },
      {
        type: 'input',
        block_id: NOT_MINE_BLOCKS.note,
        optional: true,
        label: { type: 'plain_text', text: 'Note' },
        element: { type: 'plain_text_input', action_id: NOT_MINE_VALUE_ACTION, multiline: true, max_length: MAX_NOTE_LENGTH, placeholder: { type: 'plain_text', text: 'e.g. the payments team took it over in March' } },
      },
    ],
  };
}
