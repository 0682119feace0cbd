// Test helpers for the IPVS codec tests: a seeded PRNG (no dependency) and byte literals.
import { fromHex } from '../../../native-free-netlink/core/bytes.js';

/** mulberry32: small, fast, seeded; the same seed gives the same sequence on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function int(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

/** Bytes from hex written with spaces and line breaks for readability. */
export function hex(s: string): Uint8Array {
  return fromHex(s);
}
