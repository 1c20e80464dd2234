import { cliActor, type Actor } from '../../src/access/actor.js';

export { slackActor } from '../../src/access/actor.js';

/** An operator at the CLI: the actor tests seed and arrange with (the policy table does not restrict it). */
export function operator(name = 'test'): Actor {
  return cliActor(name);
}
