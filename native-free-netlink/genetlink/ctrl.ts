// nlctrl: the generic netlink controller, which resolves a family name ("IPVS") to its dynamic message type.
import { attr, attributeMap, read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { NLM_F_ACK, NLM_F_REQUEST, type NetlinkMessage } from '../core/message.js';
import { decodeGenl, encodeGenl } from './genl.js';

export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_HDRSIZE = 4;
export const CTRL_ATTR_MAXATTR = 5;
export const CTRL_ATTR_OPS = 6;
export const CTRL_ATTR_MCAST_GROUPS = 7;
export const CTRL_ATTR_OP_ID = 1;
export const CTRL_ATTR_OP_FLAGS = 2;
export const CTRL_ATTR_MCAST_GRP_NAME = 1;
export const CTRL_ATTR_MCAST_GRP_ID = 2;

export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  hdrSize: number;
  maxAttr: number;
  ops: { id: number; flags: number }[];
  mcastGroups: { name: string; id: number }[];
}

export function encodeGetFamily(name: string, seq: number, pid = 0): NetlinkMessage {
  return {
    type: GENL_ID_CTRL,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    seq,
    pid,
    payload: encodeGenl({ cmd: CTRL_CMD_GETFAMILY, version: 1, attrs: [attr.string(CTRL_ATTR_FAMILY_NAME, name)] }),
  };
}

function list(a: Attribute | undefined): Attribute[][] {
  return a ? read.nested(a).map((entry) => read.nested(entry)) : [];
}

export function decodeFamily(m: NetlinkMessage): GenlFamily {
  const g = decodeGenl(m.payload);
  if (g.cmd !== CTRL_CMD_NEWFAMILY) throw new NetlinkDecodeError(`nlctrl reply with cmd ${g.cmd}`, 0);
  const a = attributeMap(g.attrs);
  const id = a.get(CTRL_ATTR_FAMILY_ID);
  const name = a.get(CTRL_ATTR_FAMILY_NAME);
  if (!id || !name) throw new NetlinkDecodeError('nlctrl reply without family id or name', 0);
  return {
    id: read.u16(id),
    name: read.string(name),
    version: a.has(CTRL_ATTR_VERSION) ? read.u32(a.get(CTRL_ATTR_VERSION)!) : 0,
    hdrSize: a.has(CTRL_ATTR_HDRSIZE) ? read.u32(a.get(CTRL_ATTR_HDRSIZE)!) : 0,
    maxAttr: a.has(CTRL_ATTR_MAXATTR) ? read.u32(a.get(CTRL_ATTR_MAXATTR)!) : 0,
    ops: list(a.get(CTRL_ATTR_OPS)).map((op) => {
      const o = attributeMap(op);
      return { id: read.u32(o.get(CTRL_ATTR_OP_ID)!), flags: o.has(CTRL_ATTR_OP_FLAGS) ? read.u32(o.get(CTRL_ATTR_OP_FLAGS)!) : 0 };
    }),
    mcastGroups: list(a.get(CTRL_ATTR_MCAST_GROUPS)).map((grp) => {
      const o = attributeMap(grp);
      return { name: read.string(o.get(CTRL_ATTR_MCAST_GRP_NAME)!), id: read.u32(o.get(CTRL_ATTR_MCAST_GRP_ID)!) };
    }),
  };
}
