import type { HomeView, KnownBlock, ModalView } from '@slack/types';
import { LIMITS } from '../../src/slack/views/block-kit-limits.js';

/**
 * Slack's Block Kit limits, checked by walking a surface: no offline validator catches these,
 * and Slack answers `invalid_blocks` at run time. Returns every violation found.
 */
export function blockKitViolations(
  surface: { kind: 'message'; blocks: KnownBlock[] } | { kind: 'modal'; view: ModalView } | { kind: 'home'; view: HomeView },
): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const blocks = surface.kind === 'message' ? surface.blocks : surface.view.blocks;
  check(
    blocks.length <= (surface.kind === 'message' ? LIMITS.messageBlocks : LIMITS.viewBlocks),
    `${blocks.length} blocks in a ${surface.kind}`,
  );
  if (surface.kind === 'modal') {
    const view = surface.view;
    check(view.title.text.length <= LIMITS.viewTitle, `title "${view.title.text}" over ${LIMITS.viewTitle}`);
    if (view.submit) check(view.submit.text.length <= LIMITS.viewButton, 'submit over 24');
    if (view.close) check(view.close.text.length <= LIMITS.viewButton, 'close over 24');
    check((view.private_metadata ?? '').length <= LIMITS.privateMetadata, 'private_metadata over 3000');
    check((view.callback_id ?? '').length <= LIMITS.id, 'callback_id over 255');
  }
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) return value.forEach((item, index) => walk(item, `${path}[${index}]`));
    if (!value || typeof value !== 'object') return;
    const node = value as Record<string, unknown>;
    for (const key of ['action_id', 'block_id'] as const)
      if (typeof node[key] === 'string') check((node[key] as string).length <= LIMITS.id, `${path}.${key} over 255`);
    if (node.type === 'section') {
      const text = (node.text as { text?: string } | undefined)?.text ?? '';
      check(text.length <= LIMITS.sectionText, `${path} section text ${text.length} > 3000`);
      const fields = (node.fields as { text: string }[] | undefined) ?? [];
      check(fields.length <= 10, `${path} has ${fields.length} fields`);
      for (const field of fields) check(field.text.length <= 2000, `${path} field over 2000`);
    }
    if (node.type === 'header') check(((node.text as { text: string }).text ?? '').length <= LIMITS.headerText, `${path} header over 150`);
    if (node.type === 'actions') check((node.elements as unknown[]).length <= LIMITS.actionsElements, `${path} actions over 25 elements`);
    if (node.type === 'context') check((node.elements as unknown[]).length <= LIMITS.contextElements, `${path} context over 10 elements`);
    if (node.type === 'button') {
      check(((node.text as { text: string }).text ?? '').length <= LIMITS.buttonText, `${path} button text over 75`);
      if (typeof node.value === 'string') check(node.value.length <= LIMITS.buttonValue, `${path} button value over 2000`);
    }
    if (node.type === 'static_select') {
      const options = (node.options as unknown[] | undefined) ?? [];
      check(options.length <= LIMITS.selectOptions, `${path} select over 100 options`);
    }
    if (node.type === 'radio_buttons' || node.type === 'checkboxes')
      check(((node.options as unknown[] | undefined) ?? []).length <= 10, `${path} ${node.type} over 10 options`);
    if (Array.isArray(node.options)) {
      // An option object: text and description at most 75 characters.
      for (const option of node.options as { text: { text: string }; description?: { text: string } }[]) {
        check(option.text.text.length <= LIMITS.optionText, `${path} option text "${option.text.text}" over 75`);
        check(
          (option.description?.text ?? '').length <= LIMITS.optionText,
          `${path} option description "${option.description?.text ?? ''}" over 75`,
        );
      }
    }
    if (node.type === 'plain_text_input') {
      const placeholder = (node.placeholder as { text: string } | undefined)?.text ?? '';
      check(placeholder.length <= 150, `${path} placeholder over 150`);
    }
    if (node.type === 'context')
      for (const element of (node.elements as { text?: string }[]) ?? [])
        check((element.text ?? '').length <= LIMITS.sectionText, `${path} context text over 3000`);
    if (node.confirm && typeof node.confirm === 'object') {
      // A confirmation dialog: title 100, text 300, its buttons 30 characters.
      const confirm = node.confirm as {
        title?: { text: string };
        text?: { text: string };
        confirm?: { text: string };
        deny?: { text: string };
      };
      check((confirm.title?.text ?? '').length <= 100, `${path} confirm title over 100`);
      check((confirm.text?.text ?? '').length <= 300, `${path} confirm text over 300`);
      check((confirm.confirm?.text ?? '').length <= 30 && (confirm.deny?.text ?? '').length <= 30, `${path} confirm buttons over 30`);
    }
    if (node.type === 'input') {
      check(((node.label as { text: string }).text ?? '').length <= 2000, `${path} label over 2000`);
      check(((node.hint as { text: string } | undefined)?.text ?? '').length <= 2000, `${path} hint over 2000`);
    }
    if (node.type === 'plain_text_input' && typeof node.initial_value === 'string' && typeof node.max_length === 'number') {
      check(node.initial_value.length <= node.max_length, `${path} initial value longer than max_length`);
    }
    for (const [key, inner] of Object.entries(node)) if (key !== 'text') walk(inner, `${path}.${key}`);
  };
  walk(blocks, 'blocks');
  return problems;
}
