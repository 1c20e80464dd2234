import { InvalidArgumentError } from 'commander';

/** A whole number of at least `min`, for commander option parsers. */
export function wholeNumber(min: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}, got "${value}".`);
    return Number(value);
  };
}
