/** Block Kit limits no offline validator checks; view builders stay within them and tests assert them. */
export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  viewTitle: 24,
  viewButton: 24,
  sectionText: 3000,
  headerText: 150,
  actionsElements: 25,
  selectOptions: 100,
  buttonText: 75,
  buttonValue: 2000,
  privateMetadata: 3000,
  id: 255,
  contextElements: 10,
  optionText: 75,
} as const;
