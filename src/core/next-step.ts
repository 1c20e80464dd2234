/**
 * What a person can do next after a refusal, without any surface's words: a command to run, or an
 * action to take (a button the person can use). Slack says a command as a slash command, and so do
 * the CLI and the logs (the command is run in Slack); an action as Slack's button, the CLI as its
 * `rotor` command where one does the same; a Workflow Builder step may say either otherwise. The
 * domain names the command or the action and its arguments; each surface renders the phrase.
 */
export type NextStep = CommandStep | ActionStep;

/** The words around a step, the same for a command and an action. */
interface StepWords {
  /** The words before the command or action: "run", "reopen it with", "start a new rotation with"; may be empty. */
  lead: string;
  /** The words after it, if any: "to continue that rotation", "again". */
  purpose?: string;
  /**
   * The command as an aside, in parentheses after the lead (`rotate it first (/rotate NAME)`): the
   * lead says what to do and the command only where; `purpose` then follows after a comma.
   */
  aside?: boolean;
  /** Another way, said after this one with ", or ": abandon the rotation, or try again. */
  or?: NextStep;
}

export interface CommandStep extends StepWords {
  kind: 'run_command';
  /** One of Rotor's slash commands, with its subcommand: `rotate`, `revoke`, `secrets edit`, `secrets owner`. */
  command: 'rotate' | 'revoke' | 'secrets edit' | 'secrets owner';
  args: readonly string[];
}

/**
 * What a person may do by an action of their own (in Slack, a button): ask the store what became of
 * a step (`check_store`), run a rotation's provider step (`run_step`), run one named again after it
 * failed or Rotor stopped in it (`create_version`, `detect_version`, `run_store_rotation`, `promote`:
 * the step then holds that as its last error, so its button reads “Try again: <label>”), abandon
 * the rotation (or, where Rotor could not clean up at the store, abandon it saying it was cleaned
 * up by hand: `abandon_by_hand`), retry an incident's failed step (`retry_incident`), or close an incident with an
 * override (`override_close`, its id in `args`).
 */
export type PersonAction =
  | 'check_store'
  | 'run_step'
  | 'create_version'
  | 'detect_version'
  | 'run_store_rotation'
  | 'promote'
  | 'abandon'
  | 'abandon_by_hand'
  | 'retry_incident'
  | 'override_close';

export interface ActionStep extends StepWords {
  kind: 'action';
  action: PersonAction;
  /** What it acts on, where the action needs it: an incident's id. */
  args: readonly string[];
  /** An action is no command (so `step.command` reads as undefined on any step). */
  command?: never;
}

/** What stands in a person's way, without any surface's words: the reason and, if any, what to do next. */
export type Hint = {
  brief: string;
  next?: NextStep;
};

/**
 * A store's refusal of a reference that names nothing there: fix the secret's reference with
 * `/secrets edit <name>` (after a store's own hint in `lead`), or do `purpose` at the store.
 */
export function fixReferenceStep(secret: string, words: { lead?: string; purpose?: string } = {}): NextStep {
  return {
    kind: 'run_command',
    command: 'secrets edit',
    args: [secret],
    lead: words.lead ?? 'fix the reference with',
    ...(words.purpose ? { purpose: words.purpose } : {}),
  };
}

/** How a surface says a command: as it types it (the lead and purpose are added around it). */
export type NextStepCommand = (step: CommandStep) => string;

/** How a surface says an action: its own words for the button (or what does the same there). */
export type NextStepAction = (step: ActionStep) => string;

/** A surface's words for next steps: its command words alone (actions then as Slack says them), or both. */
export type NextStepWords = NextStepCommand | { command: NextStepCommand; action: NextStepAction };

/** A step rendered by a surface's words: `run <command> to continue that rotation`. */
export function sayNextStep(step: NextStep, words: NextStepWords): string {
  const named = step.kind === 'action' ? actionWordsOf(words)(step) : commandWordsOf(words)(step);
  const said = step.aside
    ? `${step.lead} (${named})${step.purpose ? `, ${step.purpose}` : ''}`
    : [step.lead, named, step.purpose].filter((part) => part).join(' ');
  return step.or ? `${said}, or ${sayNextStep(step.or, words)}` : said;
}

/** A hint as one text in a surface's words (by default Slack's, as RotorError's message says it). */
export function sayHint(hint: Hint, words: NextStepWords = slashCommandOf): string {
  return hint.next ? withNextStep(hint.brief, hint.next, words) : hint.brief;
}

/**
 * A message and its next step as one text: after a full stop the step is a sentence of its own,
 * after a colon it ends the sentence, otherwise it follows a semicolon.
 */
export function withNextStep(message: string, step: NextStep, words: NextStepWords): string {
  const said = sayNextStep(step, words);
  if (message.endsWith('.')) return `${message} ${said.charAt(0).toUpperCase()}${said.slice(1)}.`;
  return message.endsWith(':') ? `${message} ${said}.` : `${message}; ${said}.`;
}

/**
 * The slash command as typed in Slack, `/rotate <name>`: what Slack shows, and what the CLI and
 * the logs say too (a rotation is done in Slack, whoever reads the message).
 */
export function slashCommandOf(step: CommandStep): string {
  return `\`/${[step.command, ...step.args].join(' ')}\``;
}

/** An action's button as it reads in Slack (the incident's on its status message). */
const SLACK_BUTTONS: Readonly<Record<PersonAction, string>> = {
  check_store: 'press “Check the store”',
  run_step: 'press its button',
  create_version: 'press “Try again: Create new version”',
  detect_version: 'press “Try again: Detect new version”',
  run_store_rotation: 'press “Try again: Run / check the rotation”',
  promote: 'press “Try again: Promote”',
  abandon: 'press “Abandon…”',
  abandon_by_hand: 'choose “Abandon: cleaned up by hand…”',
  retry_incident: 'press Retry on the status message',
  override_close: '*Close incident…* on the status message',
};

/**
 * How Slack says an action: the button a person presses, as it reads there; closing with an
 * override names the CLI's command too, as a second responder may not have the status message at hand.
 */
export function slackButtonOf(step: ActionStep): string {
  const button = SLACK_BUTTONS[step.action];
  return step.action === 'override_close' ? `${button}, or \`${overrideCloseCommand(step)}\`` : button;
}

/** The `rotor` command that closes an incident with an override, for the incident in `args`. */
export function overrideCloseCommand(step: ActionStep): string {
  return `rotor incidents close ${step.args[0] ?? '<incident>'} --postmortem <link> --override <reason>`;
}

function commandWordsOf(words: NextStepWords): NextStepCommand {
  return typeof words === 'function' ? words : words.command;
}

function actionWordsOf(words: NextStepWords): NextStepAction {
  return typeof words === 'function' ? slackButtonOf : words.action;
}
