// The kernel's side: builds reply messages exactly as Linux 6.1 writes them (ip_vs_genl_fill_service,
// ip_vs_genl_fill_dest, ip_vs_genl_get_cmd, netlink_dump_done). Used by message-level fakes, and by byte
// tests that check encode(decode(captured reply)) === captured reply.
import { attr, type Attribute } from '../core/attributes.js';
import { u32le } from '../core/bytes.js';
import { NLM_F_MULTI, NLMSG_DONE, type NetlinkMessage } from '../core/message.js';
import { encodeGenl } from '../genetlink/genl.js';
import { ipToBytes } from '../core/ip.js';
import {
  IP_VS_SVC_F_HASHED,
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_CMD_ATTR_TIMEOUT_TCP,
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
  IPVS_CMD_ATTR_TIMEOUT_UDP,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_INFO,
  IPVS_DEST_ATTR_ACTIVE_CONNS,
  IPVS_DEST_ATTR_ADDR_FAMILY,
  IPVS_DEST_ATTR_FWD_METHOD,
  IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_L_THRESH,
  IPVS_DEST_ATTR_PERSIST_CONNS,
  IPVS_DEST_ATTR_STATS,
  IPVS_DEST_ATTR_STATS64,
  IPVS_DEST_ATTR_TUN_FLAGS,
  IPVS_DEST_ATTR_TUN_PORT,
  IPVS_DEST_ATTR_TUN_TYPE,
  IPVS_DEST_ATTR_U_THRESH,
  IPVS_DEST_ATTR_WEIGHT,
  IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_PORT,
  IPVS_GENL_VERSION,
  IPVS_INFO_ATTR_CONN_TAB_SIZE,
  IPVS_INFO_ATTR_VERSION,
  IPVS_SVC_ATTR_FLAGS,
  IPVS_SVC_ATTR_PE_NAME,
  IPVS_SVC_ATTR_SCHED_NAME,
  IPVS_SVC_ATTR_STATS,
  IPVS_SVC_ATTR_STATS64,
  IPVS_SVC_ATTR_TIMEOUT,
} from './constants.js';
import { packFlags, packNetmask, packServiceKey } from './service.js';
import { packStats } from './stats.js';
import type { IpvsDestinationEntry, IpvsInfo, IpvsServiceEntry, IpvsTimeouts } from './types.js';

export interface ReplyEncoding {
  /** NLM_F_MULTI: set on every message of a dump, not on a single GET's reply. */
  multi?: boolean;
  /** NLA_F_NESTED on the nests. Default false: the kernel uses nla_nest_start_noflag for IPVS. */
  nestedFlag?: boolean;
}

function reply(familyId: number, cmd: number, seq: number, pid: number, attrs: Attribute[], o: ReplyEncoding): NetlinkMessage {
  return {
    type: familyId,
    flags: o.multi ? NLM_F_MULTI : 0,
    seq,
    pid,
    payload: encodeGenl({ cmd, version: IPVS_GENL_VERSION, attrs }),
  };
}

/** A 16-byte union nf_inet_addr, as the kernel always writes it. */
function fullAddress(address: string): Uint8Array {
  const out = new Uint8Array(16);
  out.set(ipToBytes(address).bytes);
  return out;
}

/** The SERVICE nest of a reply: identity, SCHED_NAME, PE_NAME, FLAGS (with HASHED, mask ~0), TIMEOUT, NETMASK, STATS, STATS64. */
export function encodeServiceAttrs(e: IpvsServiceEntry, o: ReplyEncoding = {}): Attribute {
  const s = e.service;
  const nested = o.nestedFlag ?? false;
  const attrs = packServiceKey(s); // 16-byte address by default, as the kernel
  attrs.push(attr.string(IPVS_SVC_ATTR_SCHED_NAME, s.scheduler));
  if (s.peName) attrs.push(attr.string(IPVS_SVC_ATTR_PE_NAME, s.peName));
  attrs.push(
    // Every service in the kernel's table has IP_VS_SVC_F_HASHED; decoding strips it, so put it back.
    attr.bytes(IPVS_SVC_ATTR_FLAGS, packFlags((s.flags | IP_VS_SVC_F_HASHED) >>> 0, 0xffffffff)),
    attr.u32(IPVS_SVC_ATTR_TIMEOUT, s.timeout),
    packNetmask(s.netmask, s.family),
  );
  if (e.stats.stats) attrs.push(attr.nest(IPVS_SVC_ATTR_STATS, packStats(e.stats.stats, 32), nested));
  if (e.stats.stats64) attrs.push(attr.nest(IPVS_SVC_ATTR_STATS64, packStats(e.stats.stats64, 64), nested));
  return attr.nest(IPVS_CMD_ATTR_SERVICE, attrs, nested);
}

/** The DEST nest of a reply, in ip_vs_genl_fill_dest's order (tunnel attributes only when `tunnel` is set). */
export function encodeDestinationAttrs(e: IpvsDestinationEntry, o: ReplyEncoding = {}): Attribute {
  const d = e.destination;
  const nested = o.nestedFlag ?? false;
  const attrs: Attribute[] = [
    attr.bytes(IPVS_DEST_ATTR_ADDR, fullAddress(d.address)),
    attr.be16(IPVS_DEST_ATTR_PORT, d.port),
    attr.u32(IPVS_DEST_ATTR_FWD_METHOD, d.forward),
    attr.u32(IPVS_DEST_ATTR_WEIGHT, d.weight),
  ];
  if (d.tunnel) {
    attrs.push(
      attr.u8(IPVS_DEST_ATTR_TUN_TYPE, d.tunnel.type),
      attr.be16(IPVS_DEST_ATTR_TUN_PORT, d.tunnel.port),
      attr.u16(IPVS_DEST_ATTR_TUN_FLAGS, d.tunnel.flags),
    );
  }
  attrs.push(
    attr.u32(IPVS_DEST_ATTR_U_THRESH, d.upperThreshold),
    attr.u32(IPVS_DEST_ATTR_L_THRESH, d.lowerThreshold),
    attr.u32(IPVS_DEST_ATTR_ACTIVE_CONNS, e.stats.activeConns),
    attr.u32(IPVS_DEST_ATTR_INACT_CONNS, e.stats.inactiveConns),
    attr.u32(IPVS_DEST_ATTR_PERSIST_CONNS, e.stats.persistConns),
    attr.u16(IPVS_DEST_ATTR_ADDR_FAMILY, d.family),
  );
  if (e.stats.stats) attrs.push(attr.nest(IPVS_DEST_ATTR_STATS, packStats(e.stats.stats, 32), nested));
  if (e.stats.stats64) attrs.push(attr.nest(IPVS_DEST_ATTR_STATS64, packStats(e.stats.stats64, 64), nested));
  return attr.nest(IPVS_CMD_ATTR_DEST, attrs, nested);
}

/** One NEW_SERVICE message: an element of a GET_SERVICE dump (`multi: true`) or the reply to a single GET. */
export function encodeServiceReply(familyId: number, seq: number, pid: number, e: IpvsServiceEntry, o: ReplyEncoding = {}): NetlinkMessage {
  return reply(familyId, IPVS_CMD_NEW_SERVICE, seq, pid, [encodeServiceAttrs(e, o)], o);
}

/** One NEW_DEST message of a GET_DEST dump. */
export function encodeDestinationReply(familyId: number, seq: number, pid: number, e: IpvsDestinationEntry, o: ReplyEncoding = { multi: true }): NetlinkMessage {
  return reply(familyId, IPVS_CMD_NEW_DEST, seq, pid, [encodeDestinationAttrs(e, o)], o);
}

/** "1.2.1" -> 0x010201 */
export function versionCode(version: string): number {
  const parts = version.split('.').map((p) => Number(p));
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPVS version "${version}"`);
  return ((parts[0]! << 16) | (parts[1]! << 8) | parts[2]!) >>> 0;
}

/** The GET_INFO reply (command SET_INFO). */
export function encodeInfoReply(familyId: number, seq: number, pid: number, info: IpvsInfo): NetlinkMessage {
  return reply(
    familyId,
    IPVS_CMD_SET_INFO,
    seq,
    pid,
    [attr.u32(IPVS_INFO_ATTR_VERSION, versionCode(info.version)), attr.u32(IPVS_INFO_ATTR_CONN_TAB_SIZE, info.connTableSize)],
    {},
  );
}

/** The GET_CONFIG reply (command SET_CONFIG). */
export function encodeConfigReply(familyId: number, seq: number, pid: number, t: IpvsTimeouts): NetlinkMessage {
  const attrs: Attribute[] = [];
  if (t.tcp !== undefined) attrs.push(attr.u32(IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp));
  if (t.tcpFin !== undefined) attrs.push(attr.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcpFin));
  if (t.udp !== undefined) attrs.push(attr.u32(IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp));
  return reply(familyId, IPVS_CMD_SET_CONFIG, seq, pid, attrs, {});
}

/** NLMSG_DONE ending a dump: NLM_F_MULTI and a 4-byte status (0, or a negative errno). */
export function encodeDone(seq: number, pid: number, status = 0, extraFlags = 0): NetlinkMessage {
  return { type: NLMSG_DONE, flags: NLM_F_MULTI | extraFlags, seq, pid, payload: u32le(status) };
}
