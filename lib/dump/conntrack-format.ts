// `ipvs-proxier dump --conntrack`: the conntrack flows of each virtual server (flows whose original
// destination is the virtual server's address, port and protocol), laid out one flow per line like
// `conntrack -L`. Firewall-mark virtual servers have no address to match and are left out.
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPS_ASSURED, IPS_SEEN_REPLY, type ConntrackFlow, type ConntrackTuple } from '../../native-free-netlink/conntrack/index.js';
import type { Protocol, VirtualServer } from '../state/types.js';

const PROTOCOL_NUMBER: Record<Protocol, number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP };

function endpoint(address: string | undefined, port: number | undefined): string {
  const a = address ?? '?';
  return `${a.includes(':') ? `[${a}]` : a}:${port ?? '?'}`;
}

function tuple(t: ConntrackTuple): string {
  return `${endpoint(t.src, t.srcPort)} -> ${endpoint(t.dst, t.dstPort)}`;
}

export function formatFlow(f: ConntrackFlow): string {
  const status = f.status ?? 0;
  const marks = [(status & IPS_SEEN_REPLY) === 0 ? '[UNREPLIED]' : '', (status & IPS_ASSURED) !== 0 ? '[ASSURED]' : ''].filter(Boolean);
  const extra = [f.timeout !== undefined ? `timeout=${f.timeout}` : '', f.zone ? `zone=${f.zone}` : '', f.mark ? `mark=${f.mark}` : ''].filter(Boolean);
  return [tuple(f.orig), 'reply', tuple(f.reply), ...marks, ...extra].join(' ');
}

/** One section per virtual server with an address: its flows, or "(no flows)". */
export function formatConntrackPerVirtualServer(virtualServers: readonly VirtualServer[], flows: readonly ConntrackFlow[]): string {
  const out: string[] = [];
  for (const vs of virtualServers) {
    if (vs.address === undefined || vs.port === undefined || vs.protocol === undefined) continue;
    const proto = PROTOCOL_NUMBER[vs.protocol];
    const mine = flows.filter((f) => f.orig.dst === vs.address && f.orig.dstPort === vs.port && f.orig.protocol === proto);
    out.push(`${vs.protocol.toUpperCase()}  ${endpoint(vs.address, vs.port)}  conntrack flows: ${mine.length}\n`);
    for (const f of mine) out.push(`  ${formatFlow(f)}\n`);
  }
  return out.join('');
}
