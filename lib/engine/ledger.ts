// The ownership ledger kept in the kernel (design: OWNERSHIP.md): which ipsets hold it, how an owned object
// is written as a ledger member, and how a kernel listing is read back into "what is ours".
import { canonicalIp, isIPv6Text } from '../../native-free-netlink/core/ip.js';
import { virtualServerKey } from '../state/canonical.js';
import type { Family, IpsetState, Protocol, VirtualServer } from '../state/types.js';
import { MAX_OWNED_IPSETS, RESERVED_IPSET_PREFIX } from '../state/validate-ipsets.js';

export const LEDGER_VS = 'IPVS-PROXIER-VS';
export const LEDGER_VS6 = 'IPVS-PROXIER-VS6';
export const LEDGER_FWM = 'IPVS-PROXIER-FWM';
export const LEDGER_FWM6 = 'IPVS-PROXIER-FWM6';
export const LEDGER_SETS = 'IPVS-PROXIER-SETS';
export type LedgerSetName = typeof LEDGER_VS | typeof LEDGER_VS6 | typeof LEDGER_FWM | typeof LEDGER_FWM6 | typeof LEDGER_SETS;

/**
 * Sets named with this prefix are the planner's scratch copies for rebuilding a set whose type or family
 * changes. They are ours by their reserved name (a state may not use IPVS-PROXIER-*), not by a ledger entry:
 * an interrupted apply may leave one behind, and the next apply destroys it.
 */
export const TEMPORARY_SET_PREFIX = `${RESERVED_IPSET_PREFIX}TMP-`;

export interface LedgerSetSpec {
  name: LedgerSetName;
  type: 'hash:ip,port' | 'hash:ip' | 'list:set';
  /** Address family; list:set has none (listed as inet by ipset, but we do not compare it). */
  family?: Family;
  /** list:set size. */
  size?: number;
}

/** Creation order, which is also the order `--cleanup` destroys them in. */
export const LEDGER_SET_SPECS: readonly LedgerSetSpec[] = [
  { name: LEDGER_VS, type: 'hash:ip,port', family: 'inet' },
  { name: LEDGER_VS6, type: 'hash:ip,port', family: 'inet6' },
  // A mark is a u32; hash:ip inet stores it as an IPv4 address for services of either family.
  { name: LEDGER_FWM, type: 'hash:ip', family: 'inet' },
  { name: LEDGER_FWM6, type: 'hash:ip', family: 'inet' },
  { name: LEDGER_SETS, type: 'list:set', size: MAX_OWNED_IPSETS },
];

export function ledgerSetSpec(name: LedgerSetName): LedgerSetSpec {
  return LEDGER_SET_SPECS.find((s) => s.name === name)!;
}

export function isLedgerSetName(name: string): name is LedgerSetName {
  return LEDGER_SET_SPECS.some((s) => s.name === name);
}

/** One ledger member and the object it records. */
export interface LedgerEntry {
  set: LedgerSetName;
  /** Member text: "10.96.0.10,tcp:80", "0.0.0.5", "KUBE-CLUSTER-IP". */
  entry: string;
  /** What it records, for output: "virtual server tcp 10.96.0.10:80", "ipset KUBE-CLUSTER-IP". */
  object: string;
}

export type VirtualServerId = Pick<VirtualServer, 'protocol' | 'address' | 'port' | 'fwmark' | 'family'>;

export function ledgerEntryFor(vs: VirtualServerId): LedgerEntry {
  const object = `virtual server ${virtualServerKey(vs as VirtualServer)}`;
  if (vs.fwmark !== undefined) {
    const m = vs.fwmark >>> 0;
    const entry = [m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff].join('.');
    return { set: (vs.family ?? 'inet') === 'inet6' ? LEDGER_FWM6 : LEDGER_FWM, entry, object };
  }
  const address = canonicalIp(vs.address!);
  return { set: isIPv6Text(address) ? LEDGER_VS6 : LEDGER_VS, entry: `${address},${vs.protocol}:${vs.port}`, object };
}

export function ledgerEntryForIpset(name: string): LedgerEntry {
  return { set: LEDGER_SETS, entry: name, object: `ipset ${name}` };
}

/** Inverse of virtualServerKey(): "tcp 10.96.0.10:80", "udp [fd00::a]:53", "fwmark inet6 5". */
export function virtualServerIdFromKey(key: string): VirtualServerId {
  const fw = /^fwmark (inet6?) (\d+)$/.exec(key);
  if (fw) return { fwmark: Number(fw[2]), family: fw[1] as Family };
  const m = /^(tcp|udp|sctp) (?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(key);
  if (!m) throw new Error(`not a virtual server key: "${key}"`);
  return { protocol: m[1] as Protocol, address: m[2] ?? m[3]!, port: Number(m[4]) };
}

export function ledgerEntryForKey(key: string): LedgerEntry {
  return ledgerEntryFor(virtualServerIdFromKey(key));
}

/** What the kernel's ledger sets say is ours. */
export interface ObservedLedger {
  /** The ledger sets that exist. */
  sets: ReadonlySet<LedgerSetName>;
  /** virtualServerKey() of every recorded virtual server (the server itself may be gone). */
  virtualServers: ReadonlySet<string>;
  /** Names of every recorded ipset. */
  ipsets: ReadonlySet<string>;
  /** Leftover IPVS-PROXIER-TMP-* sets. */
  temporaryIpsets: ReadonlySet<string>;
}

export function emptyLedger(): ObservedLedger {
  return { sets: new Set(), virtualServers: new Set(), ipsets: new Set(), temporaryIpsets: new Set() };
}

/** A set as a kernel listing reports it: any type, including ones the state format does not know. */
export interface ListedIpset {
  name: string;
  type: string;
  family: string;
  entries: readonly string[];
  hashsize?: number;
  maxelem?: number;
  range?: string;
}

/**
 * Splits a listing of every set into the ordinary sets (ours, adoptable and foreign alike) and our internal
 * ones, read as a ledger. Throws when a set with a ledger name is not shaped like our ledger: someone else
 * made it, and trusting it would let them claim or disown objects.
 */
export function ledgerFromIpsets(all: readonly ListedIpset[]): { ipsets: IpsetState[]; ledger: ObservedLedger } {
  const ipsets: IpsetState[] = [];
  const sets = new Set<LedgerSetName>();
  const virtualServers = new Set<string>();
  const owned = new Set<string>();
  const temporaryIpsets = new Set<string>();
  for (const s of all) {
    if (s.name.startsWith(TEMPORARY_SET_PREFIX)) {
      temporaryIpsets.add(s.name);
      continue;
    }
    if (!isLedgerSetName(s.name)) {
      if (s.name.startsWith(RESERVED_IPSET_PREFIX)) continue; // ours by name, but nothing we know: leave it
      ipsets.push({ ...s } as IpsetState); // members shared, not copied: nothing mutates them (canonical.ts)
      continue;
    }
    const spec = ledgerSetSpec(s.name);
    if (s.type !== spec.type || (spec.family !== undefined && s.family !== spec.family)) {
      throw new Error(
        `ipset ${s.name} is ${s.type} ${s.family}, not ipvs-proxier's ledger (${spec.type}${spec.family ? ` ${spec.family}` : ''}); ` +
          'rename or destroy it',
      );
    }
    sets.add(s.name);
    for (const e of s.entries) {
      if (s.name === LEDGER_SETS) owned.add(e);
      else {
        const key = keyFromLedgerEntry(s.name, e);
        if (key !== undefined) virtualServers.add(key);
      }
    }
  }
  return { ipsets, ledger: { sets, virtualServers, ipsets: owned, temporaryIpsets } };
}

/** The virtual server key a ledger member records; undefined for a member we never write. */
export function keyFromLedgerEntry(set: LedgerSetName, entry: string): string | undefined {
  if (set === LEDGER_FWM || set === LEDGER_FWM6) {
    const octets = entry.split('.').map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return undefined;
    const mark = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    if (mark === 0) return undefined;
    return `fwmark ${set === LEDGER_FWM6 ? 'inet6' : 'inet'} ${mark}`;
  }
  const m = /^([^,]+),(tcp|udp|sctp):(\d+)$/.exec(entry);
  if (!m) return undefined;
  try {
    return virtualServerKey({ protocol: m[2] as Protocol, address: canonicalIp(m[1]!), port: Number(m[3]) } as VirtualServer);
  } catch {
    return undefined;
  }
}
