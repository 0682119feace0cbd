// The engine's record after a scoped apply (plan-scoped.ts), without a model of the whole kernel: the
// objects the plan touches are taken out of the record (binary search in its sorted lists) into a small
// observed state, the simulator applies the plan to that (refusing what the kernel would refuse), and the
// results are put back into copies of the record's lists. The record's own lists are never changed.
//
// Returns undefined for a plan with operations this does not place (sets or links created or destroyed,
// ledger sets created): the caller then simulates the whole state. A small state cannot tell a full set
// (maxelem): the kernel's answer to that comes with the apply itself.
import { compareCidr, compareVirtualServers, virtualServerKey } from '../state/canonical.js';
import { compareStrings, findSorted, setSorted } from '../state/sorted.js';
import type { State, VirtualServer } from '../state/types.js';
import { isLedgerSetName, keyFromLedgerEntry, LEDGER_SETS, virtualServerIdFromKey } from './ledger.js';
import type { ObservedState } from './observed.js';
import { sameVirtualServer } from './observe-ipvs.js';
import type { Operation } from './operations.js';
import { applyOperationsToState } from './simulate.js';

interface Touched {
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

  const out: ObservedState = { ...observed, sorted: true, canonical: true };
  if (t.virtualServers.size > 0) {
    const byKey = new Map(after.virtualServers.map((vs) => [virtualServerKey(vs), vs]));
    const list = [...observed.virtualServers];
    for (const key of t.virtualServers) {
      const id = virtualServerIdFromKey(key) as VirtualServer;
      const now = byKey.get(key);
      // The desired state's object when equal: the record and the desired state share their virtual servers.
      const held = now && findSorted(desired.virtualServers, id, compareVirtualServers);
      setSorted(list, id, held && sameVirtualServer(held, now) ? held : now, compareVirtualServers);
    }
    out.virtualServers = list;
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
    out.ipsets = observed.ipsets.map((s) => {
      const members = t.members.get(s.name);
      if (!members) return s;
      const entries = [...s.entries];
      for (const m of members) setSorted(entries, m, afterSets.get(s.name)?.has(m) ? m : undefined, compareStrings);
      return { ...s, entries };
    });
  }
  if (t.addresses.size > 0 && observed.interface) {
    const now = new Set(after.interface?.addresses ?? []);
    const list = [...observed.interface.addresses];
    for (const a of t.addresses) setSorted(list, a, now.has(a) ? a : undefined, compareCidr);
    out.interface = { ...observed.interface, exists: after.interface?.exists ?? false, addresses: list };
  }
  if (after.iptables) out.iptables = after.iptables;
  return out;
}

/** The objects a plan touches; undefined when it does more than this module places. */
function touchedBy(ops: readonly Operation[]): Touched | undefined {
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

function inSorted(entries: readonly string[], m: string): boolean {
  return findSorted(entries, m, compareStrings) !== undefined;
}
