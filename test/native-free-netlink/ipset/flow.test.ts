// The codec end to end against a message-level fake of the kernel: what a proxy does in one sync.
import { expect } from 'chai';
import { decodeAck } from '../../../native-free-netlink/core/ack.js';
import { NLMSG_ERROR, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import {
  decodeAdtErrorLineno,
  decodeHeaderReply,
  decodeListDump,
  decodeRequest,
  decodeTypeReply,
  encodeAdtBatches,
  encodeCreateRequest,
  encodeDestroyRequest,
  encodeHeaderRequest,
  encodeListRequest,
  encodeRenameRequest,
  encodeSwapRequest,
  encodeTestRequest,
  encodeTypeRequest,
  formatEntry,
  IPSET_CMD_ADD,
  IPSET_CMD_DEL,
  IPSET_ERR_EXIST,
  IPSET_ERR_TYPE_MISMATCH,
  ipsetErrorFromAck,
  isTestMiss,
  parseEntry,
} from '../../../native-free-netlink/ipset/index.js';
import { FakeIpsetKernel } from './fake-kernel.js';

function ackOf(replies: NetlinkMessage[]): number {
  const last = replies[replies.length - 1]!;
  expect(last.type).to.equal(NLMSG_ERROR);
  return decodeAck(last).errno;
}

describe('ipset codec against a message-level fake kernel', () => {
  let k: FakeIpsetKernel;
  let seq: number;
  const h = () => ({ seq: ++seq });
  beforeEach(() => {
    k = new FakeIpsetKernel();
    seq = 0;
  });

  it('type lookup, create, batch add, list back: the listing prints as the desired texts', () => {
    const rev = decodeTypeReply(k.handle(encodeTypeRequest('hash:ip,port', 2, h()))[0]!).revision;
    expect(rev).to.equal(7);
    const create = { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', revision: rev, family: 2 as const, hashsize: 1024, maxelem: 65536 };
    expect(ackOf(k.handle(encodeCreateRequest(create, { exist: true }, h())))).to.equal(0);
    expect(ackOf(k.handle(encodeCreateRequest(create, { exist: true }, h())))).to.equal(0);
    expect(ackOf(k.handle(encodeCreateRequest(create, {}, h())))).to.equal(17);

    const desired = Array.from({ length: 50 }, (_, i) => `10.96.${i >> 4}.${i},${['tcp', 'udp', 'sctp'][i % 3]}:${80 + i}`);
    const batches = encodeAdtBatches(IPSET_CMD_ADD, 'KUBE-CLUSTER-IP', desired.map((t) => parseEntry('hash:ip,port', 2, t)), { exist: true, maxMessageBytes: 512 }, { seq: 100 });
    expect(batches.length).to.be.greaterThan(3);
    for (const b of batches) expect(ackOf(k.handle(b.message))).to.equal(0);

    const dump = k.handle(encodeListRequest({ setName: 'KUBE-CLUSTER-IP' }, h()));
    expect(dump.length).to.equal(Math.ceil(50 / k.entriesPerMessage) + 1);
    const [listing] = decodeListDump(dump);
    expect(listing!.header.numEntries).to.equal(50);
    expect(listing!.entries.map((e) => formatEntry(listing!.type, listing!.family, e)).sort()).to.deep.equal([...desired].sort());
    expect(decodeHeaderReply(k.handle(encodeHeaderRequest('KUBE-CLUSTER-IP', h()))[0]!).type).to.equal('hash:ip,port');
  });

  it('a batch stops at the first failure; the lineno names the entry; earlier entries stay', () => {
    k.handle(encodeCreateRequest({ name: 'S', type: 'hash:ip', revision: 6, family: 2 }, {}, h()));
    const es = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((t) => parseEntry('hash:ip', 2, t));
    k.handle(encodeAdtBatches(IPSET_CMD_ADD, 'S', [es[2]!], {}, { seq: 1 })[0]!.message);
    const [b] = encodeAdtBatches(IPSET_CMD_ADD, 'S', es, {}, { seq: 50 });
    const replies = k.handle(b!.message);
    const errno = ackOf(replies);
    expect(errno).to.equal(IPSET_ERR_EXIST);
    const lineno = decodeAdtErrorLineno(replies[0]!)!;
    expect(lineno).to.equal(3);
    const failed = b!.entries[lineno - b!.firstLineno]!;
    const err = ipsetErrorFromAck(decodeAck(replies[0]!), { cmd: IPSET_CMD_ADD, setName: 'S', element: formatEntry('hash:ip', 2, failed), typeName: 'hash:ip' });
    expect(err!.message).to.equal("ipset add S 10.0.0.3: Element cannot be added to the set: it's already added (IPSET_ERR_EXIST, errno 4103)");
    expect(k.members('S')).to.deep.equal(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    // The same batch with exist goes through.
    expect(ackOf(k.handle(encodeAdtBatches(IPSET_CMD_ADD, 'S', es, { exist: true }, { seq: 60 })[0]!.message))).to.equal(0);
    expect(k.members('S')).to.deep.equal(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    // Deleting a missing entry: an error without exist, fine with it.
    const gone = [parseEntry('hash:ip', 2, '10.0.0.9')];
    expect(ackOf(k.handle(encodeAdtBatches(IPSET_CMD_DEL, 'S', gone, {}, { seq: 70 })[0]!.message))).to.equal(IPSET_ERR_EXIST);
    expect(ackOf(k.handle(encodeAdtBatches(IPSET_CMD_DEL, 'S', gone, { exist: true }, { seq: 71 })[0]!.message))).to.equal(0);
  });

  it('test, rename, swap (type-checked) and destroy with exist', () => {
    k.handle(encodeCreateRequest({ name: 'A', type: 'bitmap:port', revision: 3, family: 0, portFrom: 0, portTo: 65535 }, {}, h()));
    k.handle(encodeCreateRequest({ name: 'B', type: 'bitmap:port', revision: 3, family: 0, portFrom: 0, portTo: 65535 }, {}, h()));
    k.handle(encodeCreateRequest({ name: 'C', type: 'hash:ip', revision: 6, family: 2 }, {}, h()));
    k.handle(encodeAdtBatches(IPSET_CMD_ADD, 'A', [{ port: 31122 }], {}, { seq: 9 })[0]!.message);
    const t = (port: number) => decodeAck(k.handle(encodeTestRequest('A', { port }, h()))[0]!);
    expect(t(31122).errno).to.equal(0);
    expect(isTestMiss(t(31123))).to.equal(true);
    expect(ackOf(k.handle(encodeSwapRequest('A', 'B', h())))).to.equal(0);
    expect(k.members('B')).to.deep.equal(['31122']);
    expect(ackOf(k.handle(encodeSwapRequest('A', 'C', h())))).to.equal(IPSET_ERR_TYPE_MISMATCH);
    expect(ackOf(k.handle(encodeRenameRequest('B', 'B2', h())))).to.equal(0);
    expect(ackOf(k.handle(encodeDestroyRequest('B', {}, h())))).to.equal(2);
    expect(ackOf(k.handle(encodeDestroyRequest('B', { exist: true }, h())))).to.equal(0);
    expect([...k.sets.keys()].sort()).to.deep.equal(['A', 'B2', 'C']);
  });

  it('every request the flow sent decodes back to what was meant (request shape)', () => {
    const m = encodeCreateRequest({ name: 'X', type: 'hash:ip,port,net', revision: 8, family: 10, hashsize: 1024, maxelem: 65536 }, { exist: true }, h());
    expect(decodeRequest(m).request).to.deep.equal({
      cmd: 'create',
      exist: true,
      create: { name: 'X', type: 'hash:ip,port,net', revision: 8, family: 10, hashsize: 1024, maxelem: 65536 },
    });
  });
});
