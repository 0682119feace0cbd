// What `ipvs-proxier dump` shows: the canonical state (ledgers hidden unless asked) plus, for the text
// view, IPVS version, connection counts and counters.
import { canonicalState, virtualServerKey } from '../state/canonical.js';
import type { Counters, IpsetState, RealServerStats, State } from '../state/types.js';
import type { IpvsStats } from '../../native-free-netlink/ipvs/types.js';
import type { KernelEngine } from '../engine/engine.js';
import { virtualServersFromKernel } from '../engine/engine.js';
import { destinationKey } from '../kernel/ipvs-convert.js';
import { ledgerFromIpsets } from '../engine/ledger.js';
import { ownedIptablesState } from '../iptables/owned.js';
import { readIptables } from '../iptables/sync.js';

export interface DumpData {
  state: State;
  version: string;
  connTableSize: number;
  realServerStats: Map<string, Map<string, RealServerStats>>;
  serviceCounters: Map<string, Counters>;
  /** Our internal ledger sets, shown with --all. */
  ledgerSets: IpsetState[];
}

function counters(s: IpvsStats | undefined): Counters | undefined {
  if (!s) return undefined;
  return { conns: s.conns, inPackets: s.inpkts, outPackets: s.outpkts, inBytes: s.inbytes, outBytes: s.outbytes, cps: s.cps, inPps: s.inpps, outPps: s.outpps, inBps: s.inbps, outBps: s.outbps };
}

export async function readDump(engine: KernelEngine, interfaceName: string, withIptables: boolean): Promise<DumpData> {
  const { ipvs, ipset, links, iptables } = engine.backends;
  const [info, services, listed, link, rules] = await Promise.all([
    ipvs.info(),
    ipvs.listAll(),
    ipset.list(),
    links.find(interfaceName),
    withIptables ? readIptables(iptables).then(ownedIptablesState).catch(() => undefined) : Promise.resolve(undefined),
  ]);
  const { virtualServers } = virtualServersFromKernel(services);
  const realServerStats = new Map<string, Map<string, RealServerStats>>();
  const serviceCounters = new Map<string, Counters>();
  services.forEach((s, i) => {
    const vs = virtualServers[i]!;
    const key = virtualServerKey(vs);
    const c = counters(s.stats.stats64 ?? s.stats.stats);
    if (c) serviceCounters.set(key, c);
    const per = new Map<string, RealServerStats>();
    s.destinations.forEach((d) => {
      const st: RealServerStats = { activeConns: d.stats.activeConns, inactiveConns: d.stats.inactiveConns, persistentConns: d.stats.persistConns };
      const dc = counters(d.stats.stats64 ?? d.stats.stats);
      if (dc) st.counters = dc;
      // Keyed by the destination itself: the state lists real servers sorted, the kernel newest first.
      per.set(destinationKey(d.destination), st);
    });
    realServerStats.set(key, per);
  });
  const { ipsets } = ledgerFromIpsets(listed);
  const ledgerNames = new Set(ipsets.map((s) => s.name));
  const ledgerSets = listed
    .filter((l) => !ledgerNames.has(l.name))
    .map((l) => ({ name: l.name, type: l.type, family: l.family, entries: [...l.entries] }) as IpsetState);
  const state: State = {
    interface: { name: interfaceName, addresses: link ? await links.addressCidrs(link.index) : [] },
    virtualServers,
    ipsets,
  };
  if (rules && Object.keys(rules).length > 0) state.iptables = rules;
  return { state: canonicalState(state), version: info.version, connTableSize: info.connTableSize, realServerStats, serviceCounters, ledgerSets };
}
