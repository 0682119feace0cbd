// Kernel replies: literal bytes in the kernel's own layout (ip_set_core.c ip_set_dump_do, the hash and
// bitmap head/list functions), decoded and re-encoded; dumps spanning several messages; property round
// trips of listings.
import { expect } from 'chai';
import { NLM_F_MULTI, NLMSG_DONE, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import {
  decodeHeaderReply,
  decodeListDump,
  decodeProtocolReply,
  decodeSetNames,
  decodeTypeReply,
  encodeDumpDone,
  encodeHeaderReply,
  encodeListReply,
  encodeProtocolReply,
  encodeTypeReply,
  isTestMiss,
  IPSET_ERR_EXIST,
  type IpsetEntry,
  type IpsetListing,
} from '../../../native-free-netlink/ipset/index.js';
import { hex, messageHex, Prng } from './helpers.js';

const clean = (s: string): string => s.replace(/[^0-9a-f]/g, '');
const R = { seq: 0x6b0213b3, pid: 0x2d7e };

function msg(hexText: string): NetlinkMessage {
  const raw = hex(clean(hexText));
  const dv = new DataView(raw.buffer);
  return { type: dv.getUint16(4, true), flags: dv.getUint16(6, true), seq: dv.getUint32(8, true), pid: dv.getUint32(12, true), payload: raw.slice(16, dv.getUint32(0, true)) };
}

// `ipset list KUBE-CLUSTER-IP` answered by a 6.x kernel: one set with one member, then NLMSG_DONE.
const LIST_ONE =
  'bc000000 0706 0200 b313026b 7e2d0000' + // LIST, NLM_F_MULTI
  '02000000' +
  '05000100 07000000' + // PROTOCOL 7
  '14000200 4b5542452d434c55535445522d495000' + // SETNAME
  '11000300 686173683a69702c706f7274 00000000' + // TYPENAME hash:ip,port
  '05000500 02000000' + // FAMILY inet
  '05000400 07000000' + // REVISION 7
  '06000b40 0001 0000' + // INDEX be16 1
  '3c000780' + // DATA (header)
  '  08001240 00000400' + // HASHSIZE 1024
  '  08001340 00010000' + // MAXELEM 65536
  '  05001500 0c000000' + // BUCKETSIZE 12
  '  08001140 e29bcd7f' + // INITVAL
  '  08001940 00000000' + // REFERENCES 0
  '  08001a40 00000108' + // MEMSIZE 264
  '  08001840 00000001' + // ELEMENTS 1
  '24000880' + // ADT
  '  20000780' + // DATA
  '    0c000180 08000100 0a60000a' + // IP { IPV4 10.96.0.10 } (the kernel sets no NET_BYTEORDER here)
  '    06000440 0050 0000' + // PORT 80
  '    05000700 06000000'; // PROTO tcp
const DONE = '14000000 0300 0200 b313026b 7e2d0000 00000000';

const LISTING_ONE: IpsetListing = {
  name: 'KUBE-CLUSTER-IP',
  type: 'hash:ip,port',
  revision: 7,
  family: 2,
  index: 1,
  header: { hashsize: 1024, maxelem: 65536, bucketsize: 12, initval: 0xe29bcd7f, references: 0, memsize: 264, numEntries: 1 },
  entries: [{ ip: '10.96.0.10', port: 80, proto: 6 }],
};

describe('ipset replies', () => {
  it('LIST dump of one set: decodes, and the reply encoder reproduces the kernel bytes', () => {
    const ms = [msg(LIST_ONE), msg(DONE)];
    expect(decodeListDump(ms)).to.deep.equal([LISTING_ONE]);
    const encoded = [...encodeListReply(LISTING_ONE, {}, R), encodeDumpDone(R)];
    expect(encoded.map(messageHex)).to.deep.equal([clean(LIST_ONE), clean(DONE)]);
    expect(encoded[0]!.flags).to.equal(NLM_F_MULTI);
    expect(encoded[1]!.type).to.equal(NLMSG_DONE);
  });

  it('bitmap:port header: range in PORT/PORT_TO, no hash fields', () => {
    const raw =
      '98000000 0706 0200 01000000 00000000 02000000 05000100 07000000' +
      '17000200 4b5542452d4e4f44452d504f52542d54435000 00' + // SETNAME (19 bytes + 1 pad)
      '10000300 6269746d61703a706f727400' + // TYPENAME bitmap:port
      '05000500 00000000 05000400 03000000 06000b40 0005 0000' + // FAMILY unspec, REVISION 3, INDEX 5
      '2c000780 06000440 0000 0000 06000540 ffff 0000 08001940 00000000 08001a40 00002048 08001840 00000001' +
      '10000880 0c000780 06000440 7992 0000'; // ADT { DATA { PORT 31122 } }
    const listing: IpsetListing = {
      name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', revision: 3, family: 0, index: 5,
      header: { portFrom: 0, portTo: 65535, references: 0, memsize: 8264, numEntries: 1 },
      entries: [{ port: 31122 }],
    };
    expect(decodeListDump([msg(raw)])).to.deep.equal([listing]);
    expect(messageHex(encodeListReply(listing, {}, { seq: 1, pid: 0 })[0]!)).to.equal(clean(raw));
  });

  it('kernel member order for hash:ip,port,net is IP, IP2, PORT, CIDR2, PROTO; extensions after', () => {
    const e: IpsetEntry = { ip: '203.0.113.5', ip2: '198.51.100.0', port: 80, cidr2: 24, proto: 6, timeout: 99, bytes: 77n, packets: 5n, comment: 'hi there' };
    const listing: IpsetListing = { name: 'C', type: 'hash:ip,port,net', revision: 8, family: 2, header: { counters: true, comment: true, timeout: 30 }, entries: [e] };
    const [m] = encodeListReply(listing, {}, { seq: 1, pid: 0 });
    expect(messageHex(m!)).to.contain(clean(
      '0c000180 08000100 cb007105' + // IP
      '0c001480 08000100 c6336400' + // IP2
      '06000440 0050 0000' + // PORT
      '05001500 18000000' + // CIDR2
      '05000700 06000000' + // PROTO
      '08000640 00000063' + // TIMEOUT 99
      '0c001840 000000000000004d' + // BYTES 77
      '0c001940 0000000000000005' + // PACKETS 5
      '0d001a00 686920746865726500', // COMMENT
    ));
    // Header flags: TIMEOUT then CADT_FLAGS (counters|comment) last.
    expect(messageHex(m!)).to.contain(clean('08000640 0000001e 08000840 00000018'));
    expect(decodeListDump([m!])).to.deep.equal([listing]);
  });

  it('a set spanning several messages: continuation messages carry only PROTOCOL, SETNAME and ADT', () => {
    const entries = Array.from({ length: 10 }, (_, i) => ({ ip: `10.97.0.${i}`, port: 80 + (i % 3), proto: 6 }));
    const big: IpsetListing = { ...LISTING_ONE, name: 'BIG', entries, header: { ...LISTING_ONE.header, numEntries: 10 } };
    const other: IpsetListing = { ...LISTING_ONE, name: 'OTHER', index: 2 };
    const ms = [...encodeListReply(big, { entriesPerMessage: [3, 4, 3] }, R), ...encodeListReply(other, {}, R), encodeDumpDone(R)];
    expect(ms.length).to.equal(5);
    const cont = ms[1]!;
    expect(messageHex(cont)).to.match(new RegExp(`^.{40}${clean('05000100 07000000 08000200 42494700')}${clean('84000880')}`));
    expect(decodeListDump(ms)).to.deep.equal([big, other]);
    expect(decodeSetNames(ms)).to.deep.equal(['BIG', 'OTHER']);
  });

  it('refuses a continuation whose header it never saw (names-only dumps have no header)', () => {
    const names = [msg('24000000 0706 0200 01000000 00000000 02000000 05000100 07000000 08000200 42494700')];
    expect(decodeSetNames(names)).to.deep.equal(['BIG']);
    expect(() => decodeListDump(names)).to.throw(/without its header/);
  });

  it('an empty set still has an (empty) ADT nest, as the kernel sends it', () => {
    const empty: IpsetListing = { ...LISTING_ONE, entries: [], header: { ...LISTING_ONE.header, numEntries: 0 } };
    const [m] = encodeListReply(empty, {}, R);
    expect(messageHex(m!).endsWith('04000880')).to.equal(true);
    expect(decodeListDump([m!])).to.deep.equal([empty]);
  });

  it('PROTOCOL reply: protocol 7, protocol_min 6', () => {
    const raw = '24000000 0106 0000 88130 26b 72230000 02000000 05000100 07000000 05000a00 06000000';
    const m = msg(raw);
    expect(decodeProtocolReply(m)).to.deep.equal({ protocol: 7, protocolMin: 6 });
    expect(messageHex(encodeProtocolReply({ protocol: 7, protocolMin: 6 }, { seq: m.seq, pid: m.pid }))).to.equal(clean(raw));
  });

  it('TYPE reply: newest revision in REVISION, oldest in attribute 10', () => {
    const raw = '48000000 0d06 0000 92130 26b f6240000 02000000 05000100 07000000' +
      '11000300 686173683a69702c706f7274 00000000 05000500 02000000 05000400 07000000 05000a00 00000000';
    const m = msg(raw);
    expect(decodeTypeReply(m)).to.deep.equal({ type: 'hash:ip,port', family: 2, revision: 7, revisionMin: 0 });
    expect(messageHex(encodeTypeReply(decodeTypeReply(m), { seq: m.seq, pid: m.pid }))).to.equal(clean(raw));
  });

  it('HEADER reply: name, type, family, revision', () => {
    const raw = '54000000 0c06 0000 b1130 26b 392b0000 02000000 05000100 07000000' +
      '13000200 4b5542452d4c4f4f502d4241434b00 00 14000300 686173683a69702c706f72742c697000 05000500 02000000 05000400 06000000';
    const m = msg(raw);
    expect(decodeHeaderReply(m)).to.deep.equal({ name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', family: 2, revision: 6 });
    expect(messageHex(encodeHeaderReply(decodeHeaderReply(m), { seq: m.seq, pid: m.pid }))).to.equal(clean(raw));
  });

  it('refuses replies of the wrong command', () => {
    expect(() => decodeTypeReply(msg(LIST_ONE))).to.throw(/expected an ipset command 13 message/);
  });

  it('isTestMiss: IPSET_ERR_EXIST is "not a member", other errnos are not', () => {
    const ack = (errno: number) => ({ errno, request: { type: 0x60b, flags: 5, seq: 1, pid: 0 } });
    expect(isTestMiss(ack(IPSET_ERR_EXIST))).to.equal(true);
    expect(isTestMiss(ack(0))).to.equal(false);
    expect(isTestMiss(ack(2))).to.equal(false);
  });

  it('property: random listings survive encodeListReply -> decodeListDump with any split', () => {
    const r = new Prng(7);
    for (let round = 0; round < 50; round++) {
      const n = r.int(0, 40);
      const v6 = r.next() < 0.5;
      const entries = Array.from({ length: n }, (_, i) => ({
        ip: v6 ? `fd00::${(i + 1).toString(16)}` : `10.${r.int(0, 255)}.${r.int(0, 255)}.${i}`,
        proto: r.pick([6, 17, 132]),
        port: r.int(0, 65535),
        ip2: v6 ? `2001:db8::${r.int(1, 0xffff).toString(16)}` : `192.0.2.${r.int(0, 255)}`,
      }));
      const listing: IpsetListing = {
        name: `SET-${round}`, type: 'hash:ip,port,ip', revision: r.int(0, 6), family: v6 ? 10 : 2, index: round,
        header: { hashsize: 1 << r.int(6, 12), maxelem: r.int(1, 1 << 20), references: r.int(0, 3), memsize: r.int(0, 1e6), numEntries: n },
        entries,
      };
      const per = r.int(1, 10);
      const ms = encodeListReply(listing, { entriesPerMessage: per }, { seq: round, pid: 1 });
      expect(ms.length).to.equal(Math.max(1, Math.ceil(n / per)));
      expect(decodeListDump([...ms, encodeDumpDone({ seq: round, pid: 1 })])).to.deep.equal([listing]);
    }
  });
});
