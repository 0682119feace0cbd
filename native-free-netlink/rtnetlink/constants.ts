// rtnetlink numbers for links and addresses. Values from the kernel's uapi headers (as shipped in
// iproute2 v6.1.0's include/uapi/linux/): rtnetlink.h, if_link.h, if_addr.h, if.h, if_arp.h. What the
// link/address codec and its readers name; these numbers are ABI and never change.

// ---- rtnetlink.h: message types (RTM_BASE = 16, groups of four NEW/DEL/GET/SET) ----
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

// rtnetlink.h: enum rt_scope_t. Addresses carry one in ifa_scope.
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

// rtnetlink.h: IFLA_EXT_MASK bits, asking the kernel to add or leave out parts of link replies.
export const RTEXT_FILTER_VF = 1 << 0;
/**
 * Leave the per-protocol statistics out of IFLA_AF_SPEC. A 6.1 kernel still sends IFLA_STATS and
 * IFLA_STATS64; captured kube-ipvs0 replies were 1064 bytes with this bit and 1424 without it.
 */
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

// ---- if_link.h: link attributes (struct ifinfomsg is followed by these) ----
export const IFLA_UNSPEC = 0;
export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_QDISC = 6;
export const IFLA_STATS = 7;
export const IFLA_MASTER = 10;
export const IFLA_TXQLEN = 13;
export const IFLA_MAP = 14;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKMODE = 17;
export const IFLA_LINKINFO = 18;
export const IFLA_IFALIAS = 20;
export const IFLA_STATS64 = 23;
export const IFLA_AF_SPEC = 26;
export const IFLA_GROUP = 27;
export const IFLA_EXT_MASK = 29;
export const IFLA_PROMISCUITY = 30;
export const IFLA_NUM_TX_QUEUES = 31;
export const IFLA_NUM_RX_QUEUES = 32;
export const IFLA_CARRIER = 33;
export const IFLA_CARRIER_CHANGES = 35;
export const IFLA_PROTO_DOWN = 39;
export const IFLA_GSO_MAX_SEGS = 40;
export const IFLA_GSO_MAX_SIZE = 41;
export const IFLA_XDP = 43;
export const IFLA_CARRIER_UP_COUNT = 47;
export const IFLA_CARRIER_DOWN_COUNT = 48;
export const IFLA_MIN_MTU = 50;
export const IFLA_MAX_MTU = 51;
export const IFLA_ALT_IFNAME = 53;
export const IFLA_PERM_ADDRESS = 54;

// if_link.h: nested inside IFLA_LINKINFO.
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_INFO_XSTATS = 3;
export const IFLA_INFO_SLAVE_KIND = 4;
export const IFLA_INFO_SLAVE_DATA = 5;

// ---- if.h: ifi_flags (net_device_flags) and IFLA_OPERSTATE values (RFC 2863) ----
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_RUNNING = 0x40;
/** dummy links are created with IFF_NOARP set, which also makes the kernel skip IPv6 DAD on them. */
export const IFF_NOARP = 0x80;
export const IFF_PROMISC = 0x100;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

export const IF_OPER_UNKNOWN = 0;
export const IF_OPER_NOTPRESENT = 1;
export const IF_OPER_DOWN = 2;
export const IF_OPER_LOWERLAYERDOWN = 3;
export const IF_OPER_TESTING = 4;
export const IF_OPER_DORMANT = 5;
export const IF_OPER_UP = 6;

// ---- if_arp.h: ifi_type values worth naming ----
/** dummy links report ARPHRD_ETHER. */
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_NONE = 0xfffe;
/** nlmon links (the capture device) report ARPHRD_NETLINK. */
export const ARPHRD_NETLINK = 824;

// ---- if_addr.h: address attributes (struct ifaddrmsg is followed by these) ----
export const IFA_UNSPEC = 0;
/** The prefix (peer) address. Without a peer it equals IFA_LOCAL. */
export const IFA_ADDRESS = 1;
/** The interface's own address (IPv4 always sends it; IPv6 only with a peer). */
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_ANYCAST = 5;
export const IFA_CACHEINFO = 6;
export const IFA_MULTICAST = 7;
/** u32 that extends the u8 ifa_flags; when present the kernel ignores ifa_flags. */
export const IFA_FLAGS = 8;
export const IFA_RT_PRIORITY = 9;
export const IFA_TARGET_NETNSID = 10;
/** u8, who made the address (kernel 5.18+): the kernel's own fe80:: link-local carries 3 (IFAPROT_KERNEL_LL). */
export const IFA_PROTO = 11;

// if_addr.h: ifa_flags / IFA_FLAGS bits.
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_TEMPORARY = IFA_F_SECONDARY;
/** Skip duplicate address detection (IPv6 only): the address is usable at once. */
export const IFA_F_NODAD = 0x02;
export const IFA_F_OPTIMISTIC = 0x04;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
/** IPv6 address still in DAD: not usable as a source and not answered for. */
export const IFA_F_TENTATIVE = 0x40;
/** Configured by an administrator (not autoconfigured); every address we add is permanent. */
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_MANAGETEMPADDR = 0x100;
export const IFA_F_NOPREFIXROUTE = 0x200;
export const IFA_F_MCAUTOJOIN = 0x400;
export const IFA_F_STABLE_PRIVACY = 0x800;

/** if_addr.h: struct ifa_cacheinfo, lifetimes in seconds; this value means "forever". */
export const INFINITY_LIFE_TIME = 0xffffffff;
