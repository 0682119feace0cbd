// The Link value: what we read out of an RTM_NEWLINK message (a GETLINK reply or a dump entry), and the
// reverse for message-level fakes. Only identity and state; statistics, VF info, AF_SPEC, qdisc and the
// rest of the ~40 attributes the kernel sends are skipped (decodeLinkPayload keeps them if ever needed).
import { attr, attributeMap, read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import type { NetlinkMessage } from '../core/message.js';
import {
  IF_OPER_DORMANT,
  IF_OPER_DOWN,
  IF_OPER_LOWERLAYERDOWN,
  IF_OPER_NOTPRESENT,
  IF_OPER_TESTING,
  IF_OPER_UNKNOWN,
  IF_OPER_UP,
  IFF_UP,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MTU,
  IFLA_OPERSTATE,
  RTM_NEWLINK,
} from './constants.js';
import { decodeLinkPayload, encodeLinkPayload } from './ifinfomsg.js';

/** RFC 2863 operational states (if.h IF_OPER_*), by name. A DOWN dummy is "down", an UP one "unknown". */
export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';

const OPER_STATES: readonly [number, OperState][] = [
  [IF_OPER_UNKNOWN, 'unknown'],
  [IF_OPER_NOTPRESENT, 'notpresent'],
  [IF_OPER_DOWN, 'down'],
  [IF_OPER_LOWERLAYERDOWN, 'lowerlayerdown'],
  [IF_OPER_TESTING, 'testing'],
  [IF_OPER_DORMANT, 'dormant'],
  [IF_OPER_UP, 'up'],
];

export function operStateName(v: number): OperState {
  // The enum has not grown since 2006; anything else is reported as RFC 2863's "unknown".
  return OPER_STATES.find(([n]) => n === v)?.[1] ?? 'unknown';
}

export function operStateNumber(s: OperState): number {
  return OPER_STATES.find(([, name]) => name === s)![0];
}

export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND inside IFLA_LINKINFO ("dummy"); absent for links without rtnl_link_ops (lo, most NICs). */
  kind?: string;
  /** ifi_flags as the kernel reports them (IFF_*): a fresh dummy reports IFF_BROADCAST|IFF_NOARP. */
  flags: number;
  /** Administratively up (IFF_UP in flags). */
  up: boolean;
  mtu?: number;
  operState?: OperState;
  /** ifi_type, ARPHRD_* (1 = Ethernet, which dummy links claim to be). */
  type: number;
}

/** Who a request is about: by index, or by name (ifi_index 0 + IFLA_IFNAME, which the kernel looks up). */
export type LinkRef = { index: number } | { name: string };

export function describeLinkRef(ref: LinkRef): string {
  return 'index' in ref ? `index ${ref.index}` : ref.name;
}

function linkKind(linkinfo: Attribute | undefined): string | undefined {
  if (!linkinfo) return undefined;
  const kind = attributeMap(read.nested(linkinfo)).get(IFLA_INFO_KIND);
  return kind ? read.string(kind) : undefined;
}

/**
 * Reads a Link out of an RTM_NEWLINK message: a reply, a dump entry, or one of our own requests (a fake
 * kernel uses it that way; a request's missing name decodes as "").
 */
export function decodeLink(m: NetlinkMessage): Link {
  if (m.type !== RTM_NEWLINK) throw new NetlinkDecodeError(`expected RTM_NEWLINK, got message type ${m.type}`, 4);
  const { header, attrs } = decodeLinkPayload(m.payload);
  const a = attributeMap(attrs);
  const link: Link = {
    index: header.index,
    name: a.has(IFLA_IFNAME) ? read.string(a.get(IFLA_IFNAME)!) : '',
    flags: header.flags,
    up: (header.flags & IFF_UP) !== 0,
    type: header.type,
  };
  const kind = linkKind(a.get(IFLA_LINKINFO));
  if (kind !== undefined) link.kind = kind;
  if (a.has(IFLA_MTU)) link.mtu = read.u32(a.get(IFLA_MTU)!);
  if (a.has(IFLA_OPERSTATE)) link.operState = operStateName(read.u8(a.get(IFLA_OPERSTATE)!));
  return link;
}

/**
 * Encodes a Link as the kernel would announce it (RTM_NEWLINK, attributes in the kernel's order:
 * IFNAME, OPERSTATE, MTU, LINKINFO), for message-level fakes. Only what Link holds; decodeLink of the
 * result gives the Link back when `up` agrees with IFF_UP in `flags`.
 */
export function encodeLink(link: Link, seq: number, pid = 0, nlFlags = 0): NetlinkMessage {
  const attrs: Attribute[] = [attr.string(IFLA_IFNAME, link.name)];
  if (link.operState !== undefined) attrs.push(attr.u8(IFLA_OPERSTATE, operStateNumber(link.operState)));
  if (link.mtu !== undefined) attrs.push(attr.u32(IFLA_MTU, link.mtu));
  if (link.kind !== undefined) attrs.push(attr.nest(IFLA_LINKINFO, [attr.string(IFLA_INFO_KIND, link.kind)], false));
  const flags = link.up ? link.flags | IFF_UP : link.flags & ~IFF_UP;
  return {
    type: RTM_NEWLINK,
    flags: nlFlags,
    seq,
    pid,
    payload: encodeLinkPayload({ header: { family: 0, type: link.type, index: link.index, flags: flags >>> 0, change: 0 }, attrs }),
  };
}
