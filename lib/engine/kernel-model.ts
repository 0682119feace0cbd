// A plain model of the kernel objects a plan touches, with the internal sets the ObservedState folds into
// its ledger spelt out again as sets: the simulator needs them to apply the kernel's reference rules.
import { canonicalIpset, canonicalVirtualServer, compareCidr, compareVirtualServers, isCanonicalVirtualServer, virtualServerKey } from '../state/canonical.js';
import type { Family, IpsetState, IptablesState, VirtualServer } from '../state/types.js';
import {
  ledgerEntryForIpset, ledgerEntryForKey, ledgerFromIpsets, ledgerSetSpec, type ListedIpset,
} from './ledger.js';
import { setsUsedByRules } from './iptables-section.js';
import type { ConnectionCounts, ObservedState } from './observed.js';
import { sameVirtualServer } from './observe-ipvs.js';

export interface ModelSet {
  name: string;
  type: string;
  family: Family;
  entries: Set<string>;
  hashsize?: number;
  maxelem?: number;
  range?: string;
  /** list:set size. */
  size?: number;
}

export interface KernelModel {
  /** The interface the observed state was about (kept so the result reports it even once deleted). */
  interfaceName?: string;
  link?: { name: string; addresses: Set<string> };
  virtualServers: Map<string, VirtualServer>;
  sets: Map<string, ModelSet>;
  iptables?: IptablesState;
  connections?: ConnectionCounts;
}

export function modelFromObserved(o: ObservedState): KernelModel {
  const m: KernelModel = { virtualServers: new Map(), sets: new Map() };
  if (o.interface) {
    m.interfaceName = o.interface.name;
    if (o.interface.exists) m.link = { name: o.interface.name, addresses: new Set(o.interface.addresses) };
  }
  for (const raw of o.virtualServers) {
    const vs = canonicalVirtualServer(raw);
    m.virtualServers.set(virtualServerKey(vs), vs);
  }
  for (const s of o.ipsets) m.sets.set(s.name, modelSet(s));
  for (const name of o.ledger.sets) {
    const spec = ledgerSetSpec(name);
    m.sets.set(name, { name, type: spec.type, family: spec.family ?? 'inet', entries: new Set(), ...(spec.size ? { size: spec.size } : {}) });
  }
  const record = (set: string, entry: string, what: string): void => {
    const ledger = m.sets.get(set);
    if (!ledger) throw new Error(`inconsistent observed state: the ledger records ${what} but ledger set ${set} does not exist`);
    ledger.entries.add(entry);
  };
  for (const key of o.ledger.virtualServers) {
    const e = ledgerEntryForKey(key);
    record(e.set, e.entry, e.object);
  }
  for (const name of o.ledger.ipsets) {
    const e = ledgerEntryForIpset(name);
    record(e.set, e.entry, e.object);
  }
  // Leftover temporary sets: their type and members do not matter, only that they exist.
  for (const name of o.ledger.temporaryIpsets) m.sets.set(name, { name, type: 'hash:ip', family: 'inet', entries: new Set() });
  if (o.iptables) m.iptables = o.iptables;
  if (o.connections) m.connections = o.connections;
  return m;
}

/**
 * `known`: virtual servers the caller holds (the desired state's); a resulting one equal to one of them is
 * that object, so the engine's record of an apply shares the desired state's objects instead of keeping
 * the ones of the state before (a proxier then holds one copy of its services, not two).
 */
/**
 * The state the model describes. `known`: virtual servers the caller holds (the desired state's), returned
 * in place of equal ones; `knownIpsets`: likewise for sets (a canonical desired set whose members and
 * attributes the model's set has exactly is returned as that object), so the engine's record of an apply
 * shares the desired state's 110,000 member strings and arrays instead of holding its own sorted copy.
 */
export function observedFromModel(m: KernelModel, known?: readonly VirtualServer[], knownIpsets?: readonly IpsetState[]): ObservedState {
  const shared = new Map<string, IpsetState>();
  if (knownIpsets) {
    for (const k of knownIpsets) {
      const s = m.sets.get(k.name);
      if (s && sameIpset(k, s)) shared.set(k.name, k);
    }
  }
  // A shared set's members are not copied (ledgerFromIpsets only sorts sets into ours and the ledger).
  const listed: ListedIpset[] = [...m.sets.values()].map((s) => ({ ...s, entries: shared.get(s.name)?.entries ?? [...s.entries] }));
  const { ipsets, ledger } = ledgerFromIpsets(listed);
  const held = known ? new Map(known.map((v) => [virtualServerKey(v), v])) : undefined;
  const asHeld = (vs: VirtualServer): VirtualServer => {
    const c = canonicalVirtualServer(vs);
    const h = held?.get(virtualServerKey(c));
    return h && h !== c && sameVirtualServer(h, c) && isCanonicalVirtualServer(h) ? h : c;
  };
  const o: ObservedState = {
    virtualServers: [...m.virtualServers.values()].map(asHeld).sort(compareVirtualServers),
    ipsets: ipsets.map((s) => shared.get(s.name) ?? canonicalIpset(s)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    ledger,
  };
  if (m.interfaceName !== undefined) {
    const link = m.link?.name === m.interfaceName ? m.link : undefined;
    o.interface = { name: m.interfaceName, exists: link !== undefined, addresses: [...(link?.addresses ?? [])].sort(compareCidr) };
  }
  if (m.iptables) o.iptables = m.iptables;
  if (m.connections) o.connections = m.connections;
  return o;
}

/** Equal attributes and members, `held` canonical (so it deep-equals what canonicalIpset makes of `s`). */
export function sameIpset(held: IpsetState, s: ModelSet): boolean {
  if (held.type !== s.type || held.family !== s.family || held.hashsize !== s.hashsize || held.maxelem !== s.maxelem || held.range !== s.range) return false;
  if (s.size !== undefined || held.entries.length !== s.entries.size) return false;
  for (const e of held.entries) if (!s.entries.has(e)) return false;
  return canonicalIpset(held) === held;
}

function modelSet(s: IpsetState): ModelSet {
  const out: ModelSet = { name: s.name, type: s.type, family: s.family, entries: new Set(s.entries) };
  if (s.hashsize !== undefined) out.hashsize = s.hashsize;
  if (s.maxelem !== undefined) out.maxelem = s.maxelem;
  if (s.range !== undefined) out.range = s.range;
  return out;
}

/** What holds a reference to a set: list:set sets that contain it, and rules that use it. */
export function referencesTo(m: KernelModel, name: string): string[] {
  const refs: string[] = [];
  for (const s of m.sets.values()) if (s.type === 'list:set' && s.entries.has(name)) refs.push(`list:set ${s.name}`);
  if (m.iptables && setsUsedByRules(m.iptables).has(name)) refs.push('iptables rules');
  return refs;
}
