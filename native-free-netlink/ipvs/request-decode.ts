// Reads an IPVS request back into values: what a message-level fake kernel needs, and what byte tests use to
// check decode(raw) against the value that encodes to raw.
import { attributeMap, read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { AF_INET } from '../core/ip.js';
import type { NetlinkMessage } from '../core/message.js';
import { decodeGenl } from '../genetlink/genl.js';
import {
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_CMD_ATTR_TIMEOUT_TCP,
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
  IPVS_CMD_ATTR_TIMEOUT_UDP,
  IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_FWD_METHOD,
  IPVS_SVC_ATTR_ADDR,
  IPVS_SVC_ATTR_FLAGS,
  IPVS_SVC_ATTR_NETMASK,
  IPVS_SVC_ATTR_SCHED_NAME,
  IPVS_SVC_ATTR_TIMEOUT,
} from './constants.js';
import { unpackDestination, unpackDestinationKey } from './destination.js';
import { unpackFlags, unpackService, unpackServiceKey } from './service.js';
import type { IpvsDestination, IpvsDestinationKey, IpvsService, IpvsServiceKey, IpvsTimeouts } from './types.js';

export interface IpvsRequest {
  cmd: number;
  /** Header fields, as sent. */
  flags: number;
  seq: number;
  pid: number;
  /** A whole IpvsService when SCHED_NAME, FLAGS, TIMEOUT and NETMASK are all present, else its key. */
  service?: IpvsService | IpvsServiceKey;
  /** The mask of IPVS_SVC_ATTR_FLAGS, when present. */
  flagsMask?: number;
  /** A whole IpvsDestination when FWD_METHOD is present, else its key. */
  destination?: IpvsDestination | IpvsDestinationKey;
  /** SET_CONFIG's timeouts (only the attributes present). */
  timeouts?: IpvsTimeouts;
  /** Whether the SERVICE / DEST nests carried NLA_F_NESTED (undefined without nests). */
  nestedFlag?: boolean;
  /** 4 when IPv4 addresses were sent in 4 bytes instead of the usual 16 (absent otherwise). */
  ipv4AddressLength?: 4;
}

const FULL_SERVICE = [IPVS_SVC_ATTR_SCHED_NAME, IPVS_SVC_ATTR_FLAGS, IPVS_SVC_ATTR_TIMEOUT, IPVS_SVC_ATTR_NETMASK];

export function decodeIpvsRequest(m: NetlinkMessage): IpvsRequest {
  const g = decodeGenl(m.payload);
  const top = attributeMap(g.attrs);
  const out: IpvsRequest = { cmd: g.cmd, flags: m.flags, seq: m.seq, pid: m.pid };
  const nests: Attribute[] = [];

  const svcNest = top.get(IPVS_CMD_ATTR_SERVICE);
  if (svcNest) {
    nests.push(svcNest);
    const attrs = read.nested(svcNest);
    const sm = attributeMap(attrs);
    out.service = FULL_SERVICE.every((t) => sm.has(t)) ? unpackService(attrs) : unpackServiceKey(attrs);
    const flags = sm.get(IPVS_SVC_ATTR_FLAGS);
    if (flags) out.flagsMask = unpackFlags(flags).mask;
  }
  const destNest = top.get(IPVS_CMD_ATTR_DEST);
  if (destNest) {
    nests.push(destNest);
    const attrs = read.nested(destNest);
    const family = out.service?.family;
    out.destination = attributeMap(attrs).has(IPVS_DEST_ATTR_FWD_METHOD) ? unpackDestination(attrs, family) : unpackDestinationKey(attrs, family);
  }
  // IPv4 addresses normally travel as 16-byte union nf_inet_addr; note the compact form so it can be re-sent.
  if (svcNest && out.service?.family === AF_INET && attributeMap(read.nested(svcNest)).get(IPVS_SVC_ATTR_ADDR)?.data.length === 4) {
    out.ipv4AddressLength = 4;
  }
  if (destNest && out.destination?.family === AF_INET && attributeMap(read.nested(destNest)).get(IPVS_DEST_ATTR_ADDR)?.data.length === 4) {
    out.ipv4AddressLength = 4;
  }
  if (nests.length > 0) {
    if (nests.some((n) => n.nested !== nests[0]!.nested)) throw new NetlinkDecodeError('IPVS request mixes nests with and without NLA_F_NESTED', 0);
    out.nestedFlag = nests[0]!.nested;
  }

  const timeouts: IpvsTimeouts = {};
  const tcp = top.get(IPVS_CMD_ATTR_TIMEOUT_TCP);
  const fin = top.get(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN);
  const udp = top.get(IPVS_CMD_ATTR_TIMEOUT_UDP);
  if (tcp) timeouts.tcp = read.u32(tcp);
  if (fin) timeouts.tcpFin = read.u32(fin);
  if (udp) timeouts.udp = read.u32(udp);
  if (tcp || fin || udp) out.timeouts = timeouts;
  return out;
}
