// A start-up failure the user can fix (a busy port, a data dir held by another serve, a missing
// model file): `serve` prints its one-line message, naming the config key, and exits 2.
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}

/** Whether a listen error is the address being taken (grpc-js words it inside its message). */
export function isAddressInUse(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "EADDRINUSE" || String(message).includes("EADDRINUSE");
}
