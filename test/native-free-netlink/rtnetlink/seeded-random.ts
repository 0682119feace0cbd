// A small seeded PRNG (mulberry32) for property tests: the same seed gives the same cases on every run,
// and a failing case prints its seed and index so it can be replayed and pinned as a literal test.
export interface Random {
  /** Integer in [0, n). */
  int(n: number): number;
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number;
  bool(): boolean;
  pick<T>(xs: readonly T[]): T;
  bytes(n: number): Uint8Array;
}

export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r: Random = {
    int: (n) => Math.floor(next() * n),
    range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    bool: () => next() < 0.5,
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    bytes: (n) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256)),
  };
  return r;
}

/** Runs `body` on `count` generated cases; a failure names the seed and case number. */
export function forAll<T>(seed: number, count: number, gen: (r: Random) => T, body: (c: T) => void): void {
  const r = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    const c = gen(r);
    try {
      body(c);
    } catch (e) {
      throw new Error(`property failed (seed ${seed}, case ${i}): ${JSON.stringify(c, (_, v) => (v instanceof Uint8Array ? Array.from(v) : v))}\n${String(e)}`);
    }
  }
}
