// Literal bytes of every request builder, annotated field by field (layouts from uapi ip_set.h and
// ipset 7.17 lib/session.c; the same bytes as the captures in captured.test.ts), and the request decoder.
import { expect } from 'chai';
import { NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST } from '../../../native-free-netlink/core/message.js';
import {
  decodeRequest,
  encodeAdtRequest,
  encodeCreateRequest,
  encodeDestroyRequest,
  encodeFlushRequest,
  encodeHeaderRequest,
  encodeListRequest,
  encodeProtocolRequest,
  encodeRenameRequest,
  encodeRequest,
  encodeSaveRequest,
  encodeSwapRequest,
  encodeTestRequest,
  encodeTypeRequest,
  IPSET_CMD_ADD,
  IPSET_CMD_DEL,
  type IpsetRequest,
} from '../../../native-free-netlink/ipset/index.js';
import { hex, messageHex } from './helpers.js';

const H = { seq: 1 };
const clean = (s: string): string => s.replace(/[^0-9a-f]/g, '');

/** nlmsghdr with seq 1, pid 0. */
function nlh(len: number, cmd: number, flags: number): string {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, len, true);
  dv.setUint16(4, 0x0600 | cmd, true);
  dv.setUint16(6, flags, true);
  dv.setUint32(8, 1, true);
  return Buffer.from(b).toString('hex');
}
const NFGEN = '02000000'; // inet, NFNETLINK_V0, res_id 0
const PROTO7 = '05000100 07000000'; // IPSET_ATTR_PROTOCOL u8 7
const ACKED = NLM_F_REQUEST | NLM_F_ACK;

function roundTrip(hexText: string, value: IpsetRequest): void {
  const raw = hex(clean(hexText));
  const len = new DataView(raw.buffer).getUint32(0, true);
  const m = { type: new DataView(raw.buffer).getUint16(4, true), flags: new DataView(raw.buffer).getUint16(6, true), seq: 1, pid: 0, payload: raw.slice(16, len) };
  const decoded = decodeRequest(m);
  expect(decoded.request).to.deep.equal(value);
  expect(decoded.header).to.deep.equal({ seq: 1, pid: 0, protocol: 7 });
  expect(messageHex(encodeRequest(decoded.request, decoded.header))).to.equal(clean(hexText));
}

describe('ipset request builders: literal bytes', () => {
  it('PROTOCOL: only IPSET_ATTR_PROTOCOL, no ack requested', () => {
    const want = nlh(28, 1, NLM_F_REQUEST) + NFGEN + PROTO7;
    expect(messageHex(encodeProtocolRequest(H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'protocol' });
  });

  it('TYPE hash:ip,port inet: typename NUL-terminated and padded, family u8', () => {
    const want = nlh(56, 13, NLM_F_REQUEST) + NFGEN + PROTO7 +
      '1100 0300 686173683a69702c706f7274 00 000000' + // TYPENAME "hash:ip,port"
      '0500 0500 02 000000'; // FAMILY inet
    expect(messageHex(encodeTypeRequest('hash:ip,port', 2, H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'type', typeName: 'hash:ip,port', family: 2 });
  });

  it('HEADER of a set', () => {
    const want = nlh(36, 12, NLM_F_REQUEST) + NFGEN + PROTO7 + '0800 0200 42494700'; // SETNAME "BIG"
    expect(messageHex(encodeHeaderRequest('BIG', H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'header', setName: 'BIG' });
  });

  const createClusterIp =
    '1400 0200 4b5542452d434c55535445522d4950 00' + // SETNAME "KUBE-CLUSTER-IP"
    '1100 0300 686173683a69702c706f7274 00 000000' + // TYPENAME "hash:ip,port"
    '0500 0400 07 000000' + // REVISION 7
    '0500 0500 02 000000' + // FAMILY inet
    '1400 0780' + // DATA, NLA_F_NESTED
    '  0800 1240 00000400' + // HASHSIZE be32 1024, NLA_F_NET_BYTEORDER
    '  0800 1340 00010000'; // MAXELEM be32 65536

  it('CREATE hash:ip,port hashsize 1024 maxelem 65536: NLM_F_CREATE|NLM_F_EXCL', () => {
    const want = nlh(104, 2, ACKED | NLM_F_CREATE | NLM_F_EXCL) + NFGEN + PROTO7 + createClusterIp;
    const c = { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', revision: 7, family: 2 as const, hashsize: 1024, maxelem: 65536 };
    expect(messageHex(encodeCreateRequest(c, {}, H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'create', create: c, exist: false });
  });

  it('CREATE with exist drops NLM_F_EXCL and nothing else', () => {
    const want = nlh(104, 2, ACKED | NLM_F_CREATE) + NFGEN + PROTO7 + createClusterIp;
    const c = { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', revision: 7, family: 2 as const, hashsize: 1024, maxelem: 65536 };
    expect(messageHex(encodeCreateRequest(c, { exist: true }, H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'create', create: c, exist: true });
  });

  it('CREATE bitmap:port range 0-65535: family unspec, PORT/PORT_TO be16', () => {
    const want = nlh(104, 2, ACKED | NLM_F_CREATE | NLM_F_EXCL) + NFGEN + PROTO7 +
      '1700 0200 4b5542452d4e4f44452d504f52542d544350 00 00' + // SETNAME "KUBE-NODE-PORT-TCP" (19 bytes + 1 pad)
      '1000 0300 6269746d61703a706f7274 00' + // TYPENAME "bitmap:port"
      '0500 0400 03 000000' + // REVISION 3
      '0500 0500 00 000000' + // FAMILY NFPROTO_UNSPEC
      '1400 0780 0600 0440 0000 0000 0600 0540 ffff 0000'; // DATA { PORT 0, PORT_TO 65535 }
    const c = { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', revision: 3, family: 0 as const, portFrom: 0, portTo: 65535 };
    expect(messageHex(encodeCreateRequest(c, {}, H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'create', create: c, exist: false });
  });

  it('CREATE with timeout, counters and comment: TIMEOUT and CADT_FLAGS before HASHSIZE', () => {
    const want = nlh(112, 2, ACKED | NLM_F_CREATE | NLM_F_EXCL) + NFGEN + PROTO7 +
      '0900 0200 4f505453 00 000000' + // SETNAME "OPTS"
      '1100 0300 686173683a69702c706f7274 00 000000' +
      '0500 0400 07 000000 0500 0500 02 000000' +
      '2400 0780' +
      '  0800 0640 0000001e' + // TIMEOUT 30
      '  0800 0840 00000018' + // CADT_FLAGS WITH_COUNTERS|WITH_COMMENT
      '  0800 1240 00000800' + // HASHSIZE 2048
      '  0800 1340 000003e8'; // MAXELEM 1000
    const c = { name: 'OPTS', type: 'hash:ip,port', revision: 7, family: 2 as const, hashsize: 2048, maxelem: 1000, timeout: 30, counters: true, comment: true };
    expect(messageHex(encodeCreateRequest(c, {}, H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'create', create: c, exist: false });
  });

  it('DESTROY one set (NLM_F_EXCL unless exist) and all sets', () => {
    const one = nlh(40, 3, ACKED | NLM_F_EXCL) + NFGEN + PROTO7 + '0a00 0200 4e4554533200 0000'; // "NETS2"
    expect(messageHex(encodeDestroyRequest('NETS2', {}, H))).to.equal(clean(one));
    roundTrip(one, { cmd: 'destroy', setName: 'NETS2', exist: false });
    const all = nlh(28, 3, ACKED) + NFGEN + PROTO7;
    expect(messageHex(encodeDestroyRequest(undefined, { exist: true }, H))).to.equal(clean(all));
    roundTrip(all, { cmd: 'destroy', exist: true });
  });

  it('FLUSH, RENAME and SWAP: plain acked requests; the second name travels in attribute 3', () => {
    const flush = nlh(40, 4, ACKED) + NFGEN + PROTO7 + '0900 0200 4e455453 00 000000';
    expect(messageHex(encodeFlushRequest('NETS', H))).to.equal(clean(flush));
    roundTrip(flush, { cmd: 'flush', setName: 'NETS' });
    const rename = nlh(52, 5, ACKED) + NFGEN + PROTO7 + '0900 0200 4e455453 00 000000' + '0a00 0300 4e4554533200 0000';
    expect(messageHex(encodeRenameRequest('NETS', 'NETS2', H))).to.equal(clean(rename));
    roundTrip(rename, { cmd: 'rename', from: 'NETS', to: 'NETS2' });
    const swap = nlh(44, 6, ACKED) + NFGEN + PROTO7 + '0600 0200 4100 0000' + '0600 0300 4200 0000';
    expect(messageHex(encodeSwapRequest('A', 'B', H))).to.equal(clean(swap));
    roundTrip(swap, { cmd: 'swap', a: 'A', b: 'B' });
  });

  it('LIST: a dump; names-only and headers-only go in IPSET_ATTR_FLAGS (be32)', () => {
    const all = nlh(28, 7, ACKED | NLM_F_DUMP) + NFGEN + PROTO7;
    expect(messageHex(encodeListRequest({}, H))).to.equal(clean(all));
    roundTrip(all, { cmd: 'list', options: {} });
    const names = nlh(36, 7, ACKED | NLM_F_DUMP) + NFGEN + PROTO7 + '0800 0640 00000002';
    expect(messageHex(encodeListRequest({ namesOnly: true }, H))).to.equal(clean(names));
    roundTrip(names, { cmd: 'list', options: { namesOnly: true } });
    const terse = nlh(44, 7, ACKED | NLM_F_DUMP) + NFGEN + PROTO7 + '0800 0200 42494700' + '0800 0640 00000004';
    expect(messageHex(encodeListRequest({ setName: 'BIG', headersOnly: true }, H))).to.equal(clean(terse));
    roundTrip(terse, { cmd: 'list', options: { setName: 'BIG', headersOnly: true } });
  });

  it('SAVE: the same dump under command 8', () => {
    const save = nlh(36, 8, ACKED | NLM_F_DUMP) + NFGEN + PROTO7 + '0800 0200 42494700';
    expect(messageHex(encodeSaveRequest('BIG', H))).to.equal(clean(save));
    roundTrip(save, { cmd: 'save', setName: 'BIG' });
  });

  it('ADD one hash:ip,port entry: DATA { IP { IPV4 }, PORT, PROTO, LINENO 0 }', () => {
    const want = nlh(88, 9, ACKED | NLM_F_EXCL) + NFGEN + PROTO7 +
      '1400 0200 4b5542452d434c55535445522d4950 00' +
      '2800 0780' + // DATA
      '  0c00 0180 0800 0140 0a60000a' + // IP { IPADDR_IPV4 10.96.0.10, NET_BYTEORDER }
      '  0600 0440 0050 0000' + // PORT 80
      '  0500 0700 06 000000' + // PROTO tcp
      '  0800 0940 00000000'; // CADT_LINENO 0
    const e = { ip: '10.96.0.10', port: 80, proto: 6 };
    expect(messageHex(encodeAdtRequest(IPSET_CMD_ADD, 'KUBE-CLUSTER-IP', [e], {}, H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'add', setName: 'KUBE-CLUSTER-IP', entries: [e], exist: false });
  });

  it('DEL with exist, IPv6 hash:ip,port,net: addresses in IPADDR_IPV6, CIDR2 u8 after IP2', () => {
    const want = nlh(120, 10, ACKED) + NFGEN + PROTO7 +
      '0600 0200 4300 0000' + // SETNAME "C"
      '5400 0780' + // DATA: 4 + 24 + 8 + 8 + 24 + 8 + 8
      '  1800 0180 1400 0240 fd000000000000000000000000000001' + // IP fd00::1
      '  0600 0440 0035 0000' + // PORT 53
      '  0500 0700 11 000000' + // PROTO udp
      '  1800 1480 1400 0240 20010db8000000000000000000000000' + // IP2 2001:db8::
      '  0500 1500 20 000000' + // CIDR2 32
      '  0800 0940 00000000';
    const e = { ip: 'fd00::1', port: 53, proto: 17, ip2: '2001:db8::', cidr2: 32 };
    expect(messageHex(encodeAdtRequest(IPSET_CMD_DEL, 'C', [e], { exist: true }, H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'del', setName: 'C', entries: [e], exist: true });
  });

  it('TEST: DATA without LINENO, no NLM_F_EXCL', () => {
    // bitmap:port 31122: DATA { PORT 0x7992 } and nothing else.
    const want = nlh(48, 11, ACKED) + NFGEN + PROTO7 + '0600 0200 4100 0000' + '0c00 0780 0600 0440 7992 0000';
    expect(messageHex(encodeTestRequest('A', { port: 31122 }, H))).to.equal(clean(want));
    roundTrip(want, { cmd: 'test', setName: 'A', entry: { port: 31122 } });
  });

  it('refuses set names the kernel would reject (empty, 32 bytes or more)', () => {
    expect(() => encodeFlushRequest('', H)).to.throw(/1-31 bytes/);
    expect(() => encodeFlushRequest('X'.repeat(32), H)).to.throw(/1-31 bytes/);
    expect(() => encodeFlushRequest('X'.repeat(31), H)).not.to.throw();
  });

  it('carries the header fields it is given (seq, pid, protocol 6 for old kernels)', () => {
    const m = encodeProtocolRequest({ seq: 0xdeadbeef, pid: 77, protocol: 6 });
    expect(m.seq).to.equal(0xdeadbeef);
    expect(m.pid).to.equal(77);
    expect(decodeRequest(m).header).to.deep.equal({ seq: 0xdeadbeef, pid: 77, protocol: 6 });
  });
});
