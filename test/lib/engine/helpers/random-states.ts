// Random desired/observed pairs for the planner's property test. Small pools make collisions likely:
// the same virtual server or set name desired and observed, owned or foreign, with other settings.
import { canonicalState, virtualServerKey } from '../../../../lib/state/canonical.js';
import type { Family, IpsetState, IptablesState, RealServer, ServiceFlag, State, VirtualServer } from '../../../../lib/state/types.js';
import { ledgerEntryFor, LEDGER_SET_SPECS, LEDGER_SETS, TEMPORARY_SET_PREFIX, type LedgerSetName } from '../../../../lib/engine/ledger.js';
import type { ObservedState } from '../../../../lib/engine/observed.js';
import type { Rng } from './prng.js';

const VS_IDENTITIES: readonly string[] = [
  'tcp 10.96.0.1:80', 'tcp 10.96.0.1:443', 'udp 10.96.0.1:53', 'tcp 10.96.0.2:80', 'sctp 10.96.0.2:80',
  'tcp [fd00::1]:80', 'udp [fd00::1]:53', 'fwmark inet 1', 'fwmark inet6 2',
];
const RS_V4 = ['10.244.0.1:8080', '10.244.0.2:8080', '10.244.0.3:8080', '10.244.0.1:9090'];
const RS_V6 = ['[fd00:244::1]:8080', '[fd00:244::2]:8080', '[fd00:244::3]:8080'];
const SCHEDULERS = ['rr', 'wrr', 'lc', 'sh', 'mh'];
const DESIRED_SET_NAMES = ['KUBE-A', 'KUBE-B', 'KUBE-C', 'KUBE-D'];
const OTHER_SET_NAMES = ['OTHER-1', 'OTHER-2'];
const ADDRESSES = ['10.96.0.1/32', '10.96.0.2/32', 'fd00::1/128', '10.96.0.3/32'];

interface SetShape {
  type: IpsetState['type'];
  family: Family;
  pool: string[];
}
const SET_SHAPES: readonly SetShape[] = [
  { type: 'hash:ip', family: 'inet', pool: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] },
  { type: 'hash:ip', family: 'inet6', pool: ['fd00::1', 'fd00::2'] },
  { type: 'hash:ip,port', family: 'inet', pool: ['10.96.0.1,tcp:80', '10.96.0.1,udp:53', '10.96.0.2,tcp:80'] },
  { type: 'hash:net', family: 'inet', pool: ['10.0.0.0/8', '192.168.0.0/16', '10.1.2.3'] },
  { type: 'bitmap:port', family: 'inet', pool: ['30000', '31000', '32000'] },
];

function identity(key: string): Pick<VirtualServer, 'protocol' | 'address' | 'port' | 'fwmark' | 'family'> {
  const f = /^fwmark (inet6?) (\d+)$/.exec(key);
  if (f) return { fwmark: Number(f[2]), family: f[1] as Family };
  const m = /^(\w+) \[?([^\]]+?)\]?:(\d+)$/.exec(key)!;
  return { protocol: m[1] as 'tcp', address: m[2]!, port: Number(m[3]) };
}

function isV6(key: string): boolean {
  return key.includes('[') || key.startsWith('fwmark inet6');
}

function randomVirtualServer(rng: Rng, key: string): VirtualServer {
  const scheduler = rng.pick(SCHEDULERS);
  const flags: ServiceFlag[] = [];
  if (rng.chance(0.3)) flags.push('persistent');
  if (scheduler === 'sh' && rng.chance(0.5)) flags.push('sh-port');
  if (scheduler === 'mh' && rng.chance(0.5)) flags.push('mh-fallback');
  const pool = isV6(key) ? RS_V6 : RS_V4;
  const realServers: RealServer[] = rng.subset(pool).map((hp) => {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hp)!;
    const r: RealServer = { address: m[1]!, port: Number(m[2]), weight: rng.int(3), forward: 'masq' };
    if (rng.chance(0.2)) r.upperThreshold = 10 + rng.int(3);
    return r;
  });
  const vs: VirtualServer = { ...identity(key), scheduler, flags, realServers };
  if (flags.includes('persistent')) vs.timeout = rng.pick([300, 10800]);
  return vs;
}

function randomSet(rng: Rng, name: string): IpsetState {
  const shape = rng.pick(SET_SHAPES);
  const s: IpsetState = { name, type: shape.type, family: shape.family, entries: rng.subset(shape.pool) };
  if (shape.type !== 'bitmap:port' && rng.chance(0.25)) s.maxelem = rng.pick([100, 65536, 1000]);
  if (shape.type !== 'bitmap:port' && rng.chance(0.2)) s.hashsize = rng.pick([64, 1024]);
  return s;
}

function rulesUsing(sets: readonly string[]): IptablesState {
  return {
    filter: { 'KUBE-TEST': sets.map((s) => `-m set --match-set ${s} dst -j ACCEPT`) },
  };
}

export function randomDesired(rng: Rng): State {
  const virtualServers = rng.subset(VS_IDENTITIES, 0.4).map((k) => randomVirtualServer(rng, k));
  const ipsets = rng.subset(DESIRED_SET_NAMES, 0.5).map((n) => randomSet(rng, n));
  const s: State = { virtualServers, ipsets };
  if (rng.chance(0.7)) s.interface = { name: 'kube-ipvs0', addresses: rng.subset(ADDRESSES) };
  if (rng.chance(0.5)) s.iptables = rulesUsing(rng.subset(ipsets.map((x) => x.name)));
  return canonicalState(s);
}

export function randomObserved(rng: Rng, desired: State): ObservedState {
  const virtualServers = rng.subset(VS_IDENTITIES, 0.5).map((k) => randomVirtualServer(rng, k));
  const ownedVs = new Set<string>();
  for (const v of virtualServers) if (rng.chance(0.5)) ownedVs.add(virtualServerKey(v));
  // Stale ledger entries: recorded servers that are gone.
  for (const k of VS_IDENTITIES) {
    if (!virtualServers.some((v) => virtualServerKey(v) === k) && rng.chance(0.1)) ownedVs.add(virtualServerKey(identity(k) as VirtualServer));
  }
  const ipsets = rng.subset([...DESIRED_SET_NAMES, ...OTHER_SET_NAMES], 0.5).map((n) => randomSet(rng, n));
  const ownedSets = new Set(ipsets.filter(() => rng.chance(0.5)).map((s) => s.name));
  const ledgerSets = new Set<LedgerSetName>();
  for (const k of ownedVs) ledgerSets.add(ledgerEntryFor(identity(k)).set);
  if (ownedSets.size > 0) ledgerSets.add(LEDGER_SETS);
  for (const spec of LEDGER_SET_SPECS) if (rng.chance(0.15)) ledgerSets.add(spec.name);
  const temporaryIpsets = new Set<string>(rng.chance(0.15) ? [`${TEMPORARY_SET_PREFIX}${rng.int(2)}`] : []);
  const o: ObservedState = {
    virtualServers,
    ipsets,
    ledger: { sets: ledgerSets, virtualServers: ownedVs, ipsets: ownedSets, temporaryIpsets },
  };
  if (desired.interface && rng.chance(0.8)) {
    const exists = rng.chance(0.7);
    o.interface = { name: 'kube-ipvs0', exists, addresses: exists ? rng.subset(ADDRESSES) : [] };
  }
  // Rules from the previous sync use some of our sets (only when the state manages iptables).
  if (desired.iptables && rng.chance(0.7)) o.iptables = rulesUsing([...ownedSets].filter(() => rng.chance(0.5)));
  return o;
}

/** The next desired state: virtual servers kept, replaced or dropped, set members and addresses changed. */
export function nextDesired(rng: Rng, first: State): State {
  const other = randomDesired(rng);
  const otherVs = new Map(other.virtualServers.map((v) => [virtualServerKey(v), v]));
  const keys = new Set([...first.virtualServers.map(virtualServerKey), ...otherVs.keys()]);
  const firstVs = new Map(first.virtualServers.map((v) => [virtualServerKey(v), v]));
  const virtualServers = [...keys].flatMap((k) => {
    const r = rng.next();
    const v = r < 0.6 ? firstVs.get(k) ?? otherVs.get(k) : r < 0.85 ? otherVs.get(k) : undefined;
    return v ? [v] : [];
  });
  const ipsets = first.ipsets.map((s) => {
    const same = other.ipsets.find((o) => o.type === s.type && o.family === s.family);
    return { ...s, entries: rng.subset([...new Set([...s.entries, ...(same?.entries ?? [])])], 0.7) };
  });
  const next: State = { virtualServers, ipsets };
  if (first.interface) next.interface = { ...first.interface, addresses: rng.subset([...new Set([...first.interface.addresses, ...(other.interface?.addresses ?? [])])], 0.7) };
  if (first.iptables) next.iptables = first.iptables;
  return canonicalState(next);
}
