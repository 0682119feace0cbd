// A plain model of the kernel objects a plan touches, with the internal sets the ObservedState folds into
// its ledger spelt out again as sets: the simulator needs them to apply the kernel's reference rules.
import {
  canonicalIpset, canonicalVirtualServer, compareCidr, compareVirtualServers, isCanonicalVirtualServer, strictlyAscending, virtualServerKey,
} from '../state/canonical.js';
import type { Family, IpsetState, IptablesState, VirtualServer } from '../state/types.js';
import {
  ledgerEntryForIpset, ledgerEntryForKey, ledgerFromIpsets, ledgerSetSpec, type ListedIpset,
} from './ledger.js';
import { setsUsedByRules } from './iptables-section.js';
import type { ConnectionCounts, ObservedState } from './observed.js';
import { sameVirtualServer } from './observe-ipvs.js';

/**
 * A set's members as a Set, over the listed members without copying them: a plan touches one or two of a
 * node's sets, and a Set of 100,000 members per set per sync was most of the simulator's time and much of
 * a partial sync's memory at 10,000 services. Members listed sorted (the engine's record of its last apply)
 * answer has/add/delete by binary search plus two small overlays, and come out sorted again by one merge
 * (sortedMembers); anything else (iteration, or members listed in the kernel's hash order) first turns the
 * list into the Set proper.
 */
export class MemberSet extends Set<string> {
  private listed: readonly string[] | undefined;
  private readonly sorted: boolean;
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  constructor(listed: readonly string[]) {
    super();
    this.listed = listed;
    this.sorted = strictlyAscending(listed);
  }

  /** The listed members while nothing has changed them. */
  get untouched(): readonly string[] | undefined {
    return this.listed !== undefined && this.added.size === 0 && this.removed.size === 0 ? this.listed : undefined;
  }

  /** The members sorted, without building the Set when they were listed sorted; undefined otherwise. */
  sortedMembers(): readonly string[] | undefined {
    const listed = this.listed;
    if (listed === undefined || !this.sorted) return undefined;
    if (this.added.size === 0 && this.removed.size === 0) return listed;
    const adds = [...this.added].sort();
    const out: string[] = [];
    let j = 0;
    for (const e of listed) {
      while (j < adds.length && adds[j]! < e) out.push(adds[j++]!);
      if (!this.removed.has(e)) out.push(e);
    }
    while (j < adds.length) out.push(adds[j++]!);
    return out;
  }

  private inListed(e: string): boolean {
    const l = this.listed!;
    let lo = 0;
    let hi = l.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = l[mid]!;
      if (v === e) return true;
      if (v < e) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** Turns the listed members (and the overlays) into the Set proper. */
  private load(): void {
    const listed = this.listed;
    if (listed === undefined) return;
    this.listed = undefined;
    for (const e of listed) if (!this.removed.has(e)) super.add(e);
    for (const e of this.added) super.add(e);
    this.added.clear();
    this.removed.clear();
  }

  override has(e: string): boolean {
    if (this.listed !== undefined && this.sorted) return this.added.has(e) || (!this.removed.has(e) && this.inListed(e));
    this.load();
    return super.has(e);
  }

  override add(e: string): this {
    if (this.listed !== undefined && this.sorted) {
      if (!this.removed.delete(e) && !this.inListed(e)) this.added.add(e);
      return this;
    }
    this.load();
    return super.add(e);
  }

  override delete(e: string): boolean {
    if (this.listed !== undefined && this.sorted) {
      if (this.added.delete(e)) return true;
      if (this.removed.has(e) || !this.inListed(e)) return false;
      this.removed.add(e);
      return true;
    }
    this.load();
    return super.delete(e);
  }

  override clear(): void {
    this.listed = undefined;
    this.added.clear();
    this.removed.clear();
    super.clear();
  }

  override get size(): number {
    if (this.listed !== undefined && this.sorted) return this.listed.length + this.added.size - this.removed.size;
    this.load();
    return super.size;
  }

  override forEach(f: (value: string, key: string, set: Set<string>) => void, thisArg?: unknown): void {
    this.load();
    super.forEach(f, thisArg);
  }

  override values(): SetIterator<string> {
    this.load();
    return super.values();
  }

  override keys(): SetIterator<string> {
    this.load();
    return super.keys();
  }

  override entries(): SetIterator<[string, string]> {
    this.load();
    return super.entries();
  }

  override [Symbol.iterator](): SetIterator<string> {
    this.load();
    return super[Symbol.iterator]();
  }
}

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
  /** Virtual servers taken from a canonical observed state as they are (no operation replaced them). */
  canonicalAsObserved?: ReadonlySet<VirtualServer>;
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
  // A state the engine itself produced (a kernel read, or the record of an apply) is canonical already.
  for (const raw of o.virtualServers) {
    const vs = o.canonical ? raw : canonicalVirtualServer(raw);
    m.virtualServers.set(virtualServerKey(vs), vs);
  }
  if (o.canonical) m.canonicalAsObserved = new Set(o.virtualServers);
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
 * The state the model describes. `known`: virtual servers the caller holds (the desired state's), returned
 * in place of equal ones, so the engine's record of an apply shares the desired state's objects instead of
 * keeping the ones of the state before (a proxier then holds one copy of its services, not two);
 * `knownIpsets`: likewise for sets (a canonical desired set whose members and attributes the model's set
 * has exactly is returned as that object: no own sorted copy of 110,000 member strings). `knownCanonical`:
 * the caller canonicalized them (the engine does, once per apply), so they are not checked again.
 */
export function observedFromModel(m: KernelModel, known?: readonly VirtualServer[], knownIpsets?: readonly IpsetState[], knownCanonical = false): ObservedState {
  const shared = new Map<string, IpsetState>();
  if (knownIpsets) {
    for (const k of knownIpsets) {
      const s = m.sets.get(k.name);
      if (s && sameIpset(k, s, knownCanonical)) shared.set(k.name, k);
    }
  }
  // A shared set's members are not copied (ledgerFromIpsets only sorts sets into ours and the ledger), nor
  // are the listed members of a set no operation touched.
  const listed: ListedIpset[] = [...m.sets.values()].map((s) => ({ ...s, entries: shared.get(s.name)?.entries ?? sortedMembers(s) ?? untouchedMembers(s) ?? [...s.entries] }));
  const { ipsets, ledger } = ledgerFromIpsets(listed);
  const held = known ? new Map(known.map((v) => [virtualServerKey(v), v])) : undefined;
  const asHeld = (vs: VirtualServer): VirtualServer => {
    const c = m.canonicalAsObserved?.has(vs) ? vs : canonicalVirtualServer(vs);
    const h = held?.get(virtualServerKey(c));
    return h && h !== c && sameVirtualServer(h, c) && (knownCanonical || isCanonicalVirtualServer(h)) ? h : c;
  };
  const o: ObservedState = {
    // Sorted input stays sorted (an operation replaces a virtual server in place): one pass of comparisons.
    virtualServers: [...m.virtualServers.values()].map(asHeld).sort(compareVirtualServers),
    ipsets: ipsets.map((s) => shared.get(s.name) ?? canonicalIpset(s)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    ledger,
    canonical: true,
    sorted: true,
  };
  if (m.interfaceName !== undefined) {
    const link = m.link?.name === m.interfaceName ? m.link : undefined;
    o.interface = { name: m.interfaceName, exists: link !== undefined, addresses: [...(link?.addresses ?? [])].sort(compareCidr) };
  }
  if (m.iptables) o.iptables = m.iptables;
  if (m.connections) o.connections = m.connections;
  return o;
}

/**
 * Equal attributes and members, `held` canonical (so it deep-equals what canonicalIpset makes of `s`;
 * checked unless `heldCanonical`).
 */
export function sameIpset(held: IpsetState, s: ModelSet, heldCanonical = false): boolean {
  if (held.type !== s.type || held.family !== s.family || held.hashsize !== s.hashsize || held.maxelem !== s.maxelem || held.range !== s.range) return false;
  if (s.size !== undefined) return false;
  // Members listed sorted (and changed by the plan or not) compare element by element: no Set.
  const sorted = sortedMembers(s);
  const inOrder = sorted !== undefined && (sorted === held.entries || sameSortedMembers(held.entries, sorted));
  if (!inOrder) {
    if (held.entries.length !== s.entries.size) return false;
    for (const e of held.entries) if (!s.entries.has(e)) return false;
  }
  return heldCanonical || canonicalIpset(held) === held;
}

/** The listed members of a set no operation has changed (MemberSet.untouched). */
function untouchedMembers(s: ModelSet): readonly string[] | undefined {
  return s.entries instanceof MemberSet ? s.entries.untouched : undefined;
}

/** MemberSet.sortedMembers: the members sorted when they were listed sorted. */
function sortedMembers(s: ModelSet): readonly string[] | undefined {
  return s.entries instanceof MemberSet ? s.entries.sortedMembers() : undefined;
}

/** Element-wise equal (a record's members against the desired ones: both sorted, no hashing needed). */
function sameSortedMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function modelSet(s: IpsetState): ModelSet {
  const out: ModelSet = { name: s.name, type: s.type, family: s.family, entries: new MemberSet(s.entries) };
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
