// A kernel read that ran while we kept applying changes, made into what the kernel holds now.
//
// The proxier's periodic read (drift repair) takes seconds at 10,000 Services; the event-driven syncs do not
// wait for it (proxier.ts). A read that overlaps our own applies may have seen an object before or after we
// changed it, so for every object an apply touched since the read began the engine's record of that apply
// is the truth; for everything else the read is (only someone else changes it). The result is planned like
// any kernel read: what still differs from the desired state is drift, and is repaired and counted.
import { compareCidr, compareVirtualServers, virtualServerKey } from '../state/canonical.js';
import { compareStrings, findSorted } from '../state/sorted.js';
import type { VirtualServer } from '../state/types.js';
import { virtualServerIdFromKey } from './ledger.js';
import type { ObservedState } from './observed.js';
import type { Operation } from './operations.js';
import { touchedBy, type Touched } from './simulate-scoped.js';

/** What our applies changed since a read began: keys of objects, and whether iptables was synced. */
export interface ChangedSinceRead {
  virtualServers: Set<string>;
  members: Map<string, Set<string>>;
  addresses: Set<string>;
  iptables: boolean;
}

export function nothingChanged(): ChangedSinceRead {
  return { virtualServers: new Set(), members: new Map(), addresses: new Set(), iptables: false };
}

/**
 * Adds what `ops` (applied) changed to `changed`. False when an operation is not placed by key (a set or the
 * interface created or destroyed): the read can then not be patched, and the caller reads again.
 */
export function noteApplied(changed: ChangedSinceRead, ops: readonly Operation[]): boolean {
  const t: Touched | undefined = touchedBy(ops);
  if (!t) return false;
  for (const k of t.virtualServers) changed.virtualServers.add(k);
  for (const [set, members] of t.members) {
    let mine = changed.members.get(set);
    if (!mine) changed.members.set(set, (mine = new Set()));
    for (const m of members) mine.add(m);
  }
  for (const a of t.addresses) changed.addresses.add(a);
  if (ops.some((op) => op.kind === 'iptables-sync')) changed.iptables = true;
  return true;
}

/**
 * `read`, with every object in `changed` as `record` (sorted: the record of the last successful apply,
 * ObservedState.sorted) has it. Connection counts stay the read's: they are not ours to know.
 */
export function overlayRecord(read: ObservedState, record: ObservedState, changed: ChangedSinceRead): ObservedState {
  if (!record.sorted) throw new Error('overlayRecord: the record must be sorted (the record of an apply)');
  const vsChanged = changed.virtualServers;
  const virtualServers: VirtualServer[] = vsChanged.size === 0 ? read.virtualServers : read.virtualServers.filter((vs) => !vsChanged.has(virtualServerKey(vs)));
  const ledgerVs = new Set(read.ledger.virtualServers);
  for (const key of vsChanged) {
    const id = virtualServerIdFromKey(key) as VirtualServer;
    const held = findSorted(record.virtualServers, id, compareVirtualServers);
    if (held) virtualServers.push(held);
    if (record.ledger.virtualServers.has(key)) ledgerVs.add(key);
    else ledgerVs.delete(key);
  }

  const recordSets = new Map(record.ipsets.map((s) => [s.name, s]));
  const ipsets = read.ipsets.map((s) => {
    const members = changed.members.get(s.name);
    const held = recordSets.get(s.name);
    if (!members || !held) return s;
    const entries = s.entries.filter((m) => !members.has(m));
    for (const m of members) if (findSorted(held.entries, m, compareStrings) !== undefined) entries.push(m);
    return { ...s, entries };
  });

  const out: ObservedState = { ...read, virtualServers, ipsets, ledger: { ...read.ledger, virtualServers: ledgerVs }, canonical: read.canonical === true && record.canonical === true };
  delete out.sorted;
  if (read.interface && changed.addresses.size > 0) {
    const have = record.interface?.name === read.interface.name ? record.interface.addresses : [];
    const addresses = read.interface.addresses.filter((a) => !changed.addresses.has(a));
    for (const a of changed.addresses) if (findSorted(have, a, compareCidr) !== undefined) addresses.push(a);
    out.interface = { ...read.interface, addresses };
  }
  if (changed.iptables) {
    if (record.iptables) out.iptables = record.iptables;
    else delete out.iptables;
  }
  return out;
}
