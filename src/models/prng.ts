// Seeded random numbers that give the same sequence on every run and platform (xoshiro128**).

const TWO_POW_32 = 2 ** 32;

/** splitmix32: spreads a seed (or a seed mixed with a name) over all 32 bits. */
export function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** FNV-1a over UTF-16 code units; enough to give each tensor name its own stream. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Integer-only arithmetic, so the sequence depends on nothing but the seed. */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_POW_32) {
      throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    }
    // Successive splitmix outputs; they cannot all be zero, which would stall xoshiro.
    this.s0 = splitmix32(seed);
    this.s1 = splitmix32(this.s0);
    this.s2 = splitmix32(this.s1);
    this.s3 = splitmix32(this.s2);
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in (0, 1]: never 0, so log() in Box-Muller stays finite. */
  nextOpenUnit(): number {
    return (this.nextU32() + 1) / TWO_POW_32;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Normal deviates by Box-Muller; V8's Math.log/cos/sin are its own fdlibm port, not the libc's. */
export class NormalSampler {
  private spare: number | undefined;

  constructor(private readonly rng: Xoshiro128) {}

  next(): number {
    const spare = this.spare;
    if (spare !== undefined) {
      this.spare = undefined;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.rng.nextOpenUnit()));
    const angle = 2 * Math.PI * this.rng.nextOpenUnit();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Fills `out` with N(mean, std) values rounded to float32. */
  fill(out: Float32Array, mean: number, std: number): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.next();
  }
}
