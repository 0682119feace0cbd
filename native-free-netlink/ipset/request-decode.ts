// Requests as values, both ways: decodeRequest reads any ipset request (ours or the ipset tool's) into an
// IpsetRequest, encodeRequest writes it back byte for byte. Used by message-level fakes (a fake kernel must
// understand what the backend sends) and by the captured-bytes tests.
import { read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { NLM_F_EXCL, type NetlinkMessage } from '../core/message.js';
import { decodeNfgen, NFNL_SUBSYS_IPSET, nfnlMessage, nfnlSubsystem } from '../nfnetlink/nfgenmsg.js';
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
  ipsetCommandName,
} from './constants.js';
import { decodeEntryAttributes } from './entry-attributes.js';
import {
  encodeAdtBatchRequest,
  encodeAdtRequest,
  encodeBatchElement,
  encodeCreateRequest,
  encodeDestroyRequest,
  encodeFlushRequest,
  encodeHeaderRequest,
  encodeListRequest,
  encodeProtocolRequest,
  encodeRenameRequest,
  encodeSaveRequest,
  encodeSwapRequest,
  encodeTestRequest,
  encodeTypeRequest,
  type IpsetRequestHeader,
  type ListOptions,
} from './requests.js';
import type { IpsetCreate, IpsetEntry, IpsetFamily } from './types.js';

/** Restore-style numbering of a batched ADD/DEL: the top-level lineno and each element's. */
export interface AdtBatchNumbering {
  lineno: number;
  linenos: number[];
}

export type IpsetRequest =
  | { cmd: 'protocol' }
  | { cmd: 'type'; typeName: string; family: number }
  | { cmd: 'header'; setName: string }
  | { cmd: 'create'; create: IpsetCreate; exist: boolean }
  | { cmd: 'destroy'; setName?: string; exist: boolean }
  | { cmd: 'flush'; setName?: string }
  | { cmd: 'rename'; from: string; to: string }
  | { cmd: 'swap'; a: string; b: string }
  | { cmd: 'list'; options: ListOptions }
  | { cmd: 'save'; setName?: string }
  | { cmd: 'add' | 'del'; setName: string; entries: IpsetEntry[]; exist: boolean; batch?: AdtBatchNumbering }
  | { cmd: 'test'; setName: string; entry: IpsetEntry };

export interface DecodedIpsetRequest {
  header: Required<IpsetRequestHeader>;
  request: IpsetRequest;
}

function str(a: Map<number, Attribute>, t: number, what: string, cmd: number): string {
  const v = a.get(t);
  if (!v) throw new NetlinkDecodeError(`ipset ${ipsetCommandName(cmd)} request without ${what}`, 0);
  return read.string(v);
}

function optStr(a: Map<number, Attribute>, t: number): string | undefined {
  const v = a.get(t);
  return v ? read.string(v) : undefined;
}

function decodeCreate(a: Map<number, Attribute>, cmd: number): IpsetCreate {
  const c: IpsetCreate = {
    name: str(a, IPSET_ATTR_SETNAME, 'set name', cmd),
    type: str(a, IPSET_ATTR_TYPENAME, 'type name', cmd),
    revision: read.u8(a.get(IPSET_ATTR_REVISION) ?? fail(cmd, 'revision')),
    family: read.u8(a.get(IPSET_ATTR_FAMILY) ?? fail(cmd, 'family')) as IpsetFamily,
  };
  const data = a.get(IPSET_ATTR_DATA);
  for (const d of data ? read.nested(data) : []) {
    switch (d.type) {
      case IPSET_ATTR_PORT: c.portFrom = read.be16(d); break;
      case IPSET_ATTR_PORT_TO: c.portTo = read.be16(d); break;
      case IPSET_ATTR_TIMEOUT: c.timeout = read.be32(d); break;
      case IPSET_ATTR_HASHSIZE: c.hashsize = read.be32(d); break;
      case IPSET_ATTR_MAXELEM: c.maxelem = read.be32(d); break;
      case IPSET_ATTR_CADT_FLAGS: {
        const f = read.be32(d);
        if (f & IPSET_FLAG_WITH_COUNTERS) c.counters = true;
        if (f & IPSET_FLAG_WITH_COMMENT) c.comment = true;
        break;
      }
      default: break;
    }
  }
  return c;
}

function fail(cmd: number, what: string): never {
  throw new NetlinkDecodeError(`ipset ${ipsetCommandName(cmd)} request without ${what}`, 0);
}

function lineno(a: Attribute): number {
  return a.netByteOrder ? read.be32(a) : read.u32(a);
}

/** Reads an ipset request message. Throws NetlinkDecodeError for other messages or missing attributes. */
export function decodeRequest(m: NetlinkMessage): DecodedIpsetRequest {
  if (nfnlSubsystem(m.type) !== NFNL_SUBSYS_IPSET) throw new NetlinkDecodeError(`not an ipset message (type 0x${m.type.toString(16)})`, 0);
  const cmd = nfnlMessage(m.type);
  const attrs = decodeNfgen(m.payload).attrs;
  const a = new Map<number, Attribute>();
  for (const x of attrs) if (!a.has(x.type)) a.set(x.type, x);
  const protocol = a.get(IPSET_ATTR_PROTOCOL);
  if (!protocol) fail(cmd, 'protocol');
  const header = { seq: m.seq, pid: m.pid, protocol: read.u8(protocol) };
  const exist = (m.flags & NLM_F_EXCL) === 0;
  const setName = optStr(a, IPSET_ATTR_SETNAME);
  let request: IpsetRequest;
  switch (cmd) {
    case IPSET_CMD_PROTOCOL: request = { cmd: 'protocol' }; break;
    case IPSET_CMD_TYPE:
      request = { cmd: 'type', typeName: str(a, IPSET_ATTR_TYPENAME, 'type name', cmd), family: read.u8(a.get(IPSET_ATTR_FAMILY) ?? fail(cmd, 'family')) };
      break;
    case IPSET_CMD_HEADER: request = { cmd: 'header', setName: str(a, IPSET_ATTR_SETNAME, 'set name', cmd) }; break;
    case IPSET_CMD_CREATE: request = { cmd: 'create', create: decodeCreate(a, cmd), exist }; break;
    case IPSET_CMD_DESTROY: request = setName === undefined ? { cmd: 'destroy', exist } : { cmd: 'destroy', setName, exist }; break;
    case IPSET_CMD_FLUSH: request = setName === undefined ? { cmd: 'flush' } : { cmd: 'flush', setName }; break;
    case IPSET_CMD_RENAME:
      request = { cmd: 'rename', from: str(a, IPSET_ATTR_SETNAME, 'set name', cmd), to: str(a, IPSET_ATTR_SETNAME2, 'new set name', cmd) };
      break;
    case IPSET_CMD_SWAP:
      request = { cmd: 'swap', a: str(a, IPSET_ATTR_SETNAME, 'set name', cmd), b: str(a, IPSET_ATTR_SETNAME2, 'second set name', cmd) };
      break;
    case IPSET_CMD_LIST: {
      const options: ListOptions = {};
      if (setName !== undefined) options.setName = setName;
      const f = a.get(IPSET_ATTR_FLAGS);
      const flags = f ? (f.netByteOrder ? read.be32(f) : read.u32(f)) : 0;
      if (flags & IPSET_FLAG_LIST_SETNAME) options.namesOnly = true;
      if (flags & IPSET_FLAG_LIST_HEADER) options.headersOnly = true;
      request = { cmd: 'list', options };
      break;
    }
    case IPSET_CMD_SAVE: request = setName === undefined ? { cmd: 'save' } : { cmd: 'save', setName }; break;
    case IPSET_CMD_ADD:
    case IPSET_CMD_DEL: {
      const name = str(a, IPSET_ATTR_SETNAME, 'set name', cmd);
      const kind = cmd === IPSET_CMD_ADD ? 'add' : 'del';
      const data = a.get(IPSET_ATTR_DATA);
      const adt = a.get(IPSET_ATTR_ADT);
      if (data) {
        request = { cmd: kind, setName: name, entries: [decodeEntryAttributes(read.nested(data)).entry], exist };
      } else if (adt) {
        const top = a.get(IPSET_ATTR_LINENO) ?? fail(cmd, 'lineno (required with IPSET_ATTR_ADT)');
        const entries: IpsetEntry[] = [];
        const linenos: number[] = [];
        for (const d of read.nested(adt)) {
          const decoded = decodeEntryAttributes(read.nested(d));
          entries.push(decoded.entry);
          linenos.push(decoded.lineno ?? 0);
        }
        request = { cmd: kind, setName: name, entries, exist, batch: { lineno: lineno(top), linenos } };
      } else {
        fail(cmd, 'IPSET_ATTR_DATA or IPSET_ATTR_ADT');
      }
      break;
    }
    case IPSET_CMD_TEST: {
      const data = a.get(IPSET_ATTR_DATA) ?? fail(cmd, 'IPSET_ATTR_DATA');
      request = { cmd: 'test', setName: str(a, IPSET_ATTR_SETNAME, 'set name', cmd), entry: decodeEntryAttributes(read.nested(data)).entry };
      break;
    }
    default:
      throw new NetlinkDecodeError(`unsupported ipset command ${cmd}`, 0);
  }
  return { header, request };
}

/** Writes a request back; encodeRequest(decodeRequest(m)) reproduces m for every layout the ipset tool uses. */
export function encodeRequest(r: IpsetRequest, h: IpsetRequestHeader): NetlinkMessage {
  switch (r.cmd) {
    case 'protocol': return encodeProtocolRequest(h);
    case 'type': return encodeTypeRequest(r.typeName, r.family, h);
    case 'header': return encodeHeaderRequest(r.setName, h);
    case 'create': return encodeCreateRequest(r.create, { exist: r.exist }, h);
    case 'destroy': return encodeDestroyRequest(r.setName, { exist: r.exist }, h);
    case 'flush': return encodeFlushRequest(r.setName, h);
    case 'rename': return encodeRenameRequest(r.from, r.to, h);
    case 'swap': return encodeSwapRequest(r.a, r.b, h);
    case 'list': return encodeListRequest(r.options, h);
    case 'save': return encodeSaveRequest(r.setName, h);
    case 'add':
    case 'del': {
      const cmd = r.cmd === 'add' ? IPSET_CMD_ADD : IPSET_CMD_DEL;
      if (!r.batch) return encodeAdtRequest(cmd, r.setName, r.entries, { exist: r.exist }, h);
      const linenos = r.batch.linenos;
      return encodeAdtBatchRequest(cmd, r.setName, r.entries.map((e, i) => encodeBatchElement(e, linenos[i] ?? 0)), r.batch.lineno, { exist: r.exist }, h);
    }
    case 'test': return encodeTestRequest(r.setName, r.entry, h);
  }
}
