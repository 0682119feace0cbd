// list:set: a set whose members are other sets, by name. ipvs-proxier uses one as its ledger of owned
// sets (lib/engine/OWNERSHIP.md): the kernel then also holds a reference on each member, so a foreign
// `ipset destroy` of one of our sets fails with "in use". Members travel as IPSET_ATTR_NAME inside
// IPSET_ATTR_DATA; the create data carries IPSET_ATTR_SIZE (be32, most members).
import { attr, attributeMap, read, type Attribute } from '../core/attributes.js';
import { NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, type NetlinkMessage } from '../core/message.js';
import { decodeNfgen, nfnlMessage, nfnlSubsystem, NFNL_SUBSYS_IPSET, NFPROTO_UNSPEC } from '../nfnetlink/index.js';
import {
  IPSET_ATTR_ADT,
  IPSET_ATTR_DATA,
  IPSET_ATTR_FAMILY,
  IPSET_ATTR_LINENO,
  IPSET_ATTR_NAME,
  IPSET_ATTR_REVISION,
  IPSET_ATTR_SETNAME,
  IPSET_ATTR_SIZE,
  IPSET_ATTR_TYPENAME,
  IPSET_CMD_CREATE,
  IPSET_CMD_LIST,
} from './constants.js';
import { ipsetRequest, type AdtCommand, type ExistOption, type IpsetRequestHeader } from './requests.js';

export const LIST_SET_TYPE = 'list:set';

const NET = { netByteOrderFlag: true };

/** `ipset create NAME list:set size SIZE` (family unspecified, as ipset sends it). */
export function encodeListSetCreate(name: string, size: number, revision: number, o: ExistOption, h: IpsetRequestHeader): NetlinkMessage {
  return ipsetRequest(
    IPSET_CMD_CREATE,
    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (o.exist ? 0 : NLM_F_EXCL),
    [
      attr.string(IPSET_ATTR_SETNAME, name),
      attr.string(IPSET_ATTR_TYPENAME, LIST_SET_TYPE),
      attr.u8(IPSET_ATTR_REVISION, revision),
      attr.u8(IPSET_ATTR_FAMILY, NFPROTO_UNSPEC),
      attr.nest(IPSET_ATTR_DATA, [attr.be32(IPSET_ATTR_SIZE, size, NET)]),
    ],
    h,
  );
}

/** ADD/DEL of member sets; several members go restore-style in one message (numbered from 1). */
export function encodeListSetAdt(cmd: AdtCommand, setName: string, members: readonly string[], o: ExistOption, h: IpsetRequestHeader): NetlinkMessage {
  if (members.length === 0) throw new Error(`list:set ${setName}: no members`);
  const flags = NLM_F_REQUEST | NLM_F_ACK | (o.exist ? 0 : NLM_F_EXCL);
  if (members.length === 1) {
    return ipsetRequest(cmd, flags, [attr.string(IPSET_ATTR_SETNAME, setName), attr.nest(IPSET_ATTR_DATA, [attr.string(IPSET_ATTR_NAME, members[0]!), attr.be32(IPSET_ATTR_LINENO, 0, NET)])], h);
  }
  const elements: Attribute[] = members.map((m, i) => attr.nest(IPSET_ATTR_DATA, [attr.string(IPSET_ATTR_NAME, m), attr.be32(IPSET_ATTR_LINENO, i + 1, NET)]));
  return ipsetRequest(cmd, flags, [attr.string(IPSET_ATTR_SETNAME, setName), attr.be32(IPSET_ATTR_LINENO, 1, NET), attr.nest(IPSET_ATTR_ADT, elements)], h);
}

/**
 * Member names of every list:set in a LIST dump, by set name. The general decodeListDump reads members
 * as address/port entries; list:set members are names, read here from the same messages.
 */
export function decodeListSetMembers(messages: readonly NetlinkMessage[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let currentIsList = false;
  let current = '';
  for (const m of messages) {
    if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) continue;
    if (nfnlSubsystem(m.type) !== NFNL_SUBSYS_IPSET || nfnlMessage(m.type) !== IPSET_CMD_LIST) continue;
    const a = attributeMap(decodeNfgen(m.payload).attrs);
    const name = a.get(IPSET_ATTR_SETNAME) ? read.string(a.get(IPSET_ATTR_SETNAME)!) : '';
    const type = a.get(IPSET_ATTR_TYPENAME);
    if (type) {
      current = name;
      currentIsList = read.string(type) === LIST_SET_TYPE;
      if (currentIsList) out.set(name, []);
    }
    if (!currentIsList || name !== current) continue;
    const adt = a.get(IPSET_ATTR_ADT);
    if (!adt) continue;
    for (const d of read.nested(adt)) {
      const member = attributeMap(read.nested(d)).get(IPSET_ATTR_NAME);
      if (member) out.get(name)!.push(read.string(member));
    }
  }
  return out;
}
