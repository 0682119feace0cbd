// Plain values for IPVS objects. Identity and configuration (what a diff compares) are kept apart from
// counters (what only `--stats` shows), as cloudflare/ipvs splits Service from ServiceExtended.
import type { AddressFamily } from '../core/ip.js';

/**
 * What names a virtual service: protocol + address + port, or a firewall mark (+ family).
 * For a fwmark service, protocol is 0, address '' and port 0.
 */
export interface IpvsServiceKey {
  family: AddressFamily;
  /** IPPROTO_TCP 6, IPPROTO_UDP 17, IPPROTO_SCTP 132; 0 for a fwmark service. */
  protocol: number;
  /** Canonical text ("10.96.0.10", "fd00:10:96::a"); '' for a fwmark service. */
  address: string;
  port: number;
  /** 0 unless this is a fwmark service. */
  fwmark: number;
}

/** A virtual service as configured. */
export interface IpvsService extends IpvsServiceKey {
  scheduler: string;
  /**
   * IP_VS_SVC_F_* bits. Never contains IP_VS_SVC_F_HASHED: decoding strips the kernel's own bit and
   * encoding a request leaves it out.
   */
  flags: number;
  /** Persistence timeout in seconds (meaningful with IP_VS_SVC_F_PERSISTENT). */
  timeout: number;
  /**
   * Persistence granularity. IPv4: the mask as a number, 0xffffffff for /32, 0xffffff00 for /24.
   * IPv6: the prefix length, 128 for /128 (the kernel refuses IPv6 services outside 1..128).
   */
  netmask: number;
  /** Persistence engine ("sip"); absent when none. */
  peName?: string;
}

/** One set of IPVS counters. In the legacy STATS nest conns/pkts/rates are 32-bit; STATS64 has all 64-bit. */
export interface IpvsStats {
  conns: bigint;
  inpkts: bigint;
  outpkts: bigint;
  inbytes: bigint;
  outbytes: bigint;
  cps: bigint;
  inpps: bigint;
  outpps: bigint;
  inbps: bigint;
  outbps: bigint;
}

/** Counters of a service: the kernel sends both nests (STATS64 since Linux 4.1). */
export interface IpvsServiceStats {
  stats?: IpvsStats;
  stats64?: IpvsStats;
}

export interface IpvsDestinationKey {
  /** Family of the destination's own address; may differ from the service's for tunnel forwarding. */
  family: AddressFamily;
  address: string;
  port: number;
}

/** Tunnel encapsulation of an IP_VS_CONN_F_TUNNEL destination (Linux >= 5.3). */
export interface IpvsTunnel {
  /** IP_VS_CONN_F_TUNNEL_TYPE_IPIP 0, GUE 1, GRE 2. */
  type: number;
  /** UDP port for GUE. */
  port: number;
  /** IP_VS_TUNNEL_ENCAP_FLAG_* bits. */
  flags: number;
}

/** A real server as configured. */
export interface IpvsDestination extends IpvsDestinationKey {
  /** IP_VS_CONN_F_MASQ 0, LOCALNODE 1, TUNNEL 2, DROUTE 3. */
  forward: number;
  weight: number;
  /** Connection limits; 0 means no limit. */
  upperThreshold: number;
  lowerThreshold: number;
  /**
   * Present when the kernel (>= 5.3) reported the tunnel attributes, or to send them (ipvsadm 1.31 always
   * does). Only meaningful for forward === IP_VS_CONN_F_TUNNEL: compare it only then.
   */
  tunnel?: IpvsTunnel;
}

export interface IpvsDestinationStats {
  activeConns: number;
  inactiveConns: number;
  persistConns: number;
  stats?: IpvsStats;
  stats64?: IpvsStats;
}

/** One element of a GET_SERVICE reply or dump. */
export interface IpvsServiceEntry {
  service: IpvsService;
  stats: IpvsServiceStats;
}

/** One element of a GET_DEST dump. */
export interface IpvsDestinationEntry {
  destination: IpvsDestination;
  stats: IpvsDestinationStats;
}

/** GET_INFO reply. */
export interface IpvsInfo {
  /** "1.2.1" */
  version: string;
  /** Size of the connection hash table (ip_vs_conn_tab_size). */
  connTableSize: number;
}

/**
 * Connection timeouts in seconds (GET_CONFIG / SET_CONFIG). In a reply a field is absent when the kernel
 * was built without that protocol; in a request an absent field, or 0, leaves the kernel's value alone.
 */
export interface IpvsTimeouts {
  tcp?: number;
  tcpFin?: number;
  udp?: number;
}
