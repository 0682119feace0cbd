// What a kernel read says differs from the engine's record, as a scope: the sync after the periodic read
// then plans those keys (and its own changes) by scope, like any event-driven sync, instead of comparing
// 10,000 virtual servers and 110,000 members with the desired state (2.6-3.3 s in the test VM, during
// which the changes arriving wait).
//
// Finding the differences is cheap where it matters: the read hands back the record's own object for every
// virtual server it found unchanged (observe-ipvs.ts, `known`), so those compare by identity. Members and
// addresses are compared as sets. Differences a scope cannot say (a set or the interface come or gone, a
// set's type changed, the ledger of sets, leftover temporary sets) return undefined: plan everything.
import { canonicalCidr, canonicalVirtualServer, compareCidr, compareVirtualServers, virtualServerKey } from '../state/canonical.js';
import { compareStrings, patchSorted } from '../state/sorted.js';
import type { IpsetState, VirtualServer } from '../state/types.js';
import type { ObservedState } from './observed.js';
import { sameVirtualServer } from './observe-ipvs.js';
import type { StateScope } from './scope.js';

export interface DriftScope {
  /** The kernel as the read found it, in the record's sorted form (ObservedState.sorted). */
  observed: ObservedState;
  /** The keys where it differs from the record. */
  scope: StateScope;
}

/** `read` (a kernel read) against `record` (sorted: the record of the last apply); undefined: plan everything. */
export function driftScope(read: ObservedState, record: ObservedState): DriftScope | undefined {
  if (!record.sorted || !sameNames(read.ledger.sets, record.ledger.sets) || !sameNames(read.ledger.ipsets, record.ledger.ipsets)) return undefined;
  if (read.ledger.temporaryIpsets.size > 0 || record.ledger.temporaryIpsets.size > 0) return undefined;
  if (!!read.interface !== !!record.interface) return undefined;
  if (read.interface && (read.interface.name !== record.interface!.name || read.interface.exists !== record.interface!.exists)) return undefined;

  // Virtual servers: identity first (the common case), then by key.
  const recordObjects = new Set(record.virtualServers);
  const unmatched = new Map<string, VirtualServer>();
  let matched = 0;
  for (const vs of read.virtualServers) {
    if (recordObjects.has(vs)) matched++;
    else unmatched.set(virtualServerKey(vs), vs);
  }
  const vsKeys = new Set<string>();
  const vsChanges: (readonly [VirtualServer, VirtualServer | undefined])[] = [];
  if (matched < record.virtualServers.length || unmatched.size > 0) {
    const readObjects = new Set(read.virtualServers);
    for (const held of record.virtualServers) {
      if (readObjects.has(held)) continue;
      const key = virtualServerKey(held);
      const now = unmatched.get(key);
      unmatched.delete(key);
      if (now && sameVirtualServer(held, now)) continue;
      vsKeys.add(key);
      vsChanges.push([held, now ? canonicalVirtualServer(now) : undefined]);
    }
    for (const [key, now] of unmatched) {
      vsKeys.add(key);
      const vs = canonicalVirtualServer(now);
      vsChanges.push([vs, vs]);
    }
  }
  for (const key of symmetricDifference(read.ledger.virtualServers, record.ledger.virtualServers)) vsKeys.add(key);

  // Sets: the same names and types; members compared as sets, kept in the record's sorted form.
  if (read.ipsets.length !== record.ipsets.length) return undefined;
  const recordSets = new Map(record.ipsets.map((s) => [s.name, s]));
  const members = new Map<string, Set<string>>();
  const ipsets: IpsetState[] = [];
  for (const s of read.ipsets) {
    const held = recordSets.get(s.name);
    if (!held || held.type !== s.type || held.family !== s.family) return undefined;
    const heldSet = new Set(held.entries);
    const differ = symmetricDifference(new Set(s.entries), heldSet);
    if (differ.length > 0) members.set(s.name, new Set(differ));
    const entries = differ.length === 0 ? held.entries : patchSorted(held.entries, differ.map((m) => [m, heldSet.has(m) ? undefined : m] as const), compareStrings, compareStrings);
    // The kernel's attributes (what a set's fit is judged by), the record's sorted members patched.
    ipsets.push({ ...s, entries });
  }
  ipsets.sort((a, b) => compareStrings(a.name, b.name));

  const addresses = new Set<string>();
  const observed: ObservedState = {
    ...read,
    virtualServers: vsChanges.length === 0 ? record.virtualServers : patchSorted(record.virtualServers, vsChanges, compareVirtualServers, compareVirtualServers),
    ipsets,
    canonical: true,
    sorted: true,
  };
  if (read.interface) {
    const held = record.interface!.addresses;
    const heldSet = new Set(held);
    for (const a of symmetricDifference(new Set(read.interface.addresses.map(canonicalCidr)), heldSet)) addresses.add(a);
    const changes = [...addresses].map((a) => [a, heldSet.has(a) ? undefined : a] as const);
    observed.interface = { ...read.interface, addresses: changes.length === 0 ? held : patchSorted(held, changes, compareCidr, compareCidr) };
  }
  return { observed, scope: { virtualServers: vsKeys, ipsetMembers: members, addresses } };
}

function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function symmetricDifference(a: ReadonlySet<string>, b: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const x of a) if (!b.has(x)) out.push(x);
  for (const x of b) if (!a.has(x)) out.push(x);
  return out;
}
