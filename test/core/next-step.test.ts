import { describe, expect, it } from 'vitest';
import { AccessDeniedError } from '../../src/access/authorize.js';
import { describeError, NotFoundError, RotorError, ValidationError } from '../../src/core/errors.js';
import { CLI_NEXT_STEP_WORDS } from '../../src/cli/cli-next-step.js';
import { type ActionStep, type Hint, type NextStep, type PersonAction, sayHint, slashCommandOf } from '../../src/core/next-step.js';
import { CleanupFailedError } from '../../src/rotation/rotation-errors.js';
import { userMessageFor } from '../../src/slack/errors.js';

const rotate = (name: string, lead: string, purpose?: string): NextStep => ({
  kind: 'run_command',
  command: 'rotate',
  args: [name],
  lead,
  ...(purpose ? { purpose } : {}),
});

describe('next steps: the domain names the command, each surface says it', () => {
  it('the message keeps only what went wrong; the step follows a semicolon, or is a sentence after a full stop', () => {
    const open = new RotorError('conflict', 'db-password is already being rotated by U1', {
      next: rotate('db-password', 'run', 'to continue that rotation'),
    });
    expect(open.brief).toBe('db-password is already being rotated by U1');
    expect(open.next?.command).toBe('rotate');
    expect(open.message).toBe('db-password is already being rotated by U1; run `/rotate db-password` to continue that rotation.');
    const ended = new RotorError('conflict', 'The rotation of db-password was completed; nothing more can be done in it.', {
      next: rotate('db-password', 'run', 'to see where it stands'),
    });
    expect(ended.message).toBe(
      'The rotation of db-password was completed; nothing more can be done in it. Run `/rotate db-password` to see where it stands.',
    );
  });

  it('Slack renders the slash command; another surface may render its own words', () => {
    const error = new ValidationError('This rotation of db-password has no step `x`', [], {
      next: rotate('db-password', 'reopen it with'),
    });
    expect(userMessageFor(error).text).toBe(
      ':warning: This rotation of db-password has no step `x`; reopen it with `/rotate db-password`.',
    );
    expect(describeError(error, slashCommandOf)).toBe(error.message);
    expect(describeError(error, (step) => `the ${step.command} step for ${step.args.join(' ')}`)).toBe(
      'This rotation of db-password has no step `x`; reopen it with the rotate step for db-password.',
    );
  });

  it('a command given as an aside follows its lead in parentheses, and the purpose after a comma', () => {
    const open = new RotorError('conflict', 'The emergency rotation of dev/db is still open:', {
      next: { ...rotate('dev/db', 'complete it, or abandon it with a reason', 'then close incident #3'), aside: true },
    });
    expect(open.message).toBe(
      'The emergency rotation of dev/db is still open: complete it, or abandon it with a reason (`/rotate dev/db`), then close incident #3.',
    );
    expect(open.say((step) => `rotor's ${step.command} in Slack`)).toBe(
      "The emergency rotation of dev/db is still open: complete it, or abandon it with a reason (rotor's rotate in Slack), then close incident #3.",
    );
    const gate = new RotorError('conflict', 'dev/b is step 2 of the plan for b: it starts once dev/a is verified.', {
      next: { ...rotate('dev/a', 'rotate dev/a first'), aside: true },
    });
    expect(gate.message).toBe('dev/b is step 2 of the plan for b: it starts once dev/a is verified. Rotate dev/a first (`/rotate dev/a`).');
  });

  it('a hint that is not thrown is said the same way: the brief alone, or with its step in the surface words', () => {
    const held: Hint = {
      brief: '`dev/db` is being rotated (rotation #1). Nothing was saved.',
      next: rotate('dev/db', 'finish or abandon it with', 'before changing its provider or reference'),
    };
    expect(sayHint(held)).toBe(
      '`dev/db` is being rotated (rotation #1). Nothing was saved. Finish or abandon it with `/rotate dev/db` before changing its provider or reference.',
    );
    expect(sayHint({ brief: 'Close the incident first. Nothing was saved.' })).toBe('Close the incident first. Nothing was saved.');
  });

  it('after a colon the step ends the sentence as it is', () => {
    const single = new RotorError('validation', 'Only dev/db exists:', { next: rotate('dev/db', 'rotate it with') });
    expect(single.brief).toBe('Only dev/db exists:');
    expect(single.message).toBe('Only dev/db exists: rotate it with `/rotate dev/db`.');
  });

  it('a refusal carries its next step, and the refusal log keeps the whole sentence', () => {
    const policyless = new AccessDeniedError('Revocation is only allowed in an incident channel (<#C1>).', [], null, {
      kind: 'run_command',
      command: 'revoke',
      args: [],
      lead: 'run',
      purpose: 'there',
    });
    expect(policyless.next?.command).toBe('revoke');
    expect(policyless.reason).toBe('Revocation is only allowed in an incident channel (<#C1>). Run `/revoke` there.');
    expect(policyless.message).toBe(policyless.reason);
  });

  it('an error without a next step reads as before', () => {
    const error = new NotFoundError('No secret named x.', ['y']);
    expect(error.next).toBeNull();
    expect(describeError(error)).toBe('No secret named x. Did you mean: y?');
  });

  describe('an action (a button the person can use): the domain names it, each surface says it', () => {
    const action = (name: PersonAction, words: Partial<ActionStep> = {}): ActionStep => ({
      kind: 'action',
      action: name,
      args: [],
      lead: '',
      ...words,
    });

    it("Slack says the button as it reads there, in the error's message, a hint and a modal's problem text", () => {
      const unknown = new RotorError(
        'provider',
        'Whether “Promote” happened at the store is unknown: nothing is decided until the store is asked.',
        {
          next: action('check_store', { purpose: '(Rotor also asks it by itself in a few minutes)' }),
        },
      );
      expect(unknown.next?.kind).toBe('action');
      expect(unknown.brief).not.toContain('Check the store');
      expect(unknown.message).toBe(
        'Whether “Promote” happened at the store is unknown: nothing is decided until the store is asked. Press “Check the store” (Rotor also asks it by itself in a few minutes).',
      );
      expect(sayHint({ brief: 'Rotor stopped before Vault wrote a new version:', next: action('create_version') })).toBe(
        'Rotor stopped before Vault wrote a new version: press “Try again: Create new version”.',
      );
      const ticked = new ValidationError('“Create the new version” is done by Rotor at the provider:', [], {
        next: action('run_step', { purpose: 'instead of ticking it' }),
      });
      expect(userMessageFor(ticked).text).toBe(
        ':warning: “Create the new version” is done by Rotor at the provider: press its button instead of ticking it.',
      );
    });

    it('the CLI says the `rotor` command that does the same where there is one, else the button by its label, in Slack', () => {
      const closing = new ValidationError('Incident #3 cannot close yet: the compromised version is live (read back just now).', [], {
        next: action('override_close', {
          args: ['3'],
          lead: 'disable it at the store by hand first, or a second responder (not U1, who leads it) closes it with an override and the reason:',
        }),
      });
      expect(closing.message).toBe(
        'Incident #3 cannot close yet: the compromised version is live (read back just now). Disable it at the store by hand first, or a second responder (not U1, who leads it) closes it with an override and the reason: *Close incident…* on the status message, or `rotor incidents close 3 --postmortem <link> --override <reason>`.',
      );
      expect(describeError(closing, CLI_NEXT_STEP_WORDS)).toBe(
        'Incident #3 cannot close yet: the compromised version is live (read back just now). Disable it at the store by hand first, or a second responder (not U1, who leads it) closes it with an override and the reason: `rotor incidents close 3 --postmortem <link> --override <reason>`.',
      );
      expect(describeError(closing, CLI_NEXT_STEP_WORDS)).not.toMatch(/\*Close incident/);
      const neverStarted = new RotorError('conflict', 'The emergency rotation of incident #3 never started', {
        next: action('retry_incident', { args: ['3'], lead: '', purpose: 'and complete or abandon it before closing' }),
      });
      expect(describeError(neverStarted, CLI_NEXT_STEP_WORDS)).toBe(
        "The emergency rotation of incident #3 never started; press Retry on the incident's status message in Slack and complete or abandon it before closing.",
      );
      const stopped = new RotorError('conflict', 'Rotor stopped before the store made version v2 current (v1 still is):', {
        next: action('promote'),
      });
      expect(stopped.say(CLI_NEXT_STEP_WORDS)).toBe(
        'Rotor stopped before the store made version v2 current (v1 still is): press “Try again: Promote” in Slack.',
      );
      // A cleanup Rotor could not do: Slack's text as before, the CLI names the choice as done in Slack.
      const cleanup = new CleanupFailedError(
        {
          problem: 'Could not clean up (Vault is sealed).',
          retry: 'Try again when Vault answers',
          byHand: '`vault kv rollback -version=1 x`',
        },
        null,
      );
      expect(cleanup.message).toBe(
        'Could not clean up (Vault is sealed). Nothing was recorded. Try again when Vault answers, or do it by hand (`vault kv rollback -version=1 x`) and then choose “Abandon: cleaned up by hand…”.',
      );
      expect(describeError(cleanup, CLI_NEXT_STEP_WORDS)).toBe(
        'Could not clean up (Vault is sealed). Nothing was recorded. Try again when Vault answers, or do it by hand (`vault kv rollback -version=1 x`) and then choose “Abandon: cleaned up by hand…” in Slack.',
      );
      // A command is the slash command on the CLI too: a rotation is done in Slack.
      expect(describeError(new RotorError('conflict', 'Open:', { next: rotate('dev/db', 'continue it with') }), CLI_NEXT_STEP_WORDS)).toBe(
        'Open: continue it with `/rotate dev/db`.',
      );
    });

    it('another way follows after ", or ", each said in the same surface\'s words', () => {
      const changed = new RotorError('conflict', 'Someone changed it meanwhile.', {
        next: action('abandon', {
          lead: 'then',
          or: action('promote', { purpose: 'only if v2 must be current' }),
        }),
      });
      expect(changed.message).toBe(
        'Someone changed it meanwhile. Then press “Abandon…”, or press “Try again: Promote” only if v2 must be current.',
      );
      expect(changed.say({ command: slashCommandOf, action: (step) => `[${step.action}]` })).toBe(
        'Someone changed it meanwhile. Then [abandon], or [promote] only if v2 must be current.',
      );
    });
  });
});
