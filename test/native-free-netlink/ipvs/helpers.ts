// Test helpers for the IPVS codec tests: a seeded PRNG (no dependency) and byte literals.
import { fromHex } from '../../../native-free-netlink/core/bytes.js';
import { AF_INET, AF_INET6, canonicalIp, type AddressFamily } from '../../../native-free-netlink/core/ip.js';
import type { IpvsDestination } from '../../../native-free-netlink/ipvs/index.js';

export type Rand = () => number;

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

/** A random unicast address of the family, as canonical text (IPv6 with runs of zero groups for "::"). */
export function randomAddress(r: Rand, family: AddressFamily): string {
  if (family === AF_INET) return [int(r, 1, 254), int(r, 0, 255), int(r, 0, 255), int(r, 1, 254)].join('.');
  // Runs of zero groups exercise the RFC 5952 "::" compression in canonical text.
  const groups = Array.from({ length: 8 }, () => (r() < 0.4 ? 0 : int(r, 0, 0xffff)));
  groups[0] = 0xfd00;
  return canonicalIp(groups.map((g) => g.toString(16)).join(':'));
}

/** A random valid destination of either family, half of them with tunnel attributes. */
export function randomDestination(r: Rand): IpvsDestination {
  const family: AddressFamily = r() < 0.5 ? AF_INET : AF_INET6;
  const d: IpvsDestination = {
    family,
    address: randomAddress(r, family),
    port: int(r, 0, 65535),
    forward: int(r, 0, 3),
    weight: int(r, 0, 0x7fffffff),
    upperThreshold: int(r, 0, 0xffffffff),
    lowerThreshold: int(r, 0, 0xffffffff),
  };
  if (r() < 0.5) d.tunnel = { type: int(r, 0, 2), port: int(r, 0, 65535), flags: int(r, 0, 3) };
  return d;
}
