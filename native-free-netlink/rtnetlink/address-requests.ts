// Requests about addresses, shaped as iproute2's `ip addr` sends them (ip/ipaddress.c ipaddr_modify and
// lib/libnetlink.c rtnl_addrdump_req of iproute2 6.1), so that captured `ip` bytes are the reference.
import { attr, type Attribute } from '../core/attributes.js';
import { AF_INET, AF_INET6, type AddressFamily } from '../core/ip.js';
import {
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  type NetlinkMessage,
} from '../core/message.js';
import {
  IFA_ADDRESS,
  IFA_F_NODAD,
  IFA_LOCAL,
  RT_SCOPE_HOST,
  RT_SCOPE_UNIVERSE,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
} from './constants.js';
import { encodeAddressPayload } from './ifaddrmsg.js';
import { parseCidr, type ParsedCidr } from './address.js';

export interface AddressSpec {
  /** Link index (kube-ipvs0's). */
  index: number;
  /** "10.96.0.10/32", "fd00:10:96::a/128"; a bare address means the full prefix length. */
  cidr: string;
}

export interface AddAddressSpec extends AddressSpec {
  /**
   * Create or update (NLM_F_CREATE|NLM_F_REPLACE, `ip addr replace`) instead of failing with EEXIST
   * (NLM_F_CREATE|NLM_F_EXCL, `ip addr add`).
   */
  replace?: boolean;
  /**
   * IPv6 only: IFA_F_NODAD, the address is usable at once. Not needed on a dummy link: dummy links are
   * IFF_NOARP and the kernel skips DAD for those (addrconf_dad_begin), which is why `ip -6 addr add` on
   * kube-ipvs0 never shows "tentative". Useful on links that do DAD.
   */
  nodad?: boolean;
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index <= 0 || index > 0xffffffff) throw new RangeError(`invalid link index ${index}`);
}

/**
 * iproute2's default_scope(): host scope for 127.0.0.0/8, universe otherwise. The kernel recomputes
 * IPv6 scopes from the address itself and ignores ifa_scope for them.
 */
function defaultScope(c: ParsedCidr): number {
  return c.family === AF_INET && c.bytes[0] === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
}

/** IFA_LOCAL then IFA_ADDRESS with the same bytes, for both families, exactly as `ip addr add/del` does. */
function addressAttrs(c: ParsedCidr): Attribute[] {
  return [attr.bytes(IFA_LOCAL, c.bytes), attr.bytes(IFA_ADDRESS, c.bytes)];
}

/**
 * `ip addr add CIDR dev X` (or `ip addr replace` with `replace`): RTM_NEWADDR, EEXIST when the address
 * is already there without `replace`. ifa_flags 0 (or IFA_F_NODAD), so the kernel marks it permanent.
 */
export function addAddress(spec: AddAddressSpec, seq: number, pid = 0): NetlinkMessage {
  checkIndex(spec.index);
  const c = parseCidr(spec.cidr);
  if (spec.nodad && c.family !== AF_INET6) throw new RangeError(`nodad is an IPv6 option; ${spec.cidr} is IPv4`);
  const flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (spec.replace ? NLM_F_REPLACE : NLM_F_EXCL);
  return {
    type: RTM_NEWADDR,
    flags,
    seq,
    pid,
    payload: encodeAddressPayload({
      header: { family: c.family, prefixLength: c.prefixLength, flags: spec.nodad ? IFA_F_NODAD : 0, scope: defaultScope(c), index: spec.index },
      attrs: addressAttrs(c),
    }),
  };
}

/**
 * `ip addr del CIDR dev X`: RTM_DELADDR; ifa_scope stays 0 as iproute2 leaves it for deletes.
 * EADDRNOTAVAIL when the address is not on the link. The prefix length must match the one added.
 */
export function deleteAddress(spec: AddressSpec, seq: number, pid = 0): NetlinkMessage {
  checkIndex(spec.index);
  const c = parseCidr(spec.cidr);
  return {
    type: RTM_DELADDR,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    seq,
    pid,
    payload: encodeAddressPayload({
      header: { family: c.family, prefixLength: c.prefixLength, flags: 0, scope: 0, index: spec.index },
      attrs: addressAttrs(c),
    }),
  };
}

export interface AddressDumpFilter {
  /** AF_INET or AF_INET6; omitted = both (AF_UNSPEC). The kernel always honours this one. */
  family?: AddressFamily;
  /**
   * Only addresses of this link. The kernel honours ifa_index only on sockets with
   * NETLINK_GET_STRICT_CHK set; otherwise it returns every link's addresses. decodeAddressDump filters
   * again, so the result is right either way.
   */
  index?: number;
}

/** RTM_GETADDR dump: an ifaddrmsg with only family and index set (strict checking rejects the rest). */
export function dumpAddresses(filter: AddressDumpFilter, seq: number, pid = 0): NetlinkMessage {
  if (filter.index !== undefined) checkIndex(filter.index);
  if (filter.family !== undefined && filter.family !== AF_INET && filter.family !== AF_INET6) {
    throw new RangeError(`invalid address family ${String(filter.family)}`);
  }
  return {
    type: RTM_GETADDR,
    flags: NLM_F_REQUEST | NLM_F_DUMP,
    seq,
    pid,
    payload: encodeAddressPayload({
      header: { family: filter.family ?? 0, prefixLength: 0, flags: 0, scope: 0, index: filter.index ?? 0 },
      attrs: [],
    }),
  };
}
