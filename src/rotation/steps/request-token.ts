import { randomUUID } from 'node:crypto';

/**
 * The token a store-changing run is done under: recorded before the call, it lets a later check
 * (after a crash, a lost answer or a retry) find what that run left at the store.
 */
export function newRequestToken(): string {
  return randomUUID();
}
