// Text view of virtual servers laid out like `ipvsadm -Ln` (and `-Ln --stats`), so operators can read our
// dump the way they read ipvsadm. Column widths follow ipvsadm's printf formats: the service name in 33
// columns, "  -> %-28s %-7s %-6d %-10u %-10u" for real servers.
import { hostPort } from '../state/canonical.js';
import type { Counters, ForwardMethod, RealServer, RealServerStats, VirtualServer } from '../state/types.js';
import { virtualServerKey, realServerKey } from '../state/canonical.js';

export interface IpvsTextInput {
  version: string;
  connTableSize: number;
  virtualServers: VirtualServer[];
  /** Per virtual server key, per real server key: connection counts (and counters for --stats). */
  realServerStats?: Map<string, Map<string, RealServerStats>>;
  /** Per virtual server key: counters for --stats. */
  serviceCounters?: Map<string, Counters>;
}

const FORWARD_NAMES: Record<ForwardMethod, string> = { masq: 'Masq', local: 'Local', tunnel: 'Tunnel', route: 'Route' };

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** ipvsadm's print_largenum: right-aligned in 9 columns, with K/M/G/T above 100 million. */
export function largeNumber(i: bigint): string {
  if (i < 100_000_000n) return i.toString().padStart(9);
  if (i < 1_000_000_000n) return (i / 1000n).toString().padStart(8) + 'K';
  if (i < 100_000_000_000n) return (i / 1_000_000n).toString().padStart(8) + 'M';
  if (i < 100_000_000_000_000n) return (i / 1_000_000_000n).toString().padStart(8) + 'G';
  return (i / 1_000_000_000_000n).toString().padStart(8) + 'T';
}

function serviceName(vs: VirtualServer): string {
  if (vs.fwmark !== undefined) return `FWM  ${vs.fwmark}${vs.family === 'inet6' ? ' IPv6' : ''}`;
  // ipvsadm: "%-4s %s", so "TCP  10.96.0.10:80" but "SCTP 10.96.0.10:7777" (seen with ipvsadm 1.31).
  return `${pad(vs.protocol!.toUpperCase(), 4)} ${hostPort(vs.address!, vs.port!)}`;
}

function serviceFlags(vs: VirtualServer): string {
  let out = '';
  if (vs.flags.includes('persistent')) {
    out += ` persistent ${vs.timeout ?? 0}`;
    if (vs.netmask !== undefined) out += ` mask ${vs.netmask}`;
    if (vs.pe) out += ` pe ${vs.pe}`;
  }
  if (vs.flags.includes('one-packet')) out += ' ops';
  const sched = vs.flags.filter((f) => f !== 'persistent' && f !== 'one-packet');
  if (sched.length) out += ` (${sched.join(',')})`;
  return out;
}

export function formatIpvsTable(input: IpvsTextInput, withStats: boolean): string {
  const lines: string[] = [`IP Virtual Server version ${input.version} (size=${input.connTableSize})`];
  if (withStats) {
    lines.push(`${pad('Prot LocalAddress:Port', 33)} ${'Conns'.padStart(8)} ${'InPkts'.padStart(8)} ${'OutPkts'.padStart(8)} ${'InBytes'.padStart(8)} ${'OutBytes'.padStart(8)}`);
    lines.push('  -> RemoteAddress:Port');
  } else {
    lines.push('Prot LocalAddress:Port Scheduler Flags');
    lines.push('  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn');
  }
  for (const vs of input.virtualServers) {
    const key = virtualServerKey(vs);
    const name = serviceName(vs);
    if (withStats) {
      const c = input.serviceCounters?.get(key);
      lines.push(pad(name, 33) + counterColumns(c));
    } else {
      lines.push(`${name} ${vs.scheduler}${serviceFlags(vs)}`);
    }
    for (const rs of vs.realServers) lines.push(realServerLine(rs, input.realServerStats?.get(key)?.get(realServerKey(rs)), withStats));
  }
  return lines.join('\n') + '\n';
}

function counterColumns(c: Counters | undefined): string {
  const z = 0n;
  return [c?.conns ?? z, c?.inPackets ?? z, c?.outPackets ?? z, c?.inBytes ?? z, c?.outBytes ?? z].map(largeNumber).join('');
}

function realServerLine(rs: RealServer, st: RealServerStats | undefined, withStats: boolean): string {
  const dest = hostPort(rs.address, rs.port);
  if (withStats) return `  -> ${pad(dest, 28)}${counterColumns(st?.counters)}`;
  return `  -> ${pad(dest, 28)} ${pad(FORWARD_NAMES[rs.forward], 7)} ${pad(String(rs.weight), 6)} ${pad(String(st?.activeConns ?? 0), 10)} ${pad(String(st?.inactiveConns ?? 0), 10)}`;
}
