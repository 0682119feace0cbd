// Request builders: pure functions from values to the NetlinkMessage the ipset tool (7.x) would send.
// Layout and netlink flags follow lib/session.c build_msg() / build_send_private_msg() and lib/mnl.c
// cmdflags[] of ipset 7.17, checked against captures of the real tool.
//
// "exist" semantics: the kernel derives IPSET_FLAG_EXIST from the ABSENCE of NLM_F_EXCL in nlmsg_flags
// (ip_set_core.c flag_exist()), not from any attribute. `ipset -exist` simply clears NLM_F_EXCL, so that
// re-adding, deleting a missing element, re-creating an identical set or destroying a missing one succeed.
import { attr, NLA_HDRLEN, type Attribute } from '../core/attributes.js';
import { NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, type NetlinkMessage } from '../core/message.js';
import { encodeNfgen, NFNETLINK_V0, NFNL_SUBSYS_IPSET, NFPROTO_IPV4, nfnlMessageType } from '../nfnetlink/nfgenmsg.js';
import {
  IPSET_ATTR_ADT,
  IPSET_ATTR_CADT_FLAGS,
  IPSET_ATTR_DATA,
  IPSET_ATTR_FAMILY,
  IPSET_ATTR_FLAGS,
  IPSET_ATTR_HASHSIZE,
  IPSET_ATTR_LINENO,
  IPSET_ATTR_MAXELEM,
  IPSET_ATTR_PORT,
  IPSET_ATTR_PORT_TO,
  IPSET_ATTR_PROTOCOL,
  IPSET_ATTR_REVISION,
  IPSET_ATTR_SETNAME,
  IPSET_ATTR_SETNAME2,
  IPSET_ATTR_TIMEOUT,
  IPSET_ATTR_TYPENAME,
  IPSET_CMD_ADD,
  IPSET_CMD_CREATE,
  IPSET_CMD_DEL,
  IPSET_CMD_DESTROY,
  IPSET_CMD_FLUSH,
  IPSET_CMD_HEADER,
  IPSET_CMD_LIST,
  IPSET_CMD_PROTOCOL,
  IPSET_CMD_RENAME,
  IPSET_CMD_SAVE,
  IPSET_CMD_SWAP,
  IPSET_CMD_TEST,
  IPSET_CMD_TYPE,
  IPSET_FLAG_LIST_HEADER,
  IPSET_FLAG_LIST_SETNAME,
  IPSET_FLAG_WITH_COMMENT,
  IPSET_FLAG_WITH_COUNTERS,
  IPSET_MAXNAMELEN,
  IPSET_PROTOCOL,
  ipsetCommandName,
} from './constants.js';
import { encodeEntryAttributes } from './entry-attributes.js';
import type { IpsetCreate, IpsetEntry } from './types.js';

/** Header fields of a request. `protocol` defaults to IPSET_PROTOCOL (7). */
export interface IpsetRequestHeader {
  seq: number;
  pid?: number;
  protocol?: number;
}

const NET = { netByteOrderFlag: true };

function checkName(name: string, what: string): string {
  const len = new TextEncoder().encode(name).length;
  if (len === 0 || len >= IPSET_MAXNAMELEN) {
    throw new Error(`${what} "${name}" must be 1-${IPSET_MAXNAMELEN - 1} bytes long`);
  }
  return name;
}

/**
 * Frames an ipset request. ipset puts NFPROTO_IPV4 in nfgen_family for every command (the set's family
 * travels in IPSET_ATTR_FAMILY) and IPSET_ATTR_PROTOCOL first.
 */
export function ipsetRequest(cmd: number, flags: number, attrs: readonly Attribute[], h: IpsetRequestHeader): NetlinkMessage {
  return {
    type: nfnlMessageType(NFNL_SUBSYS_IPSET, cmd),
    flags,
    seq: h.seq,
    pid: h.pid ?? 0,
    payload: encodeNfgen({
      family: NFPROTO_IPV4,
      version: NFNETLINK_V0,
      resId: 0,
      attrs: [attr.u8(IPSET_ATTR_PROTOCOL, h.protocol ?? IPSET_PROTOCOL), ...attrs],
    }),
  };
}

const ACKED = NLM_F_REQUEST | NLM_F_ACK;

/** PROTOCOL: asks the kernel's protocol range (reply: decodeProtocolReply). No ack is requested. */
export function encodeProtocolRequest(h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(IPSET_CMD_PROTOCOL, NLM_F_REQUEST, [], h);
}

/** TYPE: newest and oldest revision of a set type for a family (reply: decodeTypeReply). */
export function encodeTypeRequest(typeName: string, family: number, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(
    IPSET_CMD_TYPE,
    NLM_F_REQUEST,
    [attr.string(IPSET_ATTR_TYPENAME, checkName(typeName, 'set type')), attr.u8(IPSET_ATTR_FAMILY, family)],
    h,
  );
}

/** HEADER: type, family and revision of an existing set (reply: decodeHeaderReply). */
export function encodeHeaderRequest(setName: string, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(IPSET_CMD_HEADER, NLM_F_REQUEST, [attr.string(IPSET_ATTR_SETNAME, checkName(setName, 'set name'))], h);
}

export interface ExistOption {
  /** Like `ipset -exist`: no error when the effect is already there. */
  exist?: boolean;
}

function exclUnlessExist(o: ExistOption): number {
  return o.exist ? 0 : NLM_F_EXCL;
}

/** The IPSET_ATTR_DATA children of a create, in ascending attribute order as ipset sends them. */
function createData(c: IpsetCreate): Attribute[] {
  const out: Attribute[] = [];
  if (c.portFrom !== undefined) out.push(attr.be16(IPSET_ATTR_PORT, c.portFrom, NET));
  if (c.portTo !== undefined) out.push(attr.be16(IPSET_ATTR_PORT_TO, c.portTo, NET));
  if (c.timeout !== undefined) out.push(attr.be32(IPSET_ATTR_TIMEOUT, c.timeout, NET));
  const cadt = (c.counters ? IPSET_FLAG_WITH_COUNTERS : 0) | (c.comment ? IPSET_FLAG_WITH_COMMENT : 0);
  if (cadt !== 0) out.push(attr.be32(IPSET_ATTR_CADT_FLAGS, cadt, NET));
  if (c.hashsize !== undefined) out.push(attr.be32(IPSET_ATTR_HASHSIZE, c.hashsize, NET));
  if (c.maxelem !== undefined) out.push(attr.be32(IPSET_ATTR_MAXELEM, c.maxelem, NET));
  return out;
}

/** CREATE. With `exist`, creating a set identical to an existing one succeeds (kernel same_set()). */
export function encodeCreateRequest(c: IpsetCreate, o: ExistOption, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(
    IPSET_CMD_CREATE,
    ACKED | NLM_F_CREATE | exclUnlessExist(o),
    [
      attr.string(IPSET_ATTR_SETNAME, checkName(c.name, 'set name')),
      attr.string(IPSET_ATTR_TYPENAME, checkName(c.type, 'set type')),
      attr.u8(IPSET_ATTR_REVISION, c.revision),
      attr.u8(IPSET_ATTR_FAMILY, c.family),
      attr.nest(IPSET_ATTR_DATA, createData(c)),
    ],
    h,
  );
}

function optionalSetName(setName: string | undefined): Attribute[] {
  return setName === undefined ? [] : [attr.string(IPSET_ATTR_SETNAME, checkName(setName, 'set name'))];
}

/** DESTROY one set, or every set when `setName` is undefined. With `exist` a missing set is no error. */
export function encodeDestroyRequest(setName: string | undefined, o: ExistOption, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(IPSET_CMD_DESTROY, ACKED | exclUnlessExist(o), optionalSetName(setName), h);
}

/** FLUSH one set, or every set when `setName` is undefined. */
export function encodeFlushRequest(setName: string | undefined, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(IPSET_CMD_FLUSH, ACKED, optionalSetName(setName), h);
}

/** RENAME from -> to (fails with IPSET_ERR_EXIST_SETNAME2 if `to` exists, IPSET_ERR_REFERENCED if in use). */
export function encodeRenameRequest(from: string, to: string, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(
    IPSET_CMD_RENAME,
    ACKED,
    [attr.string(IPSET_ATTR_SETNAME, checkName(from, 'set name')), attr.string(IPSET_ATTR_SETNAME2, checkName(to, 'new set name'))],
    h,
  );
}

/** SWAP the contents (and names) of two sets of the same type and family: atomic replacement. */
export function encodeSwapRequest(a: string, b: string, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(
    IPSET_CMD_SWAP,
    ACKED,
    [attr.string(IPSET_ATTR_SETNAME, checkName(a, 'set name')), attr.string(IPSET_ATTR_SETNAME2, checkName(b, 'second set name'))],
    h,
  );
}

export interface ListOptions {
  /** Only this set (else every set). */
  setName?: string;
  /** `ipset list -name`: names only (IPSET_FLAG_LIST_SETNAME); decode with decodeSetNames. */
  namesOnly?: boolean;
  /** `ipset list -terse`: headers without members (IPSET_FLAG_LIST_HEADER). */
  headersOnly?: boolean;
}

/** LIST dump (replies: decodeListDump). */
export function encodeListRequest(o: ListOptions, h: IpsetRequestHeader): NetlinkMessage {
  const flags = (o.namesOnly ? IPSET_FLAG_LIST_SETNAME : 0) | (o.headersOnly ? IPSET_FLAG_LIST_HEADER : 0);
  const attrs = optionalSetName(o.setName);
  if (flags !== 0) attrs.push(attr.be32(IPSET_ATTR_FLAGS, flags, NET));
  return ipsetRequest(IPSET_CMD_LIST, ACKED | NLM_F_DUMP, attrs, h);
}

/** SAVE dump: the same replies as LIST (the kernel answers with IPSET_CMD_LIST messages). */
export function encodeSaveRequest(setName: string | undefined, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(IPSET_CMD_SAVE, ACKED | NLM_F_DUMP, optionalSetName(setName), h);
}

export type AdtCommand = typeof IPSET_CMD_ADD | typeof IPSET_CMD_DEL;

export interface AdtOptions extends ExistOption {
  /**
   * Restore-style batch: entries go in IPSET_ATTR_ADT, numbered firstLineno, firstLineno+1, ...; the
   * kernel stops at the first failing entry and reports its number (decodeAdtErrorLineno). Used
   * automatically for more than one entry; firstLineno defaults to 1.
   */
  firstLineno?: number;
}

/**
 * ADD or DEL of one entry (as `ipset add`: IPSET_ATTR_DATA with lineno 0) or of several in one message
 * (as `ipset restore`: top-level IPSET_ATTR_LINENO + IPSET_ATTR_ADT holding one IPSET_ATTR_DATA per
 * entry, each with its own lineno). Entries are not checked against the set type: the kernel does.
 */
export function encodeAdtRequest(
  cmd: AdtCommand,
  setName: string,
  entries: readonly IpsetEntry[],
  o: AdtOptions,
  h: IpsetRequestHeader,
): NetlinkMessage {
  if (entries.length === 0) throw new Error(`ipset ${ipsetCommandName(cmd)} ${setName}: no entries`);
  if (entries.length === 1 && o.firstLineno === undefined) {
    return ipsetRequest(
      cmd,
      ACKED | exclUnlessExist(o),
      [attr.string(IPSET_ATTR_SETNAME, checkName(setName, 'set name')), attr.nest(IPSET_ATTR_DATA, encodeEntryAttributes(entries[0]!, 'request', 0))],
      h,
    );
  }
  const first = o.firstLineno ?? 1;
  // The kernel reports a failing element only when its lineno is not 0 (ip_set_core.c call_ad).
  if (!Number.isInteger(first) || first < 1) throw new Error(`firstLineno must be a positive integer, not ${first}`);
  return encodeAdtBatchRequest(cmd, setName, entries.map((e, i) => encodeBatchElement(e, first + i)), first, o, h);
}

/** One IPSET_ATTR_DATA of a restore-style batch. */
export function encodeBatchElement(e: IpsetEntry, lineno: number): Attribute {
  return attr.nest(IPSET_ATTR_DATA, encodeEntryAttributes(e, 'request', lineno));
}

/** A restore-style batch from already encoded elements (encodeBatchElement), numbered from firstLineno. */
export function encodeAdtBatchRequest(
  cmd: AdtCommand,
  setName: string,
  elements: readonly Attribute[],
  firstLineno: number,
  o: ExistOption,
  h: IpsetRequestHeader,
): NetlinkMessage {
  const adt = attr.nest(IPSET_ATTR_ADT, elements);
  // nla_len is 16 bits: a bigger nest would be silently truncated on the wire.
  if (NLA_HDRLEN + adt.data.length > IPSET_ADT_NEST_MAX) {
    throw new Error(`ipset ${ipsetCommandName(cmd)} ${setName}: ${elements.length} elements take ${adt.data.length} bytes, more than one IPSET_ATTR_ADT can hold (${IPSET_ADT_NEST_MAX}); split them (encodeAdtBatches)`);
  }
  return ipsetRequest(
    cmd,
    ACKED | exclUnlessExist(o),
    [attr.string(IPSET_ATTR_SETNAME, checkName(setName, 'set name')), attr.be32(IPSET_ATTR_LINENO, firstLineno, NET), adt],
    h,
  );
}

/** Largest IPSET_ATTR_ADT nest: its nla_len is 16 bits. */
export const IPSET_ADT_NEST_MAX = 0xffff;

export function encodeAddRequest(setName: string, entries: readonly IpsetEntry[], o: AdtOptions, h: IpsetRequestHeader): NetlinkMessage {
  return encodeAdtRequest(IPSET_CMD_ADD, setName, entries, o, h);
}

export function encodeDelRequest(setName: string, entries: readonly IpsetEntry[], o: AdtOptions, h: IpsetRequestHeader): NetlinkMessage {
  return encodeAdtRequest(IPSET_CMD_DEL, setName, entries, o, h);
}

/**
 * TEST one entry (the kernel takes one per message). Ack errno 0 = member, IPSET_ERR_EXIST = not a
 * member (see isTestMiss).
 */
export function encodeTestRequest(setName: string, entry: IpsetEntry, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(
    IPSET_CMD_TEST,
    ACKED,
    [attr.string(IPSET_ATTR_SETNAME, checkName(setName, 'set name')), attr.nest(IPSET_ATTR_DATA, encodeEntryAttributes(entry, 'request'))],
    h,
  );
}
