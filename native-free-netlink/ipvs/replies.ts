// Decoders for what the kernel sends back: dumps (NLM_F_MULTI messages ended by NLMSG_DONE), single GET
// replies, and acks. Errors become IpvsError (errno, command, object, extended-ack text).
import { decodeAck, type NetlinkAck } from '../core/ack.js';
import { attributeMap, read, scanAttributes } from '../core/attributes.js';
import { getI32le } from '../core/bytes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import type { AddressFamily } from '../core/ip.js';
import {
  NLM_F_DUMP_INTR,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_MIN_TYPE,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  type NetlinkMessage,
} from '../core/message.js';
import { decodeGenl, GENL_HDRLEN, type GenlPayload } from '../genetlink/genl.js';
import {
  ipvsCommandName,
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_CMD_ATTR_TIMEOUT_TCP,
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
  IPVS_CMD_ATTR_TIMEOUT_UDP,
  IPVS_CMD_GET_CONFIG,
  IPVS_CMD_GET_DEST,
  IPVS_CMD_GET_INFO,
  IPVS_CMD_GET_SERVICE,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_INFO,
  IPVS_INFO_ATTR_CONN_TAB_SIZE,
  IPVS_INFO_ATTR_VERSION,
} from './constants.js';
import { unpackDestination, unpackDestinationStats, unpackDestinationWithoutCounters } from './destination.js';
import { IpvsError, type IpvsObject } from './errors.js';
import { unpackService, unpackServiceStats } from './service.js';
import type { IpvsDestinationEntry, IpvsInfo, IpvsServiceEntry, IpvsServiceKey, IpvsTimeouts } from './types.js';

/** The messages of one dump, decoded. */
export interface IpvsDump<T> {
  entries: T[];
  /**
   * NLM_F_DUMP_INTR was set on some message: the kernel's table changed while it was being dumped, so the
   * list may miss or repeat entries. Dump again before acting on it.
   */
  interrupted: boolean;
  /** NLMSG_DONE was among the messages (false means the list is partial: more datagrams to read). */
  done: boolean;
}

export interface ReplyOptions {
  /** The IPVS family id: messages of another type are refused instead of misread. */
  familyId?: number;
  /** For error messages: what the request was about. */
  object?: IpvsObject;
  /**
   * Decode the STATS/STATS64 counter nests (default true). A sync only needs connection counts: skipping
   * the 20 counters per object is most of the decoding cost of listing 100,000 destinations.
   */
  counters?: boolean;
}

/** An IpvsError for a failed ack, undefined for a successful one. */
export function ipvsErrorFromAck(ack: NetlinkAck, cmd: number, object: IpvsObject = {}): IpvsError | undefined {
  return ack.errno === 0 ? undefined : new IpvsError(cmd, object, ack.errno, ack.message);
}

interface Collected<T = GenlPayload> {
  /** Each data message's payload, decoded (by default as a genetlink payload). */
  payloads: T[];
  interrupted: boolean;
  done: boolean;
}

/**
 * Sorts the messages answering one request: family messages are decoded, a zero ack is skipped, an error
 * ack or a negative NLMSG_DONE status throws IpvsError for `cmd`.
 */
function collect(messages: readonly NetlinkMessage[], cmd: number, o: ReplyOptions): Collected;
function collect<T>(messages: readonly NetlinkMessage[], cmd: number, o: ReplyOptions, decode: (payload: Uint8Array) => T): Collected<T>;
function collect(messages: readonly NetlinkMessage[], cmd: number, o: ReplyOptions, decode: (payload: Uint8Array) => unknown = decodeGenl): Collected<unknown> {
  const out: Collected<unknown> = { payloads: [], interrupted: false, done: false };
  for (const m of messages) {
    if (m.flags & NLM_F_DUMP_INTR) out.interrupted = true;
    if (m.type === NLMSG_ERROR) {
      const err = ipvsErrorFromAck(decodeAck(m), cmd, o.object);
      if (err) throw err;
    } else if (m.type === NLMSG_DONE) {
      out.done = true;
      // A dump that failed part-way reports the error as a negative int in NLMSG_DONE's payload.
      if (m.payload.length >= 4) {
        const status = getI32le(m.payload, 0);
        if (status < 0) throw new IpvsError(cmd, o.object ?? {}, -status);
      }
    } else if (m.type === NLMSG_NOOP) {
      continue;
    } else if (m.type === NLMSG_OVERRUN || m.type < NLMSG_MIN_TYPE) {
      throw new NetlinkDecodeError(`unexpected netlink control message type ${m.type} in ${ipvsCommandName(cmd)} reply`, 0);
    } else {
      if (o.familyId !== undefined && m.type !== o.familyId) {
        throw new NetlinkDecodeError(`message of type ${m.type} in a reply from IPVS (family ${o.familyId})`, 0);
      }
      out.payloads.push(decode(m.payload));
    }
  }
  return out;
}

function expectCmd(cmd: number, want: number, request: number): void {
  if (cmd !== want) {
    throw new NetlinkDecodeError(`${ipvsCommandName(request)} reply with command ${ipvsCommandName(cmd)}, want ${ipvsCommandName(want)}`, 0);
  }
}

function serviceEntry(p: GenlPayload, counters = true): IpvsServiceEntry {
  expectCmd(p.cmd, IPVS_CMD_NEW_SERVICE, IPVS_CMD_GET_SERVICE);
  const nest = p.attrs.find((a) => a.type === IPVS_CMD_ATTR_SERVICE); // the first, as attributeMap keeps it
  if (!nest) throw new NetlinkDecodeError('NEW_SERVICE reply without IPVS_CMD_ATTR_SERVICE', 0);
  const attrs = read.nested(nest);
  return { service: unpackService(attrs), stats: counters ? unpackServiceStats(attrs) : {} };
}

function destinationEntry(p: GenlPayload, serviceFamily: AddressFamily | undefined): IpvsDestinationEntry {
  expectCmd(p.cmd, IPVS_CMD_NEW_DEST, IPVS_CMD_GET_DEST);
  const nest = p.attrs.find((a) => a.type === IPVS_CMD_ATTR_DEST); // no Map per destination
  if (!nest) throw new NetlinkDecodeError('NEW_DEST reply without IPVS_CMD_ATTR_DEST', 0);
  const attrs = read.nested(nest);
  return { destination: unpackDestination(attrs, serviceFamily), stats: unpackDestinationStats(attrs) };
}

/**
 * destinationEntry(decodeGenl(payload)) without counters, read in place: the genetlink header and the
 * message's attributes are walked without a GenlPayload, Attribute objects or views (one NEW_DEST message
 * per destination, 100,000 of them in a 10,000-service read). Same checks, same errors.
 */
function destinationWithoutCounters(payload: Uint8Array, serviceFamily: AddressFamily | undefined): IpvsDestinationEntry {
  if (payload.length < GENL_HDRLEN) throw new NetlinkDecodeError('genetlink payload shorter than genlmsghdr', 0);
  let nestStart = -1;
  let nestEnd = 0;
  scanAttributes(payload, (type, start, end) => {
    if (type === IPVS_CMD_ATTR_DEST && nestStart < 0) {
      nestStart = start;
      nestEnd = end;
    }
  }, 0, GENL_HDRLEN);
  expectCmd(payload[0]!, IPVS_CMD_NEW_DEST, IPVS_CMD_GET_DEST);
  if (nestStart < 0) throw new NetlinkDecodeError('NEW_DEST reply without IPVS_CMD_ATTR_DEST', 0);
  return unpackDestinationWithoutCounters(payload, serviceFamily, nestStart, nestEnd);
}

/** The services of a GET_SERVICE dump (all messages received for it, across datagrams). */
export function decodeServiceList(messages: readonly NetlinkMessage[], o: ReplyOptions = {}): IpvsDump<IpvsServiceEntry> {
  const c = collect(messages, IPVS_CMD_GET_SERVICE, o);
  return { entries: c.payloads.map((p) => serviceEntry(p, o.counters)), interrupted: c.interrupted, done: c.done };
}

/** The one service of a non-dump GET_SERVICE. ESRCH (no such service) arrives as IpvsError. */
export function decodeService(messages: readonly NetlinkMessage[], o: ReplyOptions = {}): IpvsServiceEntry {
  const c = collect(messages, IPVS_CMD_GET_SERVICE, o);
  if (c.payloads.length !== 1) throw new NetlinkDecodeError(`GET_SERVICE answered with ${c.payloads.length} services, want 1`, 0);
  return serviceEntry(c.payloads[0]!);
}

export interface DestinationReplyOptions extends ReplyOptions {
  /** The service dumped: its family names destinations on kernels older than 3.18 (no ADDR_FAMILY). */
  service?: IpvsServiceKey;
}

/** The destinations of a GET_DEST dump. An empty list may also mean the service does not exist. */
export function decodeDestinationList(messages: readonly NetlinkMessage[], o: DestinationReplyOptions = {}): IpvsDump<IpvsDestinationEntry> {
  const object = o.object ?? (o.service ? { service: o.service } : {});
  const family = o.service?.family;
  if (o.counters === false) {
    const c = collect(messages, IPVS_CMD_GET_DEST, { ...o, object }, (payload) => destinationWithoutCounters(payload, family));
    return { entries: c.payloads, interrupted: c.interrupted, done: c.done };
  }
  const c = collect(messages, IPVS_CMD_GET_DEST, { ...o, object });
  return { entries: c.payloads.map((p) => destinationEntry(p, family)), interrupted: c.interrupted, done: c.done };
}

/** "1.2.1" from IP_VS_VERSION_CODE's 0x010201. */
export function versionText(code: number): string {
  return `${(code >>> 16) & 0xff}.${(code >>> 8) & 0xff}.${code & 0xff}`;
}

function oneReply(messages: readonly NetlinkMessage[], request: number, reply: number, o: ReplyOptions): GenlPayload {
  const c = collect(messages, request, o);
  if (c.payloads.length !== 1) {
    throw new NetlinkDecodeError(`${ipvsCommandName(request)} answered with ${c.payloads.length} messages, want 1`, 0);
  }
  const p = c.payloads[0]!;
  expectCmd(p.cmd, reply, request);
  return p;
}

/** The GET_INFO reply (command SET_INFO). */
export function decodeInfo(messages: readonly NetlinkMessage[], o: ReplyOptions = {}): IpvsInfo {
  const m = attributeMap(oneReply(messages, IPVS_CMD_GET_INFO, IPVS_CMD_SET_INFO, o).attrs);
  const version = m.get(IPVS_INFO_ATTR_VERSION);
  const size = m.get(IPVS_INFO_ATTR_CONN_TAB_SIZE);
  if (!version || !size) throw new NetlinkDecodeError('GET_INFO reply without version or table size', 0);
  return { version: versionText(read.u32(version)), connTableSize: read.u32(size) };
}

/** The GET_CONFIG reply (command SET_CONFIG): the timeouts the kernel has (absent: protocol not built in). */
export function decodeConfig(messages: readonly NetlinkMessage[], o: ReplyOptions = {}): IpvsTimeouts {
  const m = attributeMap(oneReply(messages, IPVS_CMD_GET_CONFIG, IPVS_CMD_SET_CONFIG, o).attrs);
  const out: IpvsTimeouts = {};
  const tcp = m.get(IPVS_CMD_ATTR_TIMEOUT_TCP);
  const fin = m.get(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN);
  const udp = m.get(IPVS_CMD_ATTR_TIMEOUT_UDP);
  if (tcp) out.tcp = read.u32(tcp);
  if (fin) out.tcpFin = read.u32(fin);
  if (udp) out.udp = read.u32(udp);
  return out;
}

/**
 * Checks the answer to a command that only acks (NEW/SET/DEL_*, SET_CONFIG, FLUSH, ZERO): throws IpvsError
 * for an error ack; returns true when a zero ack was among the messages.
 */
export function decodeIpvsAck(messages: readonly NetlinkMessage[], cmd: number, object: IpvsObject = {}): boolean {
  let acked = false;
  for (const m of messages) {
    if (m.type !== NLMSG_ERROR) continue;
    const ack = decodeAck(m);
    const err = ipvsErrorFromAck(ack, cmd, object);
    if (err) throw err;
    acked = true;
  }
  return acked;
}
