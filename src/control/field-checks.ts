// Field checks shared by admission's validators: each throws INVALID_PARAMS naming the field.
import { OrchError } from "../common/errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function invalid(message: string): OrchError {
  return new OrchError("INVALID_PARAMS", message);
}

export function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw invalid(`${field} must be one of ${allowed.join(", ")}; got "${value}"`);
  }
  return found;
}

export function intIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${field} must be an integer from ${min} to ${max}; got ${value}`);
  }
  return value;
}

export function numIn(field: string, value: number | undefined, min: number, max: number) {
  if (value !== undefined && !(Number.isFinite(value) && value >= min && value <= max)) {
    throw invalid(`${field} must be a number from ${min} to ${max}; got ${value}`);
  }
}

export function uuidOr(field: string, value: string | undefined, newId: () => string): string {
  if (value === undefined) return newId();
  if (!UUID.test(value)) throw invalid(`${field} must be a UUID; got "${value}"`);
  return value;
}
