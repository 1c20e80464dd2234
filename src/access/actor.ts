/**
 * Who is asking. Slack users are checked against the policy's roles and each secret's owners;
 * the CLI is an operator tool (whoever can run it can already read and write the database
 * file), and the system is Rotor's own scheduled work.
 */
export type Actor = { kind: 'slack'; userId: string; channelId?: string } | { kind: 'cli'; name: string } | { kind: 'system' };

export type SlackActor = Extract<Actor, { kind: 'slack' }>;

export function slackActor(userId: string, channelId?: string): SlackActor {
  return channelId ? { kind: 'slack', userId, channelId } : { kind: 'slack', userId };
}

export function cliActor(name: string): Actor {
  return { kind: 'cli', name };
}

export const SYSTEM_ACTOR: Actor = { kind: 'system' };

/** How the actor is named in the audit log: a Slack user id, `cli:<os user>`, or `rotor`. */
export function actorId(actor: Actor): string {
  switch (actor.kind) {
    case 'slack':
      return actor.userId;
    case 'cli':
      return `cli:${actor.name}`;
    case 'system':
      return 'rotor';
  }
}
