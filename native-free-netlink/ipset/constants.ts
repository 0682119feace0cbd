// Numbers from include/uapi/linux/netfilter/ipset/ip_set.h (and the ipset tool's lib/mnl.c for the
// netlink flags each command is sent with). Only what the ipset codec uses or decodes is here.

/** Protocol version spoken by current kernels and ipset 7.x (IPSET_PROTOCOL). */
export const IPSET_PROTOCOL = 7;
/** Oldest protocol version the kernel still accepts (IPSET_PROTOCOL_MIN). */
export const IPSET_PROTOCOL_MIN = 6;
/** Set and type names, including their NUL (IPSET_MAXNAMELEN). */
export const IPSET_MAXNAMELEN = 32;
export const IPSET_MAX_COMMENT_SIZE = 255;

// enum ipset_cmd: the low byte of the nfnetlink message type.
export const IPSET_CMD_NONE = 0;
export const IPSET_CMD_PROTOCOL = 1;
export const IPSET_CMD_CREATE = 2;
export const IPSET_CMD_DESTROY = 3;
export const IPSET_CMD_FLUSH = 4;
export const IPSET_CMD_RENAME = 5;
export const IPSET_CMD_SWAP = 6;
export const IPSET_CMD_LIST = 7;
export const IPSET_CMD_SAVE = 8;
export const IPSET_CMD_ADD = 9;
export const IPSET_CMD_DEL = 10;
export const IPSET_CMD_TEST = 11;
export const IPSET_CMD_HEADER = 12;
export const IPSET_CMD_TYPE = 13;
export const IPSET_CMD_GET_BYNAME = 14;
export const IPSET_CMD_GET_BYINDEX = 15;

const CMD_NAMES: readonly string[] = [
  'none', 'protocol', 'create', 'destroy', 'flush', 'rename', 'swap', 'list', 'save', 'add', 'del', 'test',
  'header', 'type', 'get_byname', 'get_byindex',
];

/** "add", "create", ... (the ipset tool's own command words), or "command N". */
export function ipsetCommandName(cmd: number): string {
  return CMD_NAMES[cmd] ?? `command ${cmd}`;
}

// Attributes at command level.
export const IPSET_ATTR_PROTOCOL = 1; // u8
export const IPSET_ATTR_SETNAME = 2; // NUL string
export const IPSET_ATTR_TYPENAME = 3; // NUL string
/** RENAME/SWAP reuse attribute 3 for the second set name. */
export const IPSET_ATTR_SETNAME2 = IPSET_ATTR_TYPENAME;
export const IPSET_ATTR_REVISION = 4; // u8
export const IPSET_ATTR_FAMILY = 5; // u8
export const IPSET_ATTR_FLAGS = 6; // u32 (ipset sends it big-endian with NLA_F_NET_BYTEORDER)
export const IPSET_ATTR_DATA = 7; // nested
export const IPSET_ATTR_ADT = 8; // nested list of IPSET_ATTR_DATA
export const IPSET_ATTR_LINENO = 9; // u32, restore line number
export const IPSET_ATTR_PROTOCOL_MIN = 10; // u8
/** TYPE replies reuse attribute 10 for the lowest supported revision. */
export const IPSET_ATTR_REVISION_MIN = IPSET_ATTR_PROTOCOL_MIN;
export const IPSET_ATTR_INDEX = 11; // u16, big-endian in list replies

// CADT attributes (inside IPSET_ATTR_DATA of create/add/del/test and of list replies).
export const IPSET_ATTR_IP = 1; // nested IPSET_ATTR_IPADDR_*
export const IPSET_ATTR_IP_FROM = IPSET_ATTR_IP;
export const IPSET_ATTR_IP_TO = 2;
export const IPSET_ATTR_CIDR = 3; // u8
export const IPSET_ATTR_PORT = 4; // be16
export const IPSET_ATTR_PORT_FROM = IPSET_ATTR_PORT;
export const IPSET_ATTR_PORT_TO = 5; // be16
export const IPSET_ATTR_TIMEOUT = 6; // be32
export const IPSET_ATTR_PROTO = 7; // u8
export const IPSET_ATTR_CADT_FLAGS = 8; // be32
export const IPSET_ATTR_CADT_LINENO = IPSET_ATTR_LINENO; // be32 inside each DATA
export const IPSET_ATTR_MARK = 10;
export const IPSET_ATTR_MARKMASK = 11;
/** hash:ip / hash:net,net bitmask (kernel 6.2+), nested address. */
export const IPSET_ATTR_BITMASK = 12;
export const IPSET_ATTR_CADT_MAX = 16;

// CREATE-only attributes (inside IPSET_ATTR_DATA of create and of list headers).
/** Was the unused IPSET_ATTR_GC; since kernel 5.9 the hash seed (initval). */
export const IPSET_ATTR_INITVAL = 17;
export const IPSET_ATTR_GC = IPSET_ATTR_INITVAL;
export const IPSET_ATTR_HASHSIZE = 18; // be32
export const IPSET_ATTR_MAXELEM = 19; // be32
export const IPSET_ATTR_NETMASK = 20; // u8
/** Was the unused IPSET_ATTR_PROBES. */
export const IPSET_ATTR_BUCKETSIZE = 21; // u8
export const IPSET_ATTR_PROBES = IPSET_ATTR_BUCKETSIZE;
export const IPSET_ATTR_RESIZE = 22;
export const IPSET_ATTR_SIZE = 23; // be32 (list:set)
// Kernel-only (list headers).
export const IPSET_ATTR_ELEMENTS = 24; // be32
export const IPSET_ATTR_REFERENCES = 25; // be32
export const IPSET_ATTR_MEMSIZE = 26; // be32

// ADT-only attributes.
export const IPSET_ATTR_ETHER = 17;
export const IPSET_ATTR_NAME = 18;
export const IPSET_ATTR_NAMEREF = 19;
export const IPSET_ATTR_IP2 = 20; // nested IPSET_ATTR_IPADDR_*
export const IPSET_ATTR_CIDR2 = 21; // u8
export const IPSET_ATTR_IP2_TO = 22;
export const IPSET_ATTR_IFACE = 23;
export const IPSET_ATTR_BYTES = 24; // be64
export const IPSET_ATTR_PACKETS = 25; // be64
export const IPSET_ATTR_COMMENT = 26; // NUL string
export const IPSET_ATTR_SKBMARK = 27;
export const IPSET_ATTR_SKBPRIO = 28;
export const IPSET_ATTR_SKBQUEUE = 29;
export const IPSET_ATTR_PAD = 30;

// Inside IPSET_ATTR_IP / IP_TO / IP2 / IP2_TO.
export const IPSET_ATTR_IPADDR_IPV4 = 1; // 4 bytes, network order
export const IPSET_ATTR_IPADDR_IPV6 = 2; // 16 bytes

// enum ipset_cmd_flags (IPSET_ATTR_FLAGS).
export const IPSET_FLAG_EXIST = 1 << 0;
export const IPSET_FLAG_LIST_SETNAME = 1 << 1;
export const IPSET_FLAG_LIST_HEADER = 1 << 2;
export const IPSET_FLAG_SKIP_COUNTER_UPDATE = 1 << 3;
export const IPSET_FLAG_SKIP_SUBCOUNTER_UPDATE = 1 << 4;
export const IPSET_FLAG_MATCH_COUNTERS = 1 << 5;
export const IPSET_FLAG_RETURN_NOMATCH = 1 << 7;

// enum ipset_cadt_flags (IPSET_ATTR_CADT_FLAGS).
export const IPSET_FLAG_BEFORE = 1 << 0;
export const IPSET_FLAG_PHYSDEV = 1 << 1;
export const IPSET_FLAG_NOMATCH = 1 << 2;
export const IPSET_FLAG_WITH_COUNTERS = 1 << 3;
export const IPSET_FLAG_WITH_COMMENT = 1 << 4;
export const IPSET_FLAG_WITH_FORCEADD = 1 << 5;
export const IPSET_FLAG_WITH_SKBINFO = 1 << 6;
