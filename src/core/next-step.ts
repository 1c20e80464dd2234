/**
 * What a person can do next after a refusal, without any surface's words: Slack says it as a
 * slash command, and so do the CLI and the logs (the command is run in Slack); a Workflow Builder
 * step may say it otherwise. The domain names the command and its arguments; each surface renders the phrase.
 */
export type NextStep = {
  kind: 'run_command';
  /** One of Rotor's slash commands, with its subcommand: `rotate`, `revoke`, `secrets edit`, `secrets owner`. */
  command: 'rotate' | 'revoke' | 'secrets edit' | 'secrets owner';
  args: readonly string[];
  /** The words before the command: "run", "reopen it with", "start a new rotation with". */
  lead: string;
  /** The words after it, if any: "to continue that rotation", "again". */
  purpose?: string;
  /**
   * The command as an aside, in parentheses after the lead (`rotate it first (/rotate NAME)`): the
   * lead says what to do and the command only where; `purpose` then follows after a comma.
   */
  aside?: boolean;
};

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

/** How a surface says a next step: the command as it types it (the lead and purpose are added around it). */
export type NextStepCommand = (step: NextStep) => string;

/** A step rendered by a surface's command words: `run <command> to continue that rotation`. */
export function sayNextStep(step: NextStep, command: NextStepCommand): string {
  if (step.aside) return `${step.lead} (${command(step)})${step.purpose ? `, ${step.purpose}` : ''}`;
  return [step.lead, command(step), step.purpose].filter((part) => part).join(' ');
}

/** A hint as one text in a surface's words (by default Slack's slash command, as RotorError's message says it). */
export function sayHint(hint: Hint, command: NextStepCommand = slashCommandOf): string {
  return hint.next ? withNextStep(hint.brief, hint.next, command) : hint.brief;
}

/**
 * A message and its next step as one text: after a full stop the step is a sentence of its own,
 * after a colon it ends the sentence, otherwise it follows a semicolon.
 */
export function withNextStep(message: string, step: NextStep, command: NextStepCommand): string {
  const said = sayNextStep(step, command);
  if (message.endsWith('.')) return `${message} ${said.charAt(0).toUpperCase()}${said.slice(1)}.`;
  return message.endsWith(':') ? `${message} ${said}.` : `${message}; ${said}.`;
}

/**
 * The slash command as typed in Slack, `/rotate <name>`: what Slack shows, and what the CLI and
 * the logs say too (a rotation is done in Slack, whoever reads the message).
 */
export function slashCommandOf(step: NextStep): string {
  return `\`/${[step.command, ...step.args].join(' ')}\``;
}
