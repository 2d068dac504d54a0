// Whose prefix cache an HTTP request may reuse: the salt it names, else its caller's identity.
/**
 * The tenant travels as TaskRequest.cache_salt. The prefixes keep a named salt from ever equalling
 * an identity (`salt:token:ab12cd` is not `id:token:ab12cd`), so no request can name its way into
 * another caller's cache by guessing that caller's identity.
 */
export function cacheTenant(identity: string, salt: string | undefined): string {
  return salt === undefined ? `id:${identity || "anonymous"}` : `salt:${salt}`;
}
