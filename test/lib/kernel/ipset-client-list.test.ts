// IpsetClient.list decodes a LIST dump in one pass, each member turned into text as it is reached. Checked
// against the two-pass decoding it replaced (decodeListDump + decodeListSetMembers + formatEntry per set)
// on the captured kernel replies, and on a list:set and a set of a type the codec cannot print.
import { expect } from 'chai';
import { attr } from '../../../native-free-netlink/core/attributes.js';
import { NLM_F_DUMP_INTR, NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import { encodeNfgen, NFNETLINK_V0, NFNL_SUBSYS_IPSET, NFPROTO_IPV4, NFPROTO_UNSPEC, nfnlMessage, nfnlMessageType } from '../../../native-free-netlink/nfnetlink/index.js';
import {
  decodeListDump, decodeListSetMembers, encodeDumpDone, encodeProtocolReply, formatEntry, IPSET_ATTR_ADT, IPSET_ATTR_DATA, IPSET_ATTR_FAMILY,
  IPSET_ATTR_NAME, IPSET_ATTR_PROTOCOL, IPSET_ATTR_REVISION, IPSET_ATTR_SETNAME, IPSET_ATTR_SIZE, IPSET_ATTR_TYPENAME, IPSET_CMD_LIST, IPSET_CMD_PROTOCOL,
} from '../../../native-free-netlink/ipset/index.js';
import { IpsetClient } from '../../../lib/kernel/ipset-client.js';
import type { KernelError } from '../../../lib/kernel/kernel-error.js';
import { MessageFake } from '../../../lib/netlink/message-fake.js';
import { captured } from '../../native-free-netlink/ipset/helpers.js';

/**
 * A client whose LIST request is answered with `replies` (their seq rewritten to the request's); the first
 * `interrupted` LIST dumps carry NLM_F_DUMP_INTR, as the kernel marks a dump that changed while it ran.
 */
async function clientAnswering(replies: readonly NetlinkMessage[], interrupted = 0): Promise<{ client: IpsetClient; conn: MessageFake }> {
  let lists = 0;
  const conn = new MessageFake(12, (m) => {
    const h = { seq: m.seq, pid: 0 };
    if (nfnlMessage(m.type) === IPSET_CMD_PROTOCOL) return [encodeProtocolReply({ protocol: 7 }, h)];
    const intr = ++lists <= interrupted ? NLM_F_DUMP_INTR : 0;
    return [...replies.map((r, i) => ({ ...r, seq: m.seq, flags: r.flags | (i === 0 ? intr : 0) })), encodeDumpDone(h)];
  });
  return { client: await IpsetClient.open(conn), conn };
}

/** What list() returned before it decoded in one pass. */
function twoPass(replies: readonly NetlinkMessage[]) {
  const lists = decodeListSetMembers(replies);
  return decodeListDump(replies).map((l) => {
    let entries: string[];
    try {
      entries = lists.get(l.name) ?? l.entries.map((e) => formatEntry(l.type, l.family, e));
    } catch {
      entries = [];
    }
    const out: Record<string, unknown> = { name: l.name, type: l.type, family: l.family === 10 ? 'inet6' : 'inet', entries };
    if (l.header.hashsize !== undefined) out.hashsize = l.header.hashsize;
    if (l.header.maxelem !== undefined) out.maxelem = l.header.maxelem;
    if (l.header.portFrom !== undefined && l.header.portTo !== undefined) out.range = `${l.header.portFrom}-${l.header.portTo}`;
    return out;
  });
}

function listReply(name: string, type: string, family: number, memberAttrs: ReturnType<typeof attr.nest>[]): NetlinkMessage {
  return {
    type: nfnlMessageType(NFNL_SUBSYS_IPSET, IPSET_CMD_LIST),
    flags: NLM_F_MULTI,
    seq: 0,
    pid: 0,
    payload: encodeNfgen({
      family: NFPROTO_IPV4, version: NFNETLINK_V0, resId: 0,
      attrs: [
        attr.u8(IPSET_ATTR_PROTOCOL, 7), attr.string(IPSET_ATTR_SETNAME, name), attr.string(IPSET_ATTR_TYPENAME, type),
        attr.u8(IPSET_ATTR_REVISION, 3), attr.u8(IPSET_ATTR_FAMILY, family),
        attr.nest(IPSET_ATTR_DATA, [attr.be32(IPSET_ATTR_SIZE, 8, { netByteOrderFlag: true })]),
        attr.nest(IPSET_ATTR_ADT, memberAttrs),
      ],
    }),
  };
}

describe('IpsetClient.list (one pass)', () => {
  for (const name of ['ipset-list-all', 'ipset-save-all', 'ours-list-big']) {
    it(`lists the captured ${name} replies as the two-pass decoding did`, async () => {
      const replies = captured(name).datagrams.filter((d) => d.direction === 'reply').flatMap((d) => d.messages)
        .filter((m) => m.type !== NLMSG_DONE && m.type !== NLMSG_ERROR && nfnlMessage(m.type) === IPSET_CMD_LIST);
      expect(replies.length).to.be.greaterThan(0);
      const listed = await (await clientAnswering(replies)).client.list();
      expect(listed).to.deep.equal(twoPass(replies));
      expect(listed.some((s) => s.entries.length > 0)).to.equal(true);
    });
  }

  it('lists list:set members by name and a set of an unprintable type without members', async () => {
    const replies = [
      listReply('IPVS-PROXIER-SETS', 'list:set', NFPROTO_UNSPEC, ['KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK'].map((n) => attr.nest(IPSET_ATTR_DATA, [attr.string(IPSET_ATTR_NAME, n)]))),
      listReply('FOREIGN', 'hash:mac', NFPROTO_IPV4, [attr.nest(IPSET_ATTR_DATA, [attr.bytes(99, Uint8Array.of(1, 2, 3, 4, 5, 6))])]),
    ];
    const listed = await (await clientAnswering(replies)).client.list();
    expect(listed.map((s) => [s.name, s.entries])).to.deep.equal([
      ['IPVS-PROXIER-SETS', ['KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK']],
      ['FOREIGN', []],
    ]);
    expect(listed).to.deep.equal(twoPass(replies));
  });

  it('reads again a listing the kernel flags NLM_F_DUMP_INTR, and gives up with EBUSY after 5 interrupted reads', async () => {
    const replies = [
      listReply('IPVS-PROXIER-SETS', 'list:set', NFPROTO_UNSPEC, ['KUBE-CLUSTER-IP'].map((n) => attr.nest(IPSET_ATTR_DATA, [attr.string(IPSET_ATTR_NAME, n)]))),
    ];
    const once = await clientAnswering(replies, 2);
    expect((await once.client.list()).map((s) => [s.name, s.entries])).to.deep.equal([['IPVS-PROXIER-SETS', ['KUBE-CLUSTER-IP']]]);
    expect(once.conn.requests.filter((m) => nfnlMessage(m.type) === IPSET_CMD_LIST)).to.have.length(3);
    const always = await clientAnswering(replies, Infinity);
    const err = await always.client.list().then(() => undefined, (e: KernelError) => e);
    expect(err?.message).to.equal('ipset LIST all sets: EBUSY (interrupted by concurrent changes 5 times)');
    expect(always.conn.requests.filter((m) => nfnlMessage(m.type) === IPSET_CMD_LIST)).to.have.length(5);
  });
});
