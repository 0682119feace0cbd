// Numbers from include/uapi/linux/ip_vs.h (Linux 6.1; unchanged in meaning since 2.6.28 except where noted).

/** Generic netlink family name and version (IPVS_GENL_NAME, IPVS_GENL_VERSION). */
export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

/** IP_VS_VERSION_CODE: what GET_INFO reports (1.2.1) on every kernel since 2.6.x. */
export const IP_VS_VERSION_CODE = 0x010201;

// ---- Commands (enum IPVS_CMD_*) ----
export const IPVS_CMD_NEW_SERVICE = 1;
export const IPVS_CMD_SET_SERVICE = 2;
export const IPVS_CMD_DEL_SERVICE = 3;
export const IPVS_CMD_GET_SERVICE = 4;
export const IPVS_CMD_NEW_DEST = 5;
export const IPVS_CMD_SET_DEST = 6;
export const IPVS_CMD_DEL_DEST = 7;
export const IPVS_CMD_GET_DEST = 8;
export const IPVS_CMD_NEW_DAEMON = 9;
export const IPVS_CMD_DEL_DAEMON = 10;
export const IPVS_CMD_GET_DAEMON = 11;
export const IPVS_CMD_SET_CONFIG = 12;
export const IPVS_CMD_GET_CONFIG = 13;
/** Only used as the command of GET_INFO's reply. */
export const IPVS_CMD_SET_INFO = 14;
export const IPVS_CMD_GET_INFO = 15;
export const IPVS_CMD_ZERO = 16;
export const IPVS_CMD_FLUSH = 17;

export const IPVS_CMD_NAMES: ReadonlyMap<number, string> = new Map([
  [IPVS_CMD_NEW_SERVICE, 'NEW_SERVICE'],
  [IPVS_CMD_SET_SERVICE, 'SET_SERVICE'],
  [IPVS_CMD_DEL_SERVICE, 'DEL_SERVICE'],
  [IPVS_CMD_GET_SERVICE, 'GET_SERVICE'],
  [IPVS_CMD_NEW_DEST, 'NEW_DEST'],
  [IPVS_CMD_SET_DEST, 'SET_DEST'],
  [IPVS_CMD_DEL_DEST, 'DEL_DEST'],
  [IPVS_CMD_GET_DEST, 'GET_DEST'],
  [IPVS_CMD_NEW_DAEMON, 'NEW_DAEMON'],
  [IPVS_CMD_DEL_DAEMON, 'DEL_DAEMON'],
  [IPVS_CMD_GET_DAEMON, 'GET_DAEMON'],
  [IPVS_CMD_SET_CONFIG, 'SET_CONFIG'],
  [IPVS_CMD_GET_CONFIG, 'GET_CONFIG'],
  [IPVS_CMD_SET_INFO, 'SET_INFO'],
  [IPVS_CMD_GET_INFO, 'GET_INFO'],
  [IPVS_CMD_ZERO, 'ZERO'],
  [IPVS_CMD_FLUSH, 'FLUSH'],
]);

export function ipvsCommandName(cmd: number): string {
  return IPVS_CMD_NAMES.get(cmd) ?? `IPVS_CMD_${cmd}`;
}

// ---- First-level attributes (IPVS_CMD_ATTR_*) ----
export const IPVS_CMD_ATTR_SERVICE = 1;
export const IPVS_CMD_ATTR_DEST = 2;
export const IPVS_CMD_ATTR_DAEMON = 3;
export const IPVS_CMD_ATTR_TIMEOUT_TCP = 4;
export const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN = 5;
export const IPVS_CMD_ATTR_TIMEOUT_UDP = 6;

// ---- Service attributes, inside IPVS_CMD_ATTR_SERVICE (IPVS_SVC_ATTR_*) ----
export const IPVS_SVC_ATTR_AF = 1; // u16
export const IPVS_SVC_ATTR_PROTOCOL = 2; // u16
export const IPVS_SVC_ATTR_ADDR = 3; // union nf_inet_addr: up to 16 bytes
export const IPVS_SVC_ATTR_PORT = 4; // __be16
export const IPVS_SVC_ATTR_FWMARK = 5; // u32
export const IPVS_SVC_ATTR_SCHED_NAME = 6; // NUL string, at most 15 characters (IP_VS_SCHEDNAME_MAXLEN 16)
export const IPVS_SVC_ATTR_FLAGS = 7; // struct ip_vs_flags { u32 flags; u32 mask; }
export const IPVS_SVC_ATTR_TIMEOUT = 8; // u32 seconds
export const IPVS_SVC_ATTR_NETMASK = 9; // __be32 (see service.ts for the IPv6 twist)
export const IPVS_SVC_ATTR_STATS = 10; // nested IPVS_STATS_ATTR_*, 32-bit counters
export const IPVS_SVC_ATTR_PE_NAME = 11; // NUL string (IP_VS_PENAME_MAXLEN 16)
export const IPVS_SVC_ATTR_STATS64 = 12; // nested IPVS_STATS_ATTR_*, all u64 (Linux >= 4.1)

// ---- Destination attributes, inside IPVS_CMD_ATTR_DEST (IPVS_DEST_ATTR_*) ----
export const IPVS_DEST_ATTR_ADDR = 1;
export const IPVS_DEST_ATTR_PORT = 2; // __be16
export const IPVS_DEST_ATTR_FWD_METHOD = 3; // u32, IP_VS_CONN_F_FWD_MASK bits
export const IPVS_DEST_ATTR_WEIGHT = 4; // u32 (int in the kernel; negative is ERANGE)
export const IPVS_DEST_ATTR_U_THRESH = 5; // u32
export const IPVS_DEST_ATTR_L_THRESH = 6; // u32
export const IPVS_DEST_ATTR_ACTIVE_CONNS = 7; // u32, replies only
export const IPVS_DEST_ATTR_INACT_CONNS = 8; // u32, replies only
export const IPVS_DEST_ATTR_PERSIST_CONNS = 9; // u32, replies only
export const IPVS_DEST_ATTR_STATS = 10;
export const IPVS_DEST_ATTR_ADDR_FAMILY = 11; // u16 (Linux >= 3.18: mixed-family destinations)
export const IPVS_DEST_ATTR_STATS64 = 12; // (Linux >= 4.1)
export const IPVS_DEST_ATTR_TUN_TYPE = 13; // u8 (Linux >= 5.3)
export const IPVS_DEST_ATTR_TUN_PORT = 14; // __be16 (Linux >= 5.3)
export const IPVS_DEST_ATTR_TUN_FLAGS = 15; // u16 (Linux >= 5.3)

// ---- Sync daemon attributes, inside IPVS_CMD_ATTR_DAEMON (IPVS_DAEMON_ATTR_*) ----
export const IPVS_DAEMON_ATTR_STATE = 1;
export const IPVS_DAEMON_ATTR_MCAST_IFN = 2;
export const IPVS_DAEMON_ATTR_SYNC_ID = 3;
export const IPVS_DAEMON_ATTR_SYNC_MAXLEN = 4;
export const IPVS_DAEMON_ATTR_MCAST_GROUP = 5;
export const IPVS_DAEMON_ATTR_MCAST_GROUP6 = 6;
export const IPVS_DAEMON_ATTR_MCAST_PORT = 7;
export const IPVS_DAEMON_ATTR_MCAST_TTL = 8;

// ---- Statistics attributes, inside *_ATTR_STATS and *_ATTR_STATS64 (IPVS_STATS_ATTR_*) ----
export const IPVS_STATS_ATTR_CONNS = 1;
export const IPVS_STATS_ATTR_INPKTS = 2;
export const IPVS_STATS_ATTR_OUTPKTS = 3;
export const IPVS_STATS_ATTR_INBYTES = 4;
export const IPVS_STATS_ATTR_OUTBYTES = 5;
export const IPVS_STATS_ATTR_CPS = 6;
export const IPVS_STATS_ATTR_INPPS = 7;
export const IPVS_STATS_ATTR_OUTPPS = 8;
export const IPVS_STATS_ATTR_INBPS = 9;
export const IPVS_STATS_ATTR_OUTBPS = 10;
/** Alignment padding the kernel may insert before u64s on architectures without efficient unaligned access. */
export const IPVS_STATS_ATTR_PAD = 11;

// ---- GET_INFO reply attributes (IPVS_INFO_ATTR_*), at the first level ----
export const IPVS_INFO_ATTR_VERSION = 1;
export const IPVS_INFO_ATTR_CONN_TAB_SIZE = 2;

// ---- Virtual service flags (IP_VS_SVC_F_*) ----
export const IP_VS_SVC_F_PERSISTENT = 0x0001;
/** Set by the kernel on every service in its table. Never send it: NEW_SERVICE with it set leaves the service unhashed. */
export const IP_VS_SVC_F_HASHED = 0x0002;
export const IP_VS_SVC_F_ONEPACKET = 0x0004;
export const IP_VS_SVC_F_SCHED1 = 0x0008;
export const IP_VS_SVC_F_SCHED2 = 0x0010;
export const IP_VS_SVC_F_SCHED3 = 0x0020;
/** sh and mh read SCHED1 as "fallback" and SCHED2 as "use the port" (IP_VS_SVC_F_SCHED_SH_FALLBACK/_PORT). */
export const IP_VS_SVC_F_SCHED_SH_FALLBACK = IP_VS_SVC_F_SCHED1;
export const IP_VS_SVC_F_SCHED_SH_PORT = IP_VS_SVC_F_SCHED2;
export const IP_VS_SVC_F_SCHED_MH_FALLBACK = IP_VS_SVC_F_SCHED1;
export const IP_VS_SVC_F_SCHED_MH_PORT = IP_VS_SVC_F_SCHED2;

// ---- Forwarding methods (IP_VS_CONN_F_* & IP_VS_CONN_F_FWD_MASK) ----
export const IP_VS_CONN_F_FWD_MASK = 0x0007;
export const IP_VS_CONN_F_MASQ = 0;
export const IP_VS_CONN_F_LOCALNODE = 1;
export const IP_VS_CONN_F_TUNNEL = 2;
export const IP_VS_CONN_F_DROUTE = 3;

// ---- Tunnel types and flags for IP_VS_CONN_F_TUNNEL destinations (Linux >= 5.3) ----
export const IP_VS_CONN_F_TUNNEL_TYPE_IPIP = 0;
export const IP_VS_CONN_F_TUNNEL_TYPE_GUE = 1;
export const IP_VS_CONN_F_TUNNEL_TYPE_GRE = 2;
export const IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM = 0;
export const IP_VS_TUNNEL_ENCAP_FLAG_CSUM = 1 << 0;
export const IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM = 1 << 1;

export const IP_VS_SCHEDNAME_MAXLEN = 16;
export const IP_VS_PENAME_MAXLEN = 16;

// ---- IP protocol numbers a service can carry (netinet/in.h) ----
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;
