/**
 * What the CLI prints comes partly from people (notes, reasons, descriptions, tickets) and from
 * a database file anyone with access can edit. Printed raw, an escape sequence in it drives the
 * reader's terminal: recolours or hides lines, moves the cursor over earlier output, sets the
 * window title. So every C0 control but tab and line feed, DEL and every C1 control is dropped
 * from what the CLI writes; a carriage return survives only as part of CRLF (calendar files need it).
 */
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\r(?!\n)/g;

export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_CONTROLS, '');
}
