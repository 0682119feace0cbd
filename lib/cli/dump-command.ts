// ipvs-proxier dump [--json] [--stats] [--all] [--conntrack] [--interface NAME]
import { parseArgs } from 'node:util';
import { formatConntrackPerVirtualServer } from '../dump/conntrack-format.js';
import { formatIpvsTable } from '../dump/ipvsadm-format.js';
import { readDump } from '../dump/read-dump.js';
import { DEFAULT_INTERFACE, openKernelEngine } from '../engine/engine.js';
import { listConntrackFlows } from '../kernel/conntrack-client.js';
import { NETLINK_NETFILTER_PROTOCOL } from '../netlink/protocols.js';
import { SocketTransport } from '../netlink/socket-transport.js';
import type { IpsetState } from '../state/types.js';

export const DUMP_USAGE = `usage: ipvs-proxier dump [--json] [--stats] [--all] [--conntrack] [--interface NAME]
  Prints every IPVS virtual server with its real servers (laid out like ipvsadm -Ln), every ipset with its
  members, and the addresses on the interface (kube-ipvs0).
  --json       the state format (what apply -f reads), canonical: two dumps of one state are identical
  --stats      add counters to the text view (like ipvsadm -Ln --stats)
  --all        also show ipvs-proxier's internal ledger sets (IPVS-PROXIER-*)
  --conntrack  also list the conntrack flows of each virtual server (original destination = it)
  --interface  the dummy interface to show (default kube-ipvs0)`;

export async function dumpCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, stats: { type: 'boolean' }, all: { type: 'boolean' }, conntrack: { type: 'boolean' }, interface: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    out(DUMP_USAGE + '\n');
    return 0;
  }
  const engine = await openKernelEngine();
  try {
    const d = await readDump(engine, values.interface ?? DEFAULT_INTERFACE, true);
    const ipsets = values.all ? [...d.state.ipsets, ...d.ledgerSets] : d.state.ipsets;
    if (values.json) {
      out(JSON.stringify({ ...d.state, ipsets }, null, 2) + '\n');
      return 0;
    }
    out(formatIpvsTable({ version: d.version, connTableSize: d.connTableSize, virtualServers: d.state.virtualServers, realServerStats: d.realServerStats, serviceCounters: d.serviceCounters }, !!values.stats));
    out('\n' + formatIpsets(ipsets));
    const iface = d.state.interface!;
    out(`\n${iface.name} addresses (${iface.addresses.length}):\n` + iface.addresses.map((a) => `  ${a}\n`).join(''));
    if (values.conntrack) {
      // Its own socket: the engine's connections are for IPVS, ipset and rtnetlink.
      const netfilter = new SocketTransport(NETLINK_NETFILTER_PROTOCOL);
      try {
        out('\n' + formatConntrackPerVirtualServer(d.state.virtualServers, await listConntrackFlows(netfilter, 0)));
      } finally {
        netfilter.close();
      }
    }
    return 0;
  } finally {
    engine.close();
  }
}

function formatIpsets(sets: IpsetState[]): string {
  return sets
    .map((s) => {
      const opts = s.type === 'bitmap:port' ? `range ${s.range ?? '0-65535'}` : `family ${s.family}${s.hashsize ? ` hashsize ${s.hashsize}` : ''}${s.maxelem ? ` maxelem ${s.maxelem}` : ''}`;
      return `ipset ${s.name} ${s.type} ${opts} (${s.entries.length} members)\n` + s.entries.map((e) => `  ${e}\n`).join('');
    })
    .join('');
}
