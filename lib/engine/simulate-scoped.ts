// The engine's record after a scoped apply (plan-scoped.ts), without a model of the whole kernel: the
// objects the plan touches are taken out of the record (binary search in its sorted lists) into a small
// observed state, the simulator applies the plan to that (refusing what the kernel would refuse), and the
// results are put back into copies of the record's lists. The record's own lists are never changed.
//
// Returns undefined for a plan with operations this does not place (sets or links created or destroyed,
// ledger sets created): the caller then simulates the whole state. A small state cannot tell a full set
// (maxelem): the kernel's answer to that comes with the apply itself.
import { canonicalCidr, canonicalIpset, canonicalVirtualServer, compareCidr, compareVirtualServers, virtualServerKey } from '../state/canonical.js';
import { compareStrings, findSorted, patchSorted } from '../state/sorted.js';
import type { IpsetState, State, VirtualServer } from '../state/types.js';
import { isLedgerSetName, keyFromLedgerEntry, LEDGER_SETS, virtualServerIdFromKey } from './ledger.js';
import type { ObservedState } from './observed.js';
import { sameVirtualServer } from './observe-ipvs.js';
import type { Operation } from './operations.js';
import { applyOperationsToState } from './simulate.js';

/** The objects a plan changes, by key. */
export interface Touched {
  virtualServers: Set<string>;
  members: Map<string, Set<string>>;
  addresses: Set<string>;
  ledger: boolean;
}

export function applyScopedOperations(observed: ObservedState, ops: readonly Operation[], desired: State): ObservedState | undefined {
  if (!observed.sorted) return undefined;
  const t = touchedBy(ops);
  if (!t) return undefined;

  const sub: ObservedState = {
    virtualServers: [...t.virtualServers].flatMap((key) => findSorted(observed.virtualServers, virtualServerIdFromKey(key) as VirtualServer, compareVirtualServers) ?? []),
    ipsets: observed.ipsets.map((s) => ({ ...s, entries: [...(t.members.get(s.name) ?? [])].filter((m) => inSorted(s.entries, m)).sort() })),
    ledger: { ...observed.ledger, virtualServers: new Set([...t.virtualServers].filter((k) => observed.ledger.virtualServers.has(k))) },
    canonical: true,
  };
  if (observed.interface) {
    sub.interface = { ...observed.interface, addresses: [...t.addresses].filter((a) => findSorted(observed.interface!.addresses, a, compareCidr) !== undefined) };
  }
  if (observed.iptables) sub.iptables = observed.iptables;
  if (observed.connections) sub.connections = observed.connections;
  const after = applyOperationsToState(sub, ops);

  // Each list comes back as the desired state's own when the touched objects now match it and the counts
  // agree (outside the scope the two matched already: the scope's promise), so the record shares the
  // desired lists instead of copying 100,000 members per sync; otherwise as a patched copy of the record's.
  const out: ObservedState = { ...observed, sorted: true, canonical: true };
  if (t.virtualServers.size > 0) {
    const byKey = new Map(after.virtualServers.map((vs) => [virtualServerKey(vs), vs]));
    let sharable = true;
    let count = observed.virtualServers.length;
    const changes: [VirtualServer, VirtualServer | undefined][] = [];
    for (const key of t.virtualServers) {
      const id = virtualServerIdFromKey(key) as VirtualServer;
      const now = byKey.get(key);
      const had = findSorted(observed.virtualServers, id, compareVirtualServers);
      count += (now ? 1 : 0) - (had ? 1 : 0);
      // The desired state's object when equal: the record and the desired state share their virtual servers.
      const held = findSorted(desired.virtualServers, id, compareVirtualServers);
      const shared = held && now && sameVirtualServer(held, now) ? held : now;
      if (shared !== held) sharable = false;
      changes.push([id, shared]);
    }
    if (sharable && count === desired.virtualServers.length) out.virtualServers = desired.virtualServers as VirtualServer[];
    else out.virtualServers = patchSorted(observed.virtualServers, changes, compareVirtualServers, compareVirtualServers);
  }
  if (t.ledger) {
    const keys = new Set(observed.ledger.virtualServers);
    for (const key of t.virtualServers) {
      if (after.ledger.virtualServers.has(key)) keys.add(key);
      else keys.delete(key);
    }
    out.ledger = { ...after.ledger, virtualServers: keys, temporaryIpsets: observed.ledger.temporaryIpsets };
  }
  if (t.members.size > 0) {
    const afterSets = new Map(after.ipsets.map((s) => [s.name, new Set(s.entries)]));
    const desiredSets = new Map(desired.ipsets.map((s) => [s.name, s]));
    out.ipsets = observed.ipsets.map((s) => {
      const members = t.members.get(s.name);
      if (!members) return s;
      const now = afterSets.get(s.name);
      const want = desiredSets.get(s.name);
      let count = s.entries.length;
      let sharable = want !== undefined && sameAttributes(s, want);
      for (const m of members) {
        const present = now?.has(m) ?? false;
        count += (present ? 1 : 0) - (inSorted(s.entries, m) ? 1 : 0);
        if (sharable && present !== inSorted(want!.entries, m)) sharable = false;
      }
      if (sharable && count === want!.entries.length) return want!;
      const entries = patchSorted(s.entries, [...members].map((m) => [m, now?.has(m) ? m : undefined] as const), compareStrings, compareStrings);
      return { ...s, entries };
    });
  }
  if (t.addresses.size > 0 && observed.interface) {
    const now = new Set(after.interface?.addresses ?? []);
    const wanted = desired.interface?.name === observed.interface.name ? desired.interface.addresses : undefined;
    let count = observed.interface.addresses.length;
    let sharable = wanted !== undefined;
    for (const a of t.addresses) {
      count += (now.has(a) ? 1 : 0) - (findSorted(observed.interface.addresses, a, compareCidr) !== undefined ? 1 : 0);
      if (sharable && now.has(a) !== (findSorted(wanted!, a, compareCidr) !== undefined)) sharable = false;
    }
    const list = sharable && count === wanted!.length
      ? wanted!
      : patchSorted(observed.interface.addresses, [...t.addresses].map((a) => [a, now.has(a) ? a : undefined] as const), compareCidr, compareCidr);
    out.interface = { ...observed.interface, exists: after.interface?.exists ?? false, addresses: list };
  }
  if (after.iptables) out.iptables = after.iptables;
  return out;
}

/** The objects a plan touches; undefined when it does more than this module places. */
/**
 * What these operations change, as keys; undefined when one of them is not placed by key (a set or the
 * interface created or destroyed, the ledger of sets changed).
 */
export function touchedBy(ops: readonly Operation[]): Touched | undefined {
  const t: Touched = { virtualServers: new Set(), members: new Map(), addresses: new Set(), ledger: false };
  for (const op of ops) {
    switch (op.kind) {
      case 'vs-add':
      case 'vs-update':
      case 'vs-del':
      case 'rs-add':
      case 'rs-update':
      case 'rs-del':
        t.virtualServers.add(virtualServerKey(op.service as VirtualServer));
        break;
      case 'ledger-add':
      case 'ledger-del': {
        if (!isLedgerSetName(op.set) || op.set === LEDGER_SETS) return undefined;
        const key = keyFromLedgerEntry(op.set, op.entry);
        if (key === undefined) return undefined;
        t.virtualServers.add(key);
        t.ledger = true;
        break;
      }
      case 'ipset-add':
      case 'ipset-del': {
        let members = t.members.get(op.name);
        if (!members) t.members.set(op.name, (members = new Set()));
        for (const e of op.entries) members.add(e);
        break;
      }
      case 'address-add':
      case 'address-del':
        t.addresses.add(op.address);
        break;
      case 'iptables-sync':
        break;
      default:
        return undefined;
    }
  }
  return t;
}

/** The attributes a record keeps of a set (everything but its members). */
function sameAttributes(a: IpsetState, b: IpsetState): boolean {
  return a.type === b.type && a.family === b.family && a.hashsize === b.hashsize && a.maxelem === b.maxelem && a.range === b.range;
}

function inSorted(entries: readonly string[], m: string): boolean {
  return findSorted(entries, m, compareStrings) !== undefined;
}

/**
 * The record after a kernel read against which `want` (canonical) planned nothing: every desired object is
 * in the kernel as desired, and the interface has exactly the desired addresses (any other would have been
 * planned away), so the record takes the desired lists as they are, plus the kernel's other virtual servers
 * and sets (foreign, or kept by neverDelete), sorted. No model of the whole kernel, no sort of 110,000
 * members: a quiet periodic sync must not cost what a changed one does.
 */
export function quietRecord(observed: ObservedState, want: State): ObservedState {
  // A kernel read hands back the desired object for every desired virtual server it finds equal (all of
  // them, here): what is not one of them is someone else's, or kept by neverDelete.
  const desiredVs = new Set(want.virtualServers);
  const candidates = observed.virtualServers.filter((vs) => !desiredVs.has(vs));
  const desiredKeys = candidates.length > 0 ? new Set(want.virtualServers.map(virtualServerKey)) : new Set<string>();
  const others = candidates.filter((vs) => !desiredKeys.has(virtualServerKey(vs))).map(canonicalVirtualServer);
  const virtualServers = others.length === 0 ? (want.virtualServers as VirtualServer[]) : [...want.virtualServers, ...others].sort(compareVirtualServers);
  const desiredSets = new Set(want.ipsets.map((s) => s.name));
  const ipsets = [...want.ipsets, ...observed.ipsets.filter((s) => !desiredSets.has(s.name)).map(canonicalIpset)].sort((a, b) => compareStrings(a.name, b.name));
  const out: ObservedState = { ...observed, virtualServers, ipsets, canonical: true, sorted: true };
  if (observed.interface) {
    const addresses = want.interface?.name === observed.interface.name ? want.interface.addresses : [...observed.interface.addresses].map(canonicalCidr).sort(compareCidr);
    out.interface = { ...observed.interface, addresses };
  }
  return out;
}
