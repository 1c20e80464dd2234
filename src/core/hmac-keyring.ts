import { createHmac, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

/** One HMAC-SHA256 key, known by an id derived from it so records can say which key made them. */
export interface HmacKey {
  /** 12 hex characters of HMAC(key, "rotor key id"): names the key without revealing it. */
  readonly id: string;
  /** HMAC-SHA256 of the parts, in order, as lower-case hex. */
  mac(...parts: (string | Uint8Array)[]): string;
}

/** The shortest key Rotor accepts: 32 characters, e.g. `openssl rand -hex 32` (64). */
export const MIN_KEY_LENGTH = 32;

/**
 * Keys from one environment variable: `new,old,older`. The first one signs; the others are
 * kept only to check what they signed before a rotation. The key material stays inside this
 * object: it serialises and prints as its key ids only, so a careless log line cannot carry it.
 */
export class HmacKeyring {
  readonly current: HmacKey;
  private readonly keys: ReadonlyMap<string, HmacKey>;

  private constructor(keys: readonly HmacKey[]) {
    this.current = keys[0] as HmacKey;
    this.keys = new Map(keys.map((key) => [key.id, key]));
  }

  /** Null when the variable is unset; the env schema has already checked each key's length. */
  static fromEnv(text: string | undefined): HmacKeyring | null {
    const secrets = splitKeys(text);
    return secrets.length === 0 ? null : new HmacKeyring(secrets.map(hmacKey));
  }

  byId(id: string): HmacKey | undefined {
    return this.keys.get(id);
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  toJSON(): { keyIds: string[] } {
    return { keyIds: this.ids };
  }

  [inspect.custom](): string {
    return `HmacKeyring(${this.ids.join(', ')})`;
  }
}

/** The comma-separated keys of a key variable, trimmed, empty entries dropped. */
export function splitKeys(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
}

/** The id a key is known by (also what `rotor` prints and events record). */
export function keyIdOf(secret: string): string {
  return createHmac('sha256', secret).update('rotor key id').digest('hex').slice(0, 12);
}

/** Compares two hex MACs in constant time. */
export function sameMac(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function hmacKey(secret: string): HmacKey {
  const id = keyIdOf(secret);
  return Object.freeze({
    id,
    mac: (...parts: (string | Uint8Array)[]) => {
      const hmac = createHmac('sha256', secret);
      for (const part of parts) hmac.update(part);
      return hmac.digest('hex');
    },
    toJSON: () => ({ id }),
    [inspect.custom]: () => `HmacKey(${id})`,
  });
}
