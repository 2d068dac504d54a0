// Option parsers for the CLI: each rejects bad input with a message naming the option.
import { InvalidArgumentError } from "commander";

export function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`expected an integer >= ${min}, got "${value}"`);
    return n;
  };
}

/** An integer >= min, or the word `auto` (e.g. --gpu-layers: as many as fit). */
export function integerOrAuto(min: number) {
  const one = integer(min);
  return (value: string): number | "auto" => (value === "auto" ? "auto" : one(value));
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a number >= 0, got "${value}"`);
  return n;
}

/** `HOST:PORT` with port 0-65535 (0: any free port); an IPv6 host goes in brackets. */
export function hostPort(value: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new InvalidArgumentError(`expected HOST:PORT (e.g. 127.0.0.1:50051), got "${value}"`);
  return value;
}

/** Comma-separated integers, e.g. GPU indexes "0,1"; no duplicates. */
export function integerList(min: number) {
  const one = integer(min);
  return (value: string): number[] => {
    const list = value.split(",").map((part) => one(part.trim()));
    if (new Set(list).size !== list.length)
      throw new InvalidArgumentError(`expected distinct values, got "${value}"`);
    return list;
  };
}

/** Comma-separated proportions, e.g. a tensor split "3,1": each >= 0, not all 0. */
export function proportions(value: string): number[] {
  const list = value.split(",").map((part) => nonNegativeNumber(part.trim()));
  if (!list.some((n) => n > 0))
    throw new InvalidArgumentError(`expected at least one proportion > 0, got "${value}"`);
  return list;
}

export function oneOf<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${values.join(", ")}, got "${value}"`);
    return value as T;
  };
}

/** A pool or other id as the control plane accepts it: lowercase letters, digits, dashes. */
export function identifier(value: string): string {
  if (!/^[a-z0-9-]+$/.test(value))
    throw new InvalidArgumentError(`expected [a-z0-9-]+ (e.g. gpu0), got "${value}"`);
  return value;
}
