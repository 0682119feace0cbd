// Netlink protocol numbers (linux/netlink.h) of the three families we speak.
export const NETLINK_ROUTE_PROTOCOL = 0;
export const NETLINK_NETFILTER_PROTOCOL = 12;
export const NETLINK_GENERIC_PROTOCOL = 16;
