/**
 * The follow-ups of automatic rotation, by kind: durable and claimed once, so a restart or a
 * second replica neither loses nor repeats a start, a step or a removal.
 */
export const AUTOMATIC_FOLLOW_UPS = {
  /** Opens the rotation of a due secret; topic `automatic:<secret id>`, occurrence `<due date>:v<value>:a<attempt>`. */
  start: 'automatic_rotation.start',
  /** Runs the rotation's steps, from the current one on; topic `rotation:<id>`, occurrence names why. */
  drive: 'automatic_rotation.drive',
  /** Removes the previous version (and retires the old credential at its target) once the retention window ends; topic `rotation:<id>`. */
  remove: 'automatic_rotation.remove',
  /** Tells a person or a channel what went wrong or that Rotor stopped; topic `automatic:<secret id>`. */
  notice: 'automatic_rotation.notice',
} as const;

export function automaticTopic(secretId: number): string {
  return `automatic:${secretId}`;
}

/** What a notice says: a first failure (with the error and what to do), a removal that failed, or Rotor stopped and escalates. */
export type AutomaticNoticeEvent = 'failed' | 'stopped' | 'removal_failed';

/** The payload of a notice follow-up: facts only, never a value. */
export interface AutomaticNoticePayload {
  event: AutomaticNoticeEvent;
  secret: string;
  rotation: number | null;
  /** The user (a DM) or channel told. */
  user?: string;
  channel?: string;
  /** The step that failed, in words, and the error it gave (never a value: executors' messages are written for people). */
  step: string | null;
  error: string;
  /** How many times it failed. */
  failures: number;
  /** When Rotor tries again, or null. */
  retryAt: string | null;
}
