// rtnetlink (NETLINK_ROUTE, protocol 0) for links and addresses: what kube-ipvs0 needs.
export * from './constants.js';
export * from './ifinfomsg.js';
export * from './ifaddrmsg.js';
export * from './link.js';
export * from './link-requests.js';
export * from './address.js';
export * from './address-requests.js';
export * from './dump.js';
export * from './errors.js';
