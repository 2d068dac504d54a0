// Round trips a proto message through its wire encoding, and fails a translation that leaves a
// field at its default (the proto grew one the translation does not fill).
import assert from "node:assert/strict";

export interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
  fromPartial(object: object): T;
}

export function overWire<T>(codec: Codec<T>, message: T): T {
  return codec.decode(codec.encode(message).finish());
}

/** Fails when the proto grows a field this translation does not fill. */
export function assertEveryField<T extends object>(
  codec: Codec<T>,
  message: T,
  allowedDefault: string[],
) {
  const defaults = codec.fromPartial({}) as Record<string, unknown>;
  for (const key of Object.keys(defaults)) {
    if (allowedDefault.includes(key)) continue;
    const value = (message as Record<string, unknown>)[key];
    assert.notDeepEqual(value, defaults[key], `field ${key} is left at its default`);
  }
}
