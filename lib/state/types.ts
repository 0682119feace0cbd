// The state format: what `ipvs-proxier dump --json` prints and `apply -f` reads, and what the proxier's
// desired-state builder produces. Plain values only; canonical form is defined in canonical.ts.

export type Protocol = 'tcp' | 'udp' | 'sctp';
export type ForwardMethod = 'masq' | 'local' | 'tunnel' | 'route';
export type Family = 'inet' | 'inet6';

/** ipvsadm's names for the IPVS service flags (the kernel's own "hashed" flag is never shown). */
export type ServiceFlag =
  | 'persistent'
  | 'one-packet'
  | 'sh-fallback'
  | 'sh-port'
  | 'mh-fallback'
  | 'mh-port'
  | 'flag-1'
  | 'flag-2'
  | 'flag-3';

export interface RealServer {
  address: string;
  port: number;
  weight: number;
  forward: ForwardMethod;
  /** Connection thresholds; omitted when 0 (no limit). */
  upperThreshold?: number;
  lowerThreshold?: number;
}

/**
 * One IPVS virtual server. Either protocol+address+port, or fwmark (+ family, default inet).
 * `timeout` is present exactly when `persistent` is among the flags. `netmask` only when it differs from
 * the full-length default: dotted quad for IPv4 ("255.255.255.0"), prefix length for IPv6 (64).
 */
export interface VirtualServer {
  protocol?: Protocol;
  address?: string;
  port?: number;
  fwmark?: number;
  family?: Family;
  scheduler: string;
  flags: ServiceFlag[];
  timeout?: number;
  netmask?: string | number;
  /** Persistence engine ("sip"), rarely used. */
  pe?: string;
  realServers: RealServer[];
}

export type IpsetType = 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'bitmap:port' | 'hash:net';

export interface IpsetState {
  name: string;
  type: IpsetType;
  /** inet or inet6; bitmap:port has no address family but is reported as inet (as ipset does). */
  family: Family;
  /** Members in ipset's own text syntax: "10.96.0.10,tcp:80", "31122", "fd00::1,udp:53". */
  entries: string[];
  /** Creation options; omitted means kube-proxy's defaults (hashsize 1024, maxelem 65536, range 0-65535). */
  hashsize?: number;
  maxelem?: number;
  /** bitmap:port range "0-65535". */
  range?: string;
}

export interface InterfaceState {
  name: string;
  /** "10.96.0.10/32", "fd00:10:96::a/128" */
  addresses: string[];
}

/**
 * iptables rules per table per chain, in iptables-save's canonical form without "-A CHAIN".
 * Tables: "nat", "filter" (IPv4, iptables-restore) and "ip6-nat", "ip6-filter" (ip6tables-restore).
 */
export type IptablesState = Partial<Record<IptablesTable, Record<string, string[]>>>;
export type IptablesTable = 'nat' | 'filter' | 'mangle' | 'raw' | 'ip6-nat' | 'ip6-filter' | 'ip6-mangle' | 'ip6-raw';

export interface State {
  interface?: InterfaceState;
  virtualServers: VirtualServer[];
  ipsets: IpsetState[];
  iptables?: IptablesState;
}

// ---- Statistics (never part of the state; `dump --stats` shows them) ----

export interface Counters {
  conns: bigint;
  inPackets: bigint;
  outPackets: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

export interface RealServerStats {
  activeConns: number;
  inactiveConns: number;
  persistentConns: number;
  counters?: Counters;
}
