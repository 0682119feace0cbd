// nfnetlink framing (linux/netfilter/nfnetlink.h): every NETLINK_NETFILTER message starts with a 4-byte
// struct nfgenmsg {u8 nfgen_family, u8 version (NFNETLINK_V0), __be16 res_id} and then attributes.
// The message type carries the subsystem in its high byte and the subsystem's command in its low byte.
import { decodeAttributes, encodeAttributes, type Attribute } from '../core/attributes.js';
import { concatBytes, getU16be, view } from '../core/bytes.js';
import { NetlinkDecodeError } from '../core/errors.js';

/** Netlink protocol number of nfnetlink sockets (linux/netlink.h NETLINK_NETFILTER). */
export const NETLINK_NETFILTER = 12;

export const NFGENMSG_LEN = 4;
export const NFNETLINK_V0 = 0;

// Subsystem ids (nfnetlink.h NFNL_SUBSYS_*).
export const NFNL_SUBSYS_NONE = 0;
export const NFNL_SUBSYS_CTNETLINK = 1;
export const NFNL_SUBSYS_CTNETLINK_EXP = 2;
export const NFNL_SUBSYS_QUEUE = 3;
export const NFNL_SUBSYS_ULOG = 4;
export const NFNL_SUBSYS_OSF = 5;
export const NFNL_SUBSYS_IPSET = 6;
export const NFNL_SUBSYS_ACCT = 7;
export const NFNL_SUBSYS_CTNETLINK_TIMEOUT = 8;
export const NFNL_SUBSYS_CTHELPER = 9;
export const NFNL_SUBSYS_NFTABLES = 10;
export const NFNL_SUBSYS_NFT_COMPAT = 11;
export const NFNL_SUBSYS_HOOK = 12;

/** Batch delimiters (nfnetlink.h): nf_tables transactions only; ipset messages are never batched this way. */
export const NFNL_MSG_BATCH_BEGIN = 0x10;
export const NFNL_MSG_BATCH_END = 0x11;

// Netfilter protocol families (linux/netfilter.h NFPROTO_*): the same numbers as AF_INET/AF_INET6.
export const NFPROTO_UNSPEC = 0;
export const NFPROTO_IPV4 = 2;
export const NFPROTO_IPV6 = 10;

export interface NfgenPayload {
  /** nfgen_family: NFPROTO_*. ipset always sends NFPROTO_IPV4 here, whatever the set's family. */
  family: number;
  version: number;
  resId: number;
  attrs: Attribute[];
}

/** NFNL_MSG_TYPE composition: (subsystem << 8) | message. */
export function nfnlMessageType(subsys: number, msg: number): number {
  return ((subsys & 0xff) << 8) | (msg & 0xff);
}

/** NFNL_SUBSYS_ID(x) */
export function nfnlSubsystem(type: number): number {
  return (type >> 8) & 0xff;
}

/** NFNL_MSG_TYPE(x) */
export function nfnlMessage(type: number): number {
  return type & 0xff;
}

export function encodeNfgen(p: NfgenPayload): Uint8Array {
  const head = new Uint8Array(NFGENMSG_LEN);
  head[0] = p.family & 0xff;
  head[1] = p.version & 0xff;
  view(head).setUint16(2, p.resId, false);
  return concatBytes([head, encodeAttributes(p.attrs)]);
}

export function decodeNfgen(payload: Uint8Array): NfgenPayload {
  if (payload.length < NFGENMSG_LEN) {
    throw new NetlinkDecodeError(`nfnetlink payload of ${payload.length} bytes is shorter than nfgenmsg`, 0);
  }
  return {
    family: payload[0]!,
    version: payload[1]!,
    resId: getU16be(payload, 2),
    attrs: decodeAttributes(payload.subarray(NFGENMSG_LEN), NFGENMSG_LEN),
  };
}
