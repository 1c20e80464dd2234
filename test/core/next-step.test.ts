import { describe, expect, it } from 'vitest';
import { AccessDeniedError } from '../../src/access/authorize.js';
import { describeError, NotFoundError, RotorError, ValidationError } from '../../src/core/errors.js';
import { sayHint, slashCommandOf, type Hint, type NextStep } from '../../src/core/next-step.js';
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
});
