// Request builders and their inverse: pure functions between a ConntrackRequest value and the
// NetlinkMessage the `conntrack` tool (conntrack-tools 1.4.7, libnetfilter_conntrack 1.0.9) sends, checked
// byte for byte against captures of the tool (test/fixtures/captured/conntrack). Attribute order follows
// the tool: the tuples, then the scalar attributes in the order of CONNTRACK_ATTRIBUTE_ORDER, then the
// kernel-side filter.
import { attr, decodeAttributes, read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, type NetlinkMessage } from '../core/message.js';
import { decodeNfgen, encodeNfgen, NFNETLINK_V0, NFNL_SUBSYS_CTNETLINK, nfnlMessage, nfnlMessageType, nfnlSubsystem } from '../nfnetlink/nfgenmsg.js';
import {
  CTA_FILTER,
  CTA_FILTER_FLAG_CTA_IP_DST,
  CTA_FILTER_FLAG_CTA_IP_SRC,
  CTA_FILTER_FLAG_CTA_PROTO_DST_PORT,
  CTA_FILTER_FLAG_CTA_PROTO_NUM,
  CTA_FILTER_FLAG_CTA_PROTO_SRC_PORT,
  CTA_FILTER_FLAG_CTA_TUPLE_ZONE,
  CTA_FILTER_ORIG_FLAGS,
  CTA_FILTER_REPLY_FLAGS,
  CTA_MARK,
  CTA_MARK_MASK,
  CTA_STATUS,
  CTA_PROTOINFO,
  CTA_STATUS_MASK,
  CTA_SYNPROXY,
  CTA_TIMEOUT,
  CTA_TUPLE_ORIG,
  CTA_TUPLE_REPLY,
  CTA_ZONE,
  IPCTNL_MSG_CT_DELETE,
  IPCTNL_MSG_CT_GET,
} from './constants.js';
import { decodeTuple, encodeTuple, type ConntrackTuple } from './tuple.js';

/** CTA_FILTER: which fields of the request's CTA_TUPLE_ORIG / CTA_TUPLE_REPLY a dump must match. */
export interface ConntrackFilterFlags {
  orig: number;
  reply: number;
}

/** One ctnetlink request. Absent fields are absent attributes. */
export interface ConntrackRequest {
  /** IPCTNL_MSG_CT_* */
  command: number;
  flags: number;
  seq: number;
  pid?: number;
  /** nfgen_family: NFPROTO_IPV4, NFPROTO_IPV6, or NFPROTO_UNSPEC (0) for both. */
  family: number;
  /** nfgen res_id (the tool sends 0). */
  resId?: number;
  orig?: ConntrackTuple;
  reply?: ConntrackTuple;
  status?: number;
  statusMask?: number;
  timeout?: number;
  mark?: number;
  markMask?: number;
  zone?: number;
  filter?: ConntrackFilterFlags;
  /**
   * CTA_SYNPROXY's nested attributes, kept as bytes: `conntrack -D` copies every attribute of the dumped
   * flow into its DELETE, this one included (the kernel ignores it there). Decoded only to re-encode.
   */
  synproxy?: Uint8Array;
  /** CTA_PROTOINFO's nested attributes as bytes (the TCP/SCTP state `conntrack -D` copies), likewise. */
  protoinfo?: Uint8Array;
}

type Scalar = 'status' | 'timeout' | 'mark' | 'markMask' | 'zone' | 'statusMask';

/** Scalar attributes after the tuples, in the order the tool writes them; zone is be16, the rest be32. */
const CONNTRACK_ATTRIBUTE_ORDER: readonly { key: Scalar; type: number; bits: 16 | 32 }[] = [
  { key: 'status', type: CTA_STATUS, bits: 32 },
  { key: 'timeout', type: CTA_TIMEOUT, bits: 32 },
  { key: 'mark', type: CTA_MARK, bits: 32 },
  { key: 'markMask', type: CTA_MARK_MASK, bits: 32 },
  { key: 'zone', type: CTA_ZONE, bits: 16 },
  { key: 'statusMask', type: CTA_STATUS_MASK, bits: 32 },
];

export function encodeConntrackRequest(r: ConntrackRequest): NetlinkMessage {
  const attrs: Attribute[] = [];
  if (r.orig) attrs.push(encodeTuple(CTA_TUPLE_ORIG, r.orig));
  if (r.reply) attrs.push(encodeTuple(CTA_TUPLE_REPLY, r.reply));
  for (const s of CONNTRACK_ATTRIBUTE_ORDER) {
    // The tool writes CTA_PROTOINFO between the mark and the zone.
    if (s.key === 'zone' && r.protoinfo) attrs.push({ type: CTA_PROTOINFO, nested: true, netByteOrder: false, data: r.protoinfo });
    const v = r[s.key];
    if (v !== undefined) attrs.push(s.bits === 16 ? attr.be16(s.type, v) : attr.be32(s.type, v));
  }
  if (r.synproxy) attrs.push({ type: CTA_SYNPROXY, nested: true, netByteOrder: false, data: r.synproxy });
  if (r.filter) {
    attrs.push(attr.nest(CTA_FILTER, [attr.u32(CTA_FILTER_ORIG_FLAGS, r.filter.orig), attr.u32(CTA_FILTER_REPLY_FLAGS, r.filter.reply)]));
  }
  return {
    type: nfnlMessageType(NFNL_SUBSYS_CTNETLINK, r.command),
    flags: r.flags,
    seq: r.seq,
    pid: r.pid ?? 0,
    payload: encodeNfgen({ family: r.family, version: NFNETLINK_V0, resId: r.resId ?? 0, attrs }),
  };
}

/** The inverse of encodeConntrackRequest; throws NetlinkDecodeError on a non-ctnetlink message. */
export function decodeConntrackRequest(m: NetlinkMessage): ConntrackRequest {
  if (nfnlSubsystem(m.type) !== NFNL_SUBSYS_CTNETLINK) {
    throw new NetlinkDecodeError(`message type 0x${m.type.toString(16)} is not a ctnetlink request`, 4);
  }
  const p = decodeNfgen(m.payload);
  const r: ConntrackRequest = { command: nfnlMessage(m.type), flags: m.flags, seq: m.seq, family: p.family };
  if (m.pid !== 0) r.pid = m.pid;
  if (p.resId !== 0) r.resId = p.resId;
  for (const a of p.attrs) {
    if (a.type === CTA_TUPLE_ORIG) r.orig = decodeTuple(a);
    else if (a.type === CTA_TUPLE_REPLY) r.reply = decodeTuple(a);
    else if (a.type === CTA_SYNPROXY) r.synproxy = a.data.slice();
    else if (a.type === CTA_PROTOINFO) r.protoinfo = a.data.slice();
    else if (a.type === CTA_FILTER) {
      const f: ConntrackFilterFlags = { orig: 0, reply: 0 };
      for (const c of decodeAttributes(a.data)) {
        if (c.type === CTA_FILTER_ORIG_FLAGS) f.orig = read.u32(c);
        else if (c.type === CTA_FILTER_REPLY_FLAGS) f.reply = read.u32(c);
      }
      r.filter = f;
    } else {
      const s = CONNTRACK_ATTRIBUTE_ORDER.find((x) => x.type === a.type);
      if (!s) throw new NetlinkDecodeError(`ctnetlink request attribute ${a.type} is not supported`, 0);
      r[s.key] = s.bits === 16 ? read.be16(a) : read.be32(a);
    }
  }
  return r;
}

export interface ConntrackHeader {
  seq: number;
  pid?: number;
}

/**
 * Dump every flow of `family` (NFPROTO_UNSPEC: both). With `match`, the kernel (5.8+) returns only flows
 * whose original and/or reply tuple has the given fields: the filter flags name exactly the fields set.
 */
export function dumpFlowsRequest(
  h: ConntrackHeader,
  family: number,
  match: { orig?: ConntrackTuple; reply?: ConntrackTuple; mark?: number; markMask?: number; zone?: number } = {},
): NetlinkMessage {
  const r: ConntrackRequest = { command: IPCTNL_MSG_CT_GET, flags: NLM_F_REQUEST | NLM_F_DUMP, seq: h.seq, family };
  if (h.pid !== undefined) r.pid = h.pid;
  if (match.orig) r.orig = match.orig;
  if (match.reply) r.reply = match.reply;
  if (match.mark !== undefined) r.mark = match.mark;
  if (match.markMask !== undefined) r.markMask = match.markMask;
  if (match.zone !== undefined) r.zone = match.zone;
  if (match.orig || match.reply) r.filter = { orig: filterFlags(match.orig), reply: filterFlags(match.reply) };
  return encodeConntrackRequest(r);
}

/** Get the one flow whose original tuple is `orig` (`conntrack -G`): the kernel answers with it or ENOENT. */
export function getFlowRequest(h: ConntrackHeader, family: number, orig: ConntrackTuple, zone?: number): NetlinkMessage {
  return encodeConntrackRequest(tupleRequest(IPCTNL_MSG_CT_GET, 'get', h, family, orig, zone));
}

/** Delete the one flow whose original tuple is `orig` (all five fields) in `zone`. */
export function deleteFlowRequest(h: ConntrackHeader, family: number, orig: ConntrackTuple, zone?: number): NetlinkMessage {
  return encodeConntrackRequest(tupleRequest(IPCTNL_MSG_CT_DELETE, 'delete', h, family, orig, zone));
}

/**
 * A request naming one flow by its full original tuple. Linux 6.1 cannot delete by a partial tuple (a
 * DELETE without a tuple is a flush, and a flush refuses CTA_FILTER with EOPNOTSUPP), so deleting "every
 * flow to this Service" is a filtered dump and then one such delete per flow, as `conntrack -D` does.
 */
function tupleRequest(command: number, what: string, h: ConntrackHeader, family: number, orig: ConntrackTuple, zone?: number): ConntrackRequest {
  for (const k of ['src', 'dst', 'protocol', 'srcPort', 'dstPort'] as const) {
    if (orig[k] === undefined) throw new Error(`conntrack ${what}: the original tuple needs ${k} (${JSON.stringify(orig)})`);
  }
  const r: ConntrackRequest = { command, flags: NLM_F_REQUEST | NLM_F_ACK, seq: h.seq, family, orig };
  if (h.pid !== undefined) r.pid = h.pid;
  if (zone !== undefined) r.zone = zone;
  return r;
}

/** CTA_FILTER_FLAG_* bits for the fields a tuple sets. */
export function filterFlags(t: ConntrackTuple | undefined): number {
  if (!t) return 0;
  return (
    (t.src !== undefined ? CTA_FILTER_FLAG_CTA_IP_SRC : 0) |
    (t.dst !== undefined ? CTA_FILTER_FLAG_CTA_IP_DST : 0) |
    (t.zone !== undefined ? CTA_FILTER_FLAG_CTA_TUPLE_ZONE : 0) |
    (t.protocol !== undefined ? CTA_FILTER_FLAG_CTA_PROTO_NUM : 0) |
    (t.srcPort !== undefined ? CTA_FILTER_FLAG_CTA_PROTO_SRC_PORT : 0) |
    (t.dstPort !== undefined ? CTA_FILTER_FLAG_CTA_PROTO_DST_PORT : 0)
  );
}
