// The Address value: what we read out of an RTM_NEWADDR message (a dump entry, or one of our requests
// when a fake kernel decodes it), the reverse for fakes, and "10.96.0.10/32" parsing.
import { attr, attributeMap, read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { AF_INET, AF_INET6, bytesToIp, ipToBytes, type AddressFamily } from '../core/ip.js';
import type { NetlinkMessage } from '../core/message.js';
import { IFA_ADDRESS, IFA_FLAGS, IFA_LABEL, IFA_LOCAL, RTM_DELADDR, RTM_NEWADDR } from './constants.js';
import { decodeAddressPayload, encodeAddressPayload } from './ifaddrmsg.js';

export interface Address {
  family: AddressFamily;
  prefixLength: number;
  /** Index of the link the address is on. */
  index: number;
  /**
   * IFA_ADDRESS, canonical text. Without a peer (always, for us) this is the address itself; on a
   * point-to-point link it is the peer and `local` is ours.
   */
  address: string;
  /** IFA_LOCAL: the kernel always sends it for IPv4, and for IPv6 only when a peer is configured. */
  local?: string;
  /** IFA_LABEL: IPv4 only; the link's name unless set ("eth0:1"). */
  label?: string;
  /** RT_SCOPE_*: 0 universe, 253 link (fe80::/10), 254 host (127.0.0.0/8, ::1). */
  scope: number;
  /** IFA_F_* bits: IFA_FLAGS when present (kernel replies always have it), else the u8 ifa_flags. */
  flags: number;
}

/** The address the link owns, as "ip/prefix": IFA_LOCAL when present (peer setups), else IFA_ADDRESS. */
export function addressCidr(a: Address): string {
  return `${a.local ?? a.address}/${a.prefixLength}`;
}

export interface ParsedCidr {
  family: AddressFamily;
  bytes: Uint8Array;
  prefixLength: number;
  /** Canonical "ip/prefix" text. */
  text: string;
}

/** Parses "10.96.0.10/32" or "fd00::a/128"; without "/N" the prefix is the full length (as `ip addr add`). */
export function parseCidr(cidr: string): ParsedCidr {
  const slash = cidr.indexOf('/');
  const ip = slash < 0 ? cidr : cidr.slice(0, slash);
  const { family, bytes } = ipToBytes(ip);
  const max = family === AF_INET ? 32 : 128;
  let prefixLength = max;
  if (slash >= 0) {
    const p = cidr.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new RangeError(`invalid prefix length in "${cidr}" (0-${max})`);
    prefixLength = Number(p);
  }
  return { family, bytes, prefixLength, text: `${bytesToIp(bytes, family)}/${prefixLength}` };
}

function ipAttr(a: Attribute, family: AddressFamily, what: string): string {
  const want = family === AF_INET ? 4 : 16;
  if (a.data.length !== want) throw new NetlinkDecodeError(`${what} has ${a.data.length} bytes, family ${family} needs ${want}`, 0);
  return bytesToIp(a.data, family);
}

/** Reads an Address out of an RTM_NEWADDR (reply, dump entry, request) or RTM_DELADDR (request) message. */
export function decodeAddress(m: NetlinkMessage): Address {
  if (m.type !== RTM_NEWADDR && m.type !== RTM_DELADDR) {
    throw new NetlinkDecodeError(`expected RTM_NEWADDR or RTM_DELADDR, got message type ${m.type}`, 4);
  }
  const { header, attrs } = decodeAddressPayload(m.payload);
  if (header.family !== AF_INET && header.family !== AF_INET6) {
    throw new NetlinkDecodeError(`address family ${header.family} is neither AF_INET nor AF_INET6`, 16);
  }
  const family = header.family;
  const a = attributeMap(attrs);
  const addressAttr = a.get(IFA_ADDRESS) ?? a.get(IFA_LOCAL);
  if (!addressAttr) throw new NetlinkDecodeError(`address message on link ${header.index} has neither IFA_ADDRESS nor IFA_LOCAL`, 24);
  const out: Address = {
    family,
    prefixLength: header.prefixLength,
    index: header.index,
    address: ipAttr(addressAttr, family, 'IFA_ADDRESS'),
    scope: header.scope,
    flags: a.has(IFA_FLAGS) ? read.u32(a.get(IFA_FLAGS)!) : header.flags,
  };
  if (a.has(IFA_LOCAL)) out.local = ipAttr(a.get(IFA_LOCAL)!, family, 'IFA_LOCAL');
  if (a.has(IFA_LABEL)) out.label = read.string(a.get(IFA_LABEL)!);
  return out;
}

/**
 * Encodes an Address as a kernel announcement (RTM_NEWADDR; attribute order of the kernel's IPv4 fill
 * function: ADDRESS, LOCAL, LABEL, FLAGS), for message-level fakes. decodeAddress gives it back.
 */
export function encodeAddress(a: Address, seq: number, pid = 0, nlFlags = 0): NetlinkMessage {
  const attrs: Attribute[] = [attr.bytes(IFA_ADDRESS, ipToBytes(a.address).bytes)];
  if (a.local !== undefined) attrs.push(attr.bytes(IFA_LOCAL, ipToBytes(a.local).bytes));
  if (a.label !== undefined) attrs.push(attr.string(IFA_LABEL, a.label));
  attrs.push(attr.u32(IFA_FLAGS, a.flags));
  return {
    type: RTM_NEWADDR,
    flags: nlFlags,
    seq,
    pid,
    payload: encodeAddressPayload({
      header: { family: a.family, prefixLength: a.prefixLength, flags: a.flags & 0xff, scope: a.scope, index: a.index },
      attrs,
    }),
  };
}
