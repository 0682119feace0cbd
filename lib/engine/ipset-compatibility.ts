// When an existing set can be kept, and when it must be rebuilt: and whether the rebuilt copy can be
// swapped in atomically.
//
// ip_set_swap() (net/netfilter/ipset/ip_set_core.c) refuses with IPSET_ERR_TYPE_MISMATCH unless both sets
// have the same type *features* and the same family; it swaps names and reference counts, so iptables
// rules and list:set members (which hold a set by index) see the new contents at once. Creation options
// (maxelem, range, hashsize) may differ. ip_set_rename() and ip_set_destroy() refuse a set that anything
// references (IPSET_ERR_REFERENCED / IPSET_ERR_BUSY) - and every set we own is referenced by our ledger
// list:set. Checked with ipset 7.17 on Linux: swapping hash:ip,port with hash:ip,port,net and inet with
// inet6 fails ("their type does not match"); swapping sets differing only in maxelem/hashsize works.
import type { IpsetState } from '../state/types.js';
import { DEFAULT_MAXELEM } from '../state/validate-ipsets.js';

/**
 * `.features` of each set type (IPSET_TYPE_* of include/linux/netfilter/ipset/ip_set.h), written as
 * names. Types with equal features can be swapped with each other.
 */
export const IPSET_TYPE_FEATURES: Readonly<Record<string, string>> = {
  'hash:ip': 'ip',
  'bitmap:ip': 'ip',
  'hash:ip,port': 'ip port',
  'hash:ip,port,ip': 'ip port ip2',
  'hash:ip,port,net': 'ip port ip2 nomatch',
  'hash:net,port,net': 'ip port ip2 nomatch',
  'hash:net': 'ip nomatch',
  'hash:net,port': 'ip port nomatch',
  'hash:net,net': 'ip ip2 nomatch',
  'hash:net,iface': 'ip iface nomatch',
  'hash:ip,mark': 'ip mark',
  'hash:ip,mac': 'ip mac',
  'bitmap:ip,mac': 'ip mac',
  'hash:mac': 'mac',
  'bitmap:port': 'port',
  'list:set': 'name dumplast',
};

/** What makes an existing set unfit for the desired one. hashsize is not part of it: see below. */
export type IpsetFit =
  | 'keep' // same type, family and limits: diff the members
  | 'swap' // rebuild under a temporary name and `ipset swap` it in (atomic, references follow)
  | 'recreate'; // type features or family differ: the kernel cannot swap; destroy and create again

/**
 * hashsize is only the initial size of a hash: the kernel grows it as members are added and lists the
 * current size (a set created with hashsize 64 lists 512 after 2,000 adds), so a difference in it is no
 * reason to rebuild, or every sync of a large set would rebuild it.
 */
export function ipsetFit(observed: IpsetState, desired: IpsetState): IpsetFit {
  if (observed.type === desired.type && sameFamily(observed, desired) && sameLimits(observed, desired)) return 'keep';
  return swappable(observed, desired) ? 'swap' : 'recreate';
}

/** A set's kind as the kernel sees it; any type name, including ones the state format does not use. */
export interface SetKind {
  type: string;
  family: string;
}

export function swappable(a: SetKind, b: SetKind): boolean {
  const fa = IPSET_TYPE_FEATURES[a.type];
  const fb = IPSET_TYPE_FEATURES[b.type];
  return fa !== undefined && fa === fb && sameFamily(a, b);
}

/** bitmap:port and list:set have no family (NFPROTO_UNSPEC) whatever a listing prints. */
function sameFamily(a: SetKind, b: SetKind): boolean {
  const unspec = (t: string): boolean => t === 'bitmap:port' || t === 'list:set';
  if (unspec(a.type) && unspec(b.type)) return true;
  return a.family === b.family;
}

function sameLimits(a: IpsetState, b: IpsetState): boolean {
  return effectiveMaxelem(a) === effectiveMaxelem(b) && effectiveRange(a) === effectiveRange(b);
}

export function effectiveMaxelem(s: Pick<IpsetState, 'type' | 'maxelem'>): number | undefined {
  return s.type.startsWith('hash:') ? (s.maxelem ?? DEFAULT_MAXELEM) : undefined;
}

export function effectiveRange(s: Pick<IpsetState, 'type' | 'range'>): string | undefined {
  return s.type === 'bitmap:port' ? (s.range ?? '0-65535') : undefined;
}
