import type { ModalView, PlainTextElement } from '@slack/types';
import { section } from './blocks.js';

/**
 * A modal that only says why a click inside it was refused, for a modal whose owner draws no
 * better view of its own: it keeps the modal's title, callback and metadata, so the person
 * knows where they are and can close it.
 */
export function refusalModal(
  modal: { callbackId: string; title: PlainTextElement | null; privateMetadata: string },
  message: string,
): ModalView {
  return {
    type: 'modal',
    callback_id: modal.callbackId,
    title: modal.title ?? { type: 'plain_text', text: 'Rotor' },
    close: { type: 'plain_text', text: 'Close' },
    private_metadata: modal.privateMetadata,
    blocks: [section(message)],
  };
}
