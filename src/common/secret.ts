// A string that never shows in logs, JSON or inspection: the token read from the environment.
import { inspect } from "node:util";

/** A value that prints as `[REDACTED]` however it is logged, stringified or inspected. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return "[REDACTED]";
  }
  toString(): string {
    return "[REDACTED]";
  }
  [inspect.custom](): string {
    return "Secret([REDACTED])";
  }
}
