// The config schema's `catalog` section: the trust policy of what may be loaded, served and pulled.
import type { SchemaNode } from "./config-schema-node.js";

export const trustModes = ["permissive", "strict"] as const;
export type TrustMode = (typeof trustModes)[number];

/** `hf:org[/repo]`, `ollama:namespace[/name]`, or an `http(s)://host[/path]` URL prefix. */
const ALLOW_ENTRY =
  "^(hf:[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?|ollama:[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)?|https?://[^\\s/]+(/\\S*)?)$";

export const catalogSection: SchemaNode = {
  type: "object",
  description: "The model catalog's trust policy.",
  additionalProperties: false,
  default: {},
  properties: {
    trust: {
      type: "string",
      enum: trustModes,
      default: "permissive",
      description:
        "`strict`: a model is loaded or served only when its sha256 was verified against its source (a pull whose source published the digest, a catalog entry registered with its digest) or it is a builtin; anything else is `UNTRUSTED_ARTIFACT`. `permissive`: it is served, with one warning in the log and listed as untrusted in capabilities, `GET /v1/catalog/models` and `models ls`.",
    },
    allow: {
      type: "array",
      description:
        "Sources pulls may come from, in either mode: `hf:org` or `hf:org/repo`, `ollama:namespace` or `ollama:namespace/name`, `https://host[/path]` (a URL prefix). A pull from any other source is `UNTRUSTED_ARTIFACT`; local paths and builtins are not pulls from a source. Empty: any source.",
      items: { type: "string", pattern: ALLOW_ENTRY },
      default: [],
    },
  },
};

export interface CatalogConfig {
  trust: TrustMode;
  allow: string[];
}
