// Requests about links, shaped as iproute2's `ip link` sends them (ip/iplink.c, lib/ll_map.c of
// iproute2 6.1) so that captured `ip` bytes are the reference. Each builder is pure: seq and pid in,
// one NetlinkMessage out.
import { attr, type Attribute } from '../core/attributes.js';
import { NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, type NetlinkMessage } from '../core/message.js';
import {
  IFF_UP,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  RTEXT_FILTER_SKIP_STATS,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
} from './constants.js';
import { encodeLinkPayload, type IfInfoMsg } from './ifinfomsg.js';
import type { LinkRef } from './link.js';

/** Linux's IFNAMSIZ is 16 including the NUL. */
export const MAX_LINK_NAME_LENGTH = 15;

export interface CreateLinkSpec {
  name: string;
  /** rtnl_link_ops kind: "dummy" for kube-ipvs0. */
  kind: string;
  /** Create it administratively up. kube-proxy leaves kube-ipvs0 down, which is the default. */
  up?: boolean;
}

function checkName(name: string): void {
  // The kernel's dev_valid_name() rules: the kernel would answer EINVAL; say which name and why up front.
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0 || bytes > MAX_LINK_NAME_LENGTH || name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new RangeError(`invalid link name "${name}" (1-${MAX_LINK_NAME_LENGTH} bytes, no '/', ':' or whitespace)`);
  }
}

function header(index: number, flags = 0, change = 0): IfInfoMsg {
  return { family: 0, type: 0, index, flags, change };
}

function message(type: number, flags: number, h: IfInfoMsg, attrs: Attribute[], seq: number, pid: number): NetlinkMessage {
  return { type, flags, seq, pid, payload: encodeLinkPayload({ header: h, attrs }) };
}

/** ifi_index for an index ref; 0 plus IFLA_IFNAME for a name ref (the kernel then looks the name up). */
function refParts(ref: LinkRef): { index: number; attrs: Attribute[] } {
  if ('index' in ref) {
    if (!Number.isInteger(ref.index) || ref.index <= 0) throw new RangeError(`invalid link index ${ref.index}`);
    return { index: ref.index, attrs: [] };
  }
  checkName(ref.name);
  return { index: 0, attrs: [attr.string(IFLA_IFNAME, ref.name)] };
}

/**
 * `ip link add NAME type KIND`: RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL (EEXIST if it exists),
 * IFLA_IFNAME then IFLA_LINKINFO { IFLA_INFO_KIND }. Like iproute2, the kind has no NUL and the nest
 * has no NLA_F_NESTED flag (IFLA_LINKINFO predates strict nesting; the kernel accepts both).
 */
export function createLink(spec: CreateLinkSpec, seq: number, pid = 0): NetlinkMessage {
  checkName(spec.name);
  if (!/^[a-z0-9_]+$/.test(spec.kind)) throw new RangeError(`invalid link kind "${spec.kind}"`);
  const up = spec.up ? IFF_UP : 0;
  const kind: Attribute = { type: IFLA_INFO_KIND, nested: false, netByteOrder: false, data: new TextEncoder().encode(spec.kind) };
  return message(
    RTM_NEWLINK,
    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    header(0, up, up),
    [attr.string(IFLA_IFNAME, spec.name), attr.nest(IFLA_LINKINFO, [kind], false)],
    seq,
    pid,
  );
}

/** `ip link del`: RTM_DELLINK. ENODEV when there is no such link. */
export function deleteLink(ref: LinkRef, seq: number, pid = 0): NetlinkMessage {
  const { index, attrs } = refParts(ref);
  return message(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, header(index), attrs, seq, pid);
}

/**
 * One link (not a dump): RTM_GETLINK, answered by one RTM_NEWLINK or an NLMSG_ERROR (ENODEV). Asks the
 * kernel to skip statistics, as iproute2's name lookup does; no NLM_F_ACK (the reply is the answer).
 */
export function getLink(ref: LinkRef, seq: number, pid = 0): NetlinkMessage {
  const { index, attrs } = refParts(ref);
  return message(RTM_GETLINK, NLM_F_REQUEST, header(index), [attr.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS), ...attrs], seq, pid);
}

/** Every link: RTM_GETLINK with NLM_F_DUMP; the kernel answers with NLM_F_MULTI messages and NLMSG_DONE. */
export function dumpLinks(seq: number, pid = 0): NetlinkMessage {
  return message(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, header(0), [attr.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)], seq, pid);
}

/**
 * `ip link set DEV up|down`: RTM_NEWLINK without NLM_F_CREATE (iproute2 uses NEWLINK, not SETLINK),
 * ifi_change = IFF_UP says only that bit changes.
 */
export function setLinkUp(ref: LinkRef, seq: number, pid = 0): NetlinkMessage {
  const { index, attrs } = refParts(ref);
  return message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, header(index, IFF_UP, IFF_UP), attrs, seq, pid);
}

export function setLinkDown(ref: LinkRef, seq: number, pid = 0): NetlinkMessage {
  const { index, attrs } = refParts(ref);
  return message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, header(index, 0, IFF_UP), attrs, seq, pid);
}
