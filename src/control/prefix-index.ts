// An approximate, bounded index of which pool recently served which prompt prefix, per tenant:
// placement's prefix-cache term (modelled on the Gateway API Inference Extension's prefix scorer).
import { createHash } from "node:crypto";

/** Prompt bytes per hashed block: coarse enough to stay cheap, fine enough for a system prompt. */
export const PREFIX_BLOCK_BYTES = 256;
/** Blocks remembered across all tenants and pools; the least recently used go first. */
export const PREFIX_INDEX_MAX_BLOCKS = 65_536;

/** What the index needs of a task. */
export interface PrefixKey {
  /** The cache tenant (TaskRequest.cache_salt): prefixes are never matched across tenants. */
  cacheSalt: string;
  prompt: string;
  /** The prompt's length in tokens, to turn matched bytes into expected cached tokens. */
  promptTokens: number;
}

/**
 * Hashes of the prompt's whole blocks, each chained to the one before it: equal hash i means equal
 * tenant and equal first i + 1 blocks (bytes, not characters: a block may split a character).
 */
export function blockHashes(key: PrefixKey, blockBytes = PREFIX_BLOCK_BYTES): string[] {
  const bytes = Buffer.from(key.prompt, "utf8");
  const hashes: string[] = [];
  let previous = createHash("sha256").update(key.cacheSalt).digest("hex");
  for (let end = blockBytes; end <= bytes.length; end += blockBytes) {
    const block = bytes.subarray(end - blockBytes, end);
    previous = createHash("sha256").update(previous).update(block).digest("hex").slice(0, 32);
    hashes.push(previous);
  }
  return hashes;
}

export class PrefixIndex {
  /** Block hash -> pools that served it, in insertion order = recency (Map order). */
  private readonly blocks = new Map<string, Set<string>>();

  constructor(
    private readonly maxBlocks = PREFIX_INDEX_MAX_BLOCKS,
    private readonly blockBytes = PREFIX_BLOCK_BYTES,
  ) {}

  /** Remembers that `poolId` now holds this prompt's prefix. */
  record(key: PrefixKey, poolId: string): void {
    for (const hash of blockHashes(key, this.blockBytes)) {
      const pools = this.blocks.get(hash) ?? new Set<string>();
      this.blocks.delete(hash);
      pools.add(poolId);
      this.blocks.set(hash, pools);
    }
    for (const oldest of this.blocks.keys()) {
      if (this.blocks.size <= this.maxBlocks) break;
      this.blocks.delete(oldest);
    }
  }

  /** Per pool, the prompt tokens expected to be cached there (leading blocks matched). */
  expectedCachedTokens(key: PrefixKey): Record<string, number> {
    const bytes = Buffer.byteLength(key.prompt, "utf8");
    const matched = new Map<string, number>();
    let alive: Set<string> | undefined;
    let n = 0;
    for (const hash of blockHashes(key, this.blockBytes)) {
      const pools = this.blocks.get(hash);
      alive = new Set([...(pools ?? [])].filter((p) => alive === undefined || alive.has(p)));
      if (alive.size === 0) break;
      n += 1;
      for (const pool of alive) matched.set(pool, n);
    }
    const out: Record<string, number> = {};
    for (const [pool, blocks] of matched) {
      out[pool] = Math.floor((blocks * this.blockBytes * key.promptTokens) / Math.max(1, bytes));
    }
    return out;
  }

  /** Forgets a pool's prefixes (its worker restarted or reloaded: its cache is gone). */
  forgetPool(poolId: string): void {
    for (const [hash, pools] of this.blocks) {
      pools.delete(poolId);
      if (pools.size === 0) this.blocks.delete(hash);
    }
  }
}
