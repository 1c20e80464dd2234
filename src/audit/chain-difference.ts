import { DateTime } from 'luxon';
import { canonicalJson } from './audit-event.js';

/**
 * A fact the rotation, incident or inventory tables hold that the audit chain records
 * otherwise, or not at all. The tables are what anyone who can write the database file can
 * change unseen; the chain is what `rotor audit verify` proves.
 */
export interface ChainDifference {
  /** What it is about: `rotation #3`, `incident #2`, `secret prod/app/db`. */
  subject: string;
  /** Which fact: `ticket`, `approval (security lead)`, `step verify: note`. */
  fact: string;
  /** What the tables say, and what the chain says; null when one of them holds nothing. */
  tables: string | null;
  chain: string | null;
  /** The audit event the chain's side comes from, when there is one. */
  seq: number | null;
}

/** What a check against the chain found: the differences, and the facts the chain does not hold. */
export interface ChainCheck {
  differences: ChainDifference[];
  /** Facts printed from the tables alone, because events written before Rotor recorded them lack them. */
  uncovered: string[];
}

/** Several checks as one. */
export function mergeChecks(...checks: readonly (ChainCheck | null | undefined)[]): ChainCheck {
  return {
    differences: checks.flatMap((check) => check?.differences ?? []),
    uncovered: checks.flatMap((check) => check?.uncovered ?? []),
  };
}

/** One difference as a sentence: what the tables say, then what the chain says and where. */
export function describeDifference(difference: ChainDifference): string {
  const where = difference.seq === null ? 'the audit chain' : `the audit chain (event #${difference.seq})`;
  const tables = difference.tables === null ? 'the tables hold nothing' : `the tables say ${difference.tables}`;
  const chain = difference.chain === null ? `${where} records nothing` : `${where} says ${difference.chain}`;
  return `${difference.subject}, ${difference.fact}: ${tables}; ${chain}.`;
}

/**
 * How far a time in the tables may be from its event's: the tables take the time just before
 * their transaction, the event is stamped as it is appended, after any wait for the write lock.
 */
const SAME_INSTANT_MS = 60_000;

/** Two instants the same to within a minute (both absent counts as the same). */
export function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  const left = DateTime.fromISO(a, { zone: 'utc' });
  const right = DateTime.fromISO(b, { zone: 'utc' });
  if (!left.isValid || !right.isValid) return a === b;
  return Math.abs(left.toMillis() - right.toMillis()) <= SAME_INSTANT_MS;
}

/** A value in a difference's sentence: quoted text, `none`, or JSON for lists and records. */
export function shown(value: unknown): string {
  if (value === null || value === undefined || value === '') return 'none';
  if (typeof value === 'string') return `“${value}”`;
  return JSON.stringify(value);
}

/** Equal as stored: strings and numbers as they are, lists and records by their JSON. */
export function sameValue(a: unknown, b: unknown): boolean {
  const normal = (value: unknown) => (value === undefined || value === '' ? null : value);
  const [left, right] = [normal(a), normal(b)];
  if (left === right) return true;
  // Details come back from canonical JSON with their keys sorted; the tables keep them as written.
  return typeof left === 'object' && typeof right === 'object' && canonicalJson(left) === canonicalJson(right);
}

/** Collects the differences of one subject. */
export class DifferenceList {
  readonly differences: ChainDifference[] = [];
  readonly uncovered: string[] = [];

  constructor(private readonly subject: string) {}

  /** Records a difference unless the two sides agree (`same`: how to compare; exact by default). */
  compare(
    fact: string,
    tables: unknown,
    chain: unknown,
    seq: number | null,
    same: (a: unknown, b: unknown) => boolean = sameValue,
  ): boolean {
    if (same(tables, chain)) return true;
    this.add(
      fact,
      tables === null || tables === undefined ? null : shown(tables),
      chain === null || chain === undefined ? null : shown(chain),
      seq,
    );
    return false;
  }

  /** Compares two instants to within a minute. */
  compareInstant(fact: string, tables: string | null, chain: string | null, seq: number | null): boolean {
    return this.compare(fact, tables, chain, seq, (a, b) => sameInstant(a as string | null, b as string | null));
  }

  add(fact: string, tables: string | null, chain: string | null, seq: number | null): void {
    this.differences.push({ subject: this.subject, fact, tables, chain, seq });
  }

  /** A fact the chain does not hold for this subject (events from before Rotor recorded it). */
  notCovered(fact: string): void {
    this.uncovered.push(`${this.subject}: ${fact}`);
  }

  check(): ChainCheck {
    return { differences: this.differences, uncovered: this.uncovered };
  }
}
