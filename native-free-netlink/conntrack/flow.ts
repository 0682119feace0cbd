// A flow as the kernel reports it: one IPCTNL_MSG_CT_NEW message per conntrack entry in a dump (and in the
// reply to a GET). ctnetlink_fill_info() writes CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_ZONE (when not the
// default zone), then status, timeout, protoinfo, mark, id, use and more; only the fields a service proxy
// reasons about are decoded, the rest are skipped.
import { decodeAttributes, read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import type { NetlinkMessage } from '../core/message.js';
import { decodeNfgen, nfnlMessage, nfnlSubsystem, NFNL_SUBSYS_CTNETLINK } from '../nfnetlink/nfgenmsg.js';
import {
  CTA_COUNTERS_ORIG,
  CTA_COUNTERS_PACKETS,
  CTA_COUNTERS_REPLY,
  CTA_ID,
  CTA_MARK,
  CTA_PROTOINFO,
  CTA_PROTOINFO_SCTP,
  CTA_PROTOINFO_SCTP_STATE,
  CTA_PROTOINFO_TCP,
  CTA_PROTOINFO_TCP_STATE,
  CTA_STATUS,
  CTA_TIMEOUT,
  CTA_TUPLE_ORIG,
  CTA_TUPLE_REPLY,
  CTA_USE,
  CTA_ZONE,
  IPCTNL_MSG_CT_NEW,
} from './constants.js';
import { decodeTuple, type ConntrackTuple } from './tuple.js';

export interface ConntrackFlow {
  /** nfgen_family of the message: NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10). */
  family: number;
  orig: ConntrackTuple;
  reply: ConntrackTuple;
  /** CTA_ZONE; absent for the default zone 0. */
  zone?: number;
  /** IPS_* bits. */
  status?: number;
  /** Seconds left before the entry expires. */
  timeout?: number;
  mark?: number;
  id?: number;
  use?: number;
  /** TCP (CTA_PROTOINFO_TCP_STATE) or SCTP state number, when the protocol has one. */
  protoState?: number;
  /** Packets seen in each direction, when nf_conntrack_acct is on. */
  origPackets?: bigint;
  replyPackets?: bigint;
}

function packets(a: Attribute): bigint | undefined {
  const p = decodeAttributes(a.data).find((c) => c.type === CTA_COUNTERS_PACKETS);
  return p ? read.be64(p) : undefined;
}

function protoState(a: Attribute): number | undefined {
  for (const info of decodeAttributes(a.data)) {
    const stateType = info.type === CTA_PROTOINFO_TCP ? CTA_PROTOINFO_TCP_STATE : info.type === CTA_PROTOINFO_SCTP ? CTA_PROTOINFO_SCTP_STATE : -1;
    if (stateType < 0) continue;
    const s = decodeAttributes(info.data).find((c) => c.type === stateType);
    if (s) return read.u8(s);
  }
  return undefined;
}

/** Decodes the attributes of one flow message (after nfgenmsg). */
export function decodeFlowAttributes(family: number, attrs: readonly Attribute[]): ConntrackFlow {
  let orig: ConntrackTuple | undefined;
  let reply: ConntrackTuple | undefined;
  const f: Omit<ConntrackFlow, 'orig' | 'reply'> = { family };
  for (const a of attrs) {
    switch (a.type) {
      case CTA_TUPLE_ORIG: orig = decodeTuple(a); break;
      case CTA_TUPLE_REPLY: reply = decodeTuple(a); break;
      case CTA_ZONE: f.zone = read.be16(a); break;
      case CTA_STATUS: f.status = read.be32(a); break;
      case CTA_TIMEOUT: f.timeout = read.be32(a); break;
      case CTA_MARK: f.mark = read.be32(a); break;
      case CTA_ID: f.id = read.be32(a); break;
      case CTA_USE: f.use = read.be32(a); break;
      case CTA_PROTOINFO: { const s = protoState(a); if (s !== undefined) f.protoState = s; break; }
      case CTA_COUNTERS_ORIG: { const p = packets(a); if (p !== undefined) f.origPackets = p; break; }
      case CTA_COUNTERS_REPLY: { const p = packets(a); if (p !== undefined) f.replyPackets = p; break; }
      default: break;
    }
  }
  if (!orig || !reply) throw new NetlinkDecodeError('conntrack flow without CTA_TUPLE_ORIG and CTA_TUPLE_REPLY', 0);
  return { ...f, orig, reply };
}

/** One IPCTNL_MSG_CT_NEW message of a dump or GET reply -> the flow; throws on any other message type. */
export function decodeFlowMessage(m: NetlinkMessage): ConntrackFlow {
  if (nfnlSubsystem(m.type) !== NFNL_SUBSYS_CTNETLINK || nfnlMessage(m.type) !== IPCTNL_MSG_CT_NEW) {
    throw new NetlinkDecodeError(`message type 0x${m.type.toString(16)} is not a ctnetlink flow (IPCTNL_MSG_CT_NEW)`, 4);
  }
  const p = decodeNfgen(m.payload);
  return decodeFlowAttributes(p.family, p.attrs);
}
