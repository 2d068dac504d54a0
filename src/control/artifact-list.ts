// ListArtifacts: the records a caller may see, newest first (id breaks ties), optionally of one
// kind, a page at a time; the page token names the last record shown (`<created_ms>~<id>`).
import { canSee } from "../common/artifact-owner.js";
import { OrchError } from "../common/errors.js";
import type { ArtifactKind, ArtifactMeta, ArtifactStore } from "../store/artifact-store.js";

/** Answered when the request names no limit; a larger one is cut to MAX_LIST. */
const DEFAULT_LIST = 100;
const MAX_LIST = 1000;

const newestFirst = (a: ArtifactMeta, b: ArtifactMeta) =>
  b.createdMs - a.createdMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function pageToken(meta: ArtifactMeta): string {
  return `${meta.createdMs}~${meta.id}`;
}

function parseToken(token: string): ArtifactMeta {
  const match = /^(\d{1,15})~(sha256:[0-9a-f]{64})$/.exec(token);
  if (!match) {
    throw new OrchError(
      "INVALID_PARAMS",
      `page_token "${token}" is not one this server gave (pass next_page_token unchanged)`,
    );
  }
  return { createdMs: Number(match[1]), id: match[2] } as ArtifactMeta;
}

export interface ListQuery {
  kind: ArtifactKind | undefined;
  limit: number;
  pageToken: string;
  /** undefined: the admin. */
  caller: string | undefined;
}

/** Reads every record (O(stored)); retention keeps that bounded. */
export async function listArtifacts(
  artifacts: ArtifactStore,
  query: ListQuery,
): Promise<{ shown: ArtifactMeta[]; next: string }> {
  const limit = query.limit > 0 ? Math.min(query.limit, MAX_LIST) : DEFAULT_LIST;
  const after = query.pageToken ? parseToken(query.pageToken) : undefined;
  const all = (await artifacts.allMeta())
    .filter((meta) => query.kind === undefined || meta.kind === query.kind)
    .filter((meta) => canSee(meta.owners, query.caller))
    .sort(newestFirst);
  const start = after ? all.findIndex((meta) => newestFirst(after, meta) < 0) : 0;
  const rest = start < 0 ? [] : all.slice(start);
  const shown = rest.slice(0, limit);
  const last = shown.at(-1);
  return { shown, next: rest.length > limit && last ? pageToken(last) : "" };
}
