// Many elements per message: the restore-style IPSET_ATTR_ADT layout, splitting by byte budget, and the
// kernel's lineno error report.
import { expect } from 'chai';
import { decodeAck } from '../../../native-free-netlink/core/ack.js';
import { decodeAttributes, read } from '../../../native-free-netlink/core/attributes.js';
import { encodeMessage, NLM_F_EXCL, NLMSG_ERROR } from '../../../native-free-netlink/core/message.js';
import { decodeNfgen } from '../../../native-free-netlink/nfnetlink/nfgenmsg.js';
import {
  decodeAdtErrorLineno,
  decodeRequest,
  DEFAULT_ADT_MESSAGE_BYTES,
  encodeAdtBatches,
  encodeAdtErrorReply,
  encodeAdtRequest,
  encodeAdtSingles,
  IPSET_ADT_NEST_MAX,
  IPSET_ATTR_ADT,
  IPSET_ATTR_DATA,
  IPSET_ATTR_LINENO,
  IPSET_CMD_ADD,
  IPSET_CMD_DEL,
  IPSET_ERR_EXIST,
  type IpsetEntry,
} from '../../../native-free-netlink/ipset/index.js';
import { messageHex } from './helpers.js';

function entries(n: number, v6 = false): IpsetEntry[] {
  return Array.from({ length: n }, (_, i) => ({ ip: v6 ? `fd00::${(i + 1).toString(16)}` : `10.96.${i >> 8}.${i & 255}`, proto: 6, port: 80 }));
}

describe('ipset batches (IPSET_ATTR_ADT)', () => {
  it('several entries: top-level LINENO, then ADT holding one DATA per entry, each numbered', () => {
    // The layout `ipset restore` sends (lib/session.c build_msg, restore mode), byte for byte.
    const m = encodeAdtRequest(IPSET_CMD_ADD, 'R', [
      { ip: '10.96.0.10', proto: 6, port: 80 },
      { ip: '10.96.0.11', proto: 17, port: 53 },
    ], { firstLineno: 2 }, { seq: 1 });
    expect(messageHex(m)).to.equal(
      '80000000' + '0906' + '0502' + '01000000' + '00000000' + '02000000' + '0500010007000000' +
        '0600020052000000' + // SETNAME "R"
        '0800094000000002' + // LINENO be32 2 (first element's)
        '5400' + '0880' + // ADT, nested: 4 + 2 x 40
        '2800078' + '0' + '0c000180080001400a60000a' + '0600044000500000' + '0500070006000000' + '0800094000000002' +
        '2800078' + '0' + '0c000180080001400a60000b' + '0600044000350000' + '0500070011000000' + '0800094000000003',
    );
  });

  it('decodes back to the same entries and numbering', () => {
    const es = entries(5);
    const m = encodeAdtRequest(IPSET_CMD_DEL, 'S', es, { exist: true }, { seq: 9 });
    const d = decodeRequest(m);
    expect(d.request).to.deep.equal({ cmd: 'del', setName: 'S', entries: es, exist: true, batch: { lineno: 1, linenos: [1, 2, 3, 4, 5] } });
    expect(m.flags & NLM_F_EXCL).to.equal(0);
  });

  it('a single entry with firstLineno still goes in ADT (restore of one line)', () => {
    const m = encodeAdtRequest(IPSET_CMD_ADD, 'S', entries(1), { firstLineno: 7 }, { seq: 1 });
    const top = decodeNfgen(m.payload).attrs;
    expect(top.map((a) => a.type)).to.deep.equal([1, 2, IPSET_ATTR_LINENO, IPSET_ATTR_ADT]);
    expect(read.be32(top[2]!)).to.equal(7);
  });

  it('splits by byte budget; every message stays under it and line numbers run across messages', () => {
    const es = entries(2000);
    const batches = encodeAdtBatches(IPSET_CMD_ADD, 'KUBE-CLUSTER-IP', es, {}, { seq: 100 });
    // 40 bytes per IPv4 hash:ip,port element: 32 KiB holds 817 of them.
    expect(batches.map((b) => b.entries.length)).to.deep.equal([817, 817, 366]);
    expect(batches.map((b) => b.message.seq)).to.deep.equal([100, 101, 102]);
    expect(batches.map((b) => b.firstLineno)).to.deep.equal([1, 818, 1635]);
    for (const b of batches) {
      expect(encodeMessage(b.message).length).to.be.at.most(DEFAULT_ADT_MESSAGE_BYTES);
      const d = decodeRequest(b.message).request;
      if (d.cmd !== 'add' || !d.batch) throw new Error('not a batch');
      expect(d.entries).to.deep.equal(b.entries);
      expect(d.batch.linenos[0]).to.equal(b.firstLineno);
      expect(d.batch.linenos[d.batch.linenos.length - 1]).to.equal(b.firstLineno + b.entries.length - 1);
    }
    expect(batches.flatMap((b) => b.entries)).to.deep.equal(es);
  });

  it('numbers from firstLineno when a long list is encoded a slice at a time', () => {
    const es = entries(1000);
    const batches = encodeAdtBatches(IPSET_CMD_ADD, 'KUBE-CLUSTER-IP', es, { firstLineno: 8193 }, { seq: 1 });
    expect(batches.map((b) => b.firstLineno)).to.deep.equal([8193, 9010]);
    for (const b of batches) {
      const d = decodeRequest(b.message).request;
      if (d.cmd !== 'add' || !d.batch) throw new Error('not a batch');
      expect(d.batch.lineno).to.equal(b.firstLineno);
      expect(d.batch.linenos).to.deep.equal(b.entries.map((_, i) => b.firstLineno + i));
    }
    expect(() => encodeAdtBatches(IPSET_CMD_ADD, 'X', es, { firstLineno: 0 }, { seq: 1 })).to.throw(/positive integer/);
  });

  it('never lets IPSET_ATTR_ADT outgrow its 16-bit length, whatever the budget', () => {
    const batches = encodeAdtBatches(IPSET_CMD_ADD, 'X', entries(5000), { maxMessageBytes: 1 << 20 }, { seq: 1 });
    for (const b of batches) {
      const adt = decodeNfgen(b.message.payload).attrs.find((a) => a.type === IPSET_ATTR_ADT)!;
      expect(4 + adt.data.length).to.be.at.most(IPSET_ADT_NEST_MAX);
    }
    expect(batches[0]!.entries.length).to.equal(1638); // floor((65535 - 4) / 40)
  });

  it('sizes IPv6 elements too (84 bytes for hash:ip,port,net)', () => {
    const es = Array.from({ length: 1000 }, (_, i) => ({ ip: `fd00::${i + 1}`, proto: 6, port: 80, ip2: '2001:db8::', cidr2: 32 }));
    const batches = encodeAdtBatches(IPSET_CMD_ADD, 'X', es, {}, { seq: 1 });
    expect(batches.map((b) => b.entries.length)).to.deep.equal([389, 389, 222]);
  });

  it('refuses a budget smaller than one element, and an oversized hand-made batch', () => {
    expect(() => encodeAdtBatches(IPSET_CMD_ADD, 'X', entries(1), { maxMessageBytes: 64 }, { seq: 1 })).to.throw(/more than the 64-byte message budget/);
    expect(() => encodeAdtRequest(IPSET_CMD_ADD, 'X', entries(1700), {}, { seq: 1 })).to.throw(/more than one IPSET_ATTR_ADT can hold/);
    expect(() => encodeAdtRequest(IPSET_CMD_ADD, 'X', [], {}, { seq: 1 })).to.throw(/no entries/);
    expect(() => encodeAdtRequest(IPSET_CMD_ADD, 'X', entries(2), { firstLineno: 0 }, { seq: 1 })).to.throw(/positive integer/);
  });

  it('singles: one `ipset add`-style message per entry with consecutive seqs', () => {
    const ms = encodeAdtSingles(IPSET_CMD_ADD, 'X', entries(3), { exist: true }, { seq: 5 });
    expect(ms.map((m) => m.seq)).to.deep.equal([5, 6, 7]);
    for (const m of ms) expect(decodeNfgen(m.payload).attrs.map((a) => a.type)).to.deep.equal([1, 2, IPSET_ATTR_DATA]);
  });

  it('error reply of a failed batch: the whole request echoed with LINENO = failing element', () => {
    const req = encodeAdtRequest(IPSET_CMD_ADD, 'R', entries(3), {}, { seq: 42 });
    const reply = encodeAdtErrorReply(req, IPSET_ERR_EXIST, 2, 0x25a8);
    expect(reply.type).to.equal(NLMSG_ERROR);
    expect(reply.flags).to.equal(0);
    expect(reply.pid).to.equal(0x25a8);
    const ack = decodeAck(reply);
    expect(ack.errno).to.equal(IPSET_ERR_EXIST);
    expect(ack.request.seq).to.equal(42);
    expect(decodeAdtErrorLineno(reply)).to.equal(2);
    // Everything but the lineno is the request itself.
    const echoed = reply.payload.subarray(4 + 16);
    const attrs = decodeAttributes(echoed.subarray(4));
    expect(read.be32(attrs.find((a) => a.type === IPSET_ATTR_LINENO)!)).to.equal(2);
    expect(attrs.find((a) => a.type === IPSET_ATTR_ADT)!.data).to.deep.equal(decodeNfgen(req.payload).attrs.find((a) => a.type === IPSET_ATTR_ADT)!.data);
  });

  it('decodeAdtErrorLineno: nothing to read in a capped ack', () => {
    const req = encodeAdtRequest(IPSET_CMD_ADD, 'R', entries(3), {}, { seq: 42 });
    const capped = { type: NLMSG_ERROR, flags: 0x100, seq: 42, pid: 0, payload: new Uint8Array(20) };
    new DataView(capped.payload.buffer).setInt32(0, -IPSET_ERR_EXIST, true);
    new DataView(capped.payload.buffer).setUint32(4, 16 + req.payload.length, true);
    expect(decodeAdtErrorLineno(capped)).to.equal(undefined);
  });
});
