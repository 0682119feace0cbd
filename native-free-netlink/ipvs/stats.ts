// The STATS and STATS64 nests (IPVS_STATS_ATTR_*). The kernel fills both from the same counters:
// ip_vs_genl_fill_stats truncates conns, packets and rates to u32 (bytes stay u64);
// ip_vs_genl_fill_stats64 sends every counter as u64.
import { attr, read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import {
  IPVS_STATS_ATTR_CONNS,
  IPVS_STATS_ATTR_CPS,
  IPVS_STATS_ATTR_INBPS,
  IPVS_STATS_ATTR_INBYTES,
  IPVS_STATS_ATTR_INPKTS,
  IPVS_STATS_ATTR_INPPS,
  IPVS_STATS_ATTR_OUTBPS,
  IPVS_STATS_ATTR_OUTBYTES,
  IPVS_STATS_ATTR_OUTPKTS,
  IPVS_STATS_ATTR_OUTPPS,
} from './constants.js';
import type { IpvsStats } from './types.js';

/** Attribute order as the kernel writes it, with the field each one holds. */
const FIELDS: readonly [number, keyof IpvsStats][] = [
  [IPVS_STATS_ATTR_CONNS, 'conns'],
  [IPVS_STATS_ATTR_INPKTS, 'inpkts'],
  [IPVS_STATS_ATTR_OUTPKTS, 'outpkts'],
  [IPVS_STATS_ATTR_INBYTES, 'inbytes'],
  [IPVS_STATS_ATTR_OUTBYTES, 'outbytes'],
  [IPVS_STATS_ATTR_CPS, 'cps'],
  [IPVS_STATS_ATTR_INPPS, 'inpps'],
  [IPVS_STATS_ATTR_OUTPPS, 'outpps'],
  [IPVS_STATS_ATTR_INBPS, 'inbps'],
  [IPVS_STATS_ATTR_OUTBPS, 'outbps'],
];

/** In the 32-bit nest only the byte counters are u64. */
const U64_IN_STATS32 = new Set<number>([IPVS_STATS_ATTR_INBYTES, IPVS_STATS_ATTR_OUTBYTES]);

export function zeroStats(): IpvsStats {
  return { conns: 0n, inpkts: 0n, outpkts: 0n, inbytes: 0n, outbytes: 0n, cps: 0n, inpps: 0n, outpps: 0n, inbps: 0n, outbps: 0n };
}

/**
 * Decodes either nest. Each counter is read by its length (4 or 8 bytes), so one reader serves both;
 * IPVS_STATS_ATTR_PAD and unknown attributes are skipped. All ten counters must be present.
 */
export function unpackStats(attrs: readonly Attribute[]): IpvsStats {
  const out = zeroStats();
  const seen = new Set<number>();
  const byType = new Map(FIELDS);
  for (const a of attrs) {
    const field = byType.get(a.type);
    if (!field) continue;
    if (a.data.length === 8) out[field] = read.u64(a);
    else if (a.data.length === 4) out[field] = BigInt(read.u32(a));
    else throw new NetlinkDecodeError(`IPVS stats attribute ${a.type} has ${a.data.length} bytes`, 0);
    seen.add(a.type);
  }
  if (seen.size !== FIELDS.length) {
    const missing = FIELDS.filter(([t]) => !seen.has(t)).map(([, f]) => f);
    throw new NetlinkDecodeError(`IPVS stats nest lacks ${missing.join(', ')}`, 0);
  }
  return out;
}

/** Encodes a nest's children as the kernel does (`width` 32 = IPVS_*_ATTR_STATS, 64 = *_STATS64). */
export function packStats(s: IpvsStats, width: 32 | 64): Attribute[] {
  return FIELDS.map(([type, field]) =>
    width === 64 || U64_IN_STATS32.has(type) ? attr.u64(type, BigInt.asUintN(64, s[field])) : attr.u32(type, Number(BigInt.asUintN(32, s[field]))),
  );
}
