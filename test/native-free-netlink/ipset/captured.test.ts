// Every captured fixture (test/fixtures/captured/ipset, see CAPTURED.md), both ways: each request decodes
// to a value and that value encodes to the same bytes; each reply decodes, and the reply encoders (in the
// kernel's attribute order) reproduce it. The ipset tool leaves stale bytes in attribute padding (see
// withZeroPadding); our own requests ("ours-*") are compared without any cleanup.
import { expect } from 'chai';
import { decodeAck, type NetlinkAck } from '../../../native-free-netlink/core/ack.js';
import { decodeAttributes, read } from '../../../native-free-netlink/core/attributes.js';
import { NLM_F_CAPPED, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import { decodeNfgen, nfnlMessage } from '../../../native-free-netlink/nfnetlink/nfgenmsg.js';
import {
  decodeAdtErrorLineno,
  decodeHeaderReply,
  decodeListDump,
  decodeProtocolReply,
  decodeRequest,
  decodeSetNames,
  decodeTypeReply,
  describeIpsetErrno,
  encodeDumpDone,
  encodeHeaderReply,
  encodeListReply,
  encodeProtocolReply,
  encodeRequest,
  encodeSetNamesReply,
  encodeTypeReply,
  formatEntry,
  IPSET_ATTR_ADT,
  IPSET_ATTR_DATA,
  IPSET_ATTR_SETNAME,
  IPSET_CMD_HEADER,
  IPSET_CMD_LIST,
  IPSET_CMD_PROTOCOL,
  IPSET_CMD_TYPE,
  parseEntry,
  type IpsetListing,
  type IpsetRequest,
} from '../../../native-free-netlink/ipset/index.js';
import { captured, capturedNames, messageHex, repliesOf, requestsOf, withZeroPadding, type CapturedFixture } from './helpers.js';

const NAMES = capturedNames();

/** The kernel's ack without NETLINK_CAP_ACK: success capped to the header, errors echo the whole request. */
function kernelAck(request: NetlinkMessage, errno: number, pid: number): NetlinkMessage {
  const full = errno !== 0;
  const echoedPayload = full ? request.payload : new Uint8Array(0);
  const payload = new Uint8Array(4 + NLMSG_HDRLEN + echoedPayload.length);
  const dv = new DataView(payload.buffer);
  dv.setInt32(0, -errno, true);
  dv.setUint32(4, NLMSG_HDRLEN + request.payload.length, true);
  dv.setUint16(8, request.type, true);
  dv.setUint16(10, request.flags, true);
  dv.setUint32(12, request.seq, true);
  dv.setUint32(16, request.pid, true);
  payload.set(echoedPayload, 4 + NLMSG_HDRLEN);
  return { type: NLMSG_ERROR, flags: full ? 0 : NLM_F_CAPPED, seq: request.seq, pid, payload };
}

function ours(f: CapturedFixture): boolean {
  return f.name.startsWith('ours-');
}

function same(actual: NetlinkMessage, expected: NetlinkMessage, exact: boolean): void {
  if (exact) expect(messageHex(actual)).to.equal(messageHex(expected));
  else expect(messageHex(withZeroPadding(actual))).to.equal(messageHex(withZeroPadding(expected)));
}

/** Splits a dump's LIST messages into one group per set (a group starts with a message carrying DATA). */
function dumpGroups(ms: readonly NetlinkMessage[]): { messages: NetlinkMessage[]; counts: number[] }[] {
  const groups: { messages: NetlinkMessage[]; counts: number[] }[] = [];
  for (const m of ms) {
    const attrs = decodeNfgen(m.payload).attrs;
    const adt = attrs.find((a) => a.type === IPSET_ATTR_ADT);
    const n = adt ? decodeAttributes(adt.data).length : 0;
    if (attrs.some((a) => a.type === IPSET_ATTR_DATA) || groups.length === 0) groups.push({ messages: [], counts: [] });
    groups[groups.length - 1]!.messages.push(m);
    groups[groups.length - 1]!.counts.push(n);
  }
  return groups;
}

interface Decoded {
  fixture: CapturedFixture;
  requests: { message: NetlinkMessage; value: IpsetRequest }[];
  acks: NetlinkAck[];
  listings: IpsetListing[];
  errorReplies: NetlinkMessage[];
}

function decodeAll(f: CapturedFixture): Decoded {
  const requests = requestsOf(f).map((message) => ({ message, value: decodeRequest(message).request }));
  const replies = repliesOf(f);
  const errors = replies.filter((m) => m.type === NLMSG_ERROR);
  const lists = replies.filter((m) => m.type !== NLMSG_ERROR && m.type !== NLMSG_DONE && nfnlMessage(m.type) === IPSET_CMD_LIST);
  const namesOnly = requests.some((r) => r.value.cmd === 'list' && r.value.options.namesOnly);
  return {
    fixture: f,
    requests,
    acks: errors.map(decodeAck),
    listings: namesOnly ? [] : decodeListDump(lists),
    errorReplies: errors.filter((m) => decodeAck(m).errno !== 0),
  };
}

describe('captured ipset fixtures', () => {
  if (NAMES.length === 0) {
    it('has fixtures (run test/fixtures/captured/ipset/capture.sh in the VM)');
    return;
  }

  describe('every message, both ways', () => {
    for (const name of NAMES) {
      it(name, () => {
        const f = captured(name);
        expect(f.kernel).to.match(/^\d+\.\d+/);
        const reqs = requestsOf(f);
        for (const m of reqs) {
          const d = decodeRequest(m);
          same(encodeRequest(d.request, d.header), m, ours(f));
        }
        const replies = repliesOf(f);
        const lists: NetlinkMessage[] = [];
        for (const m of replies) {
          const request = reqs.find((r) => r.seq === m.seq);
          expect(request, `reply seq ${m.seq} answers a captured request`).to.not.equal(undefined);
          const h = { seq: m.seq, pid: m.pid };
          if (m.type === NLMSG_ERROR) {
            const ack = decodeAck(m);
            const lineno = decodeAdtErrorLineno(m);
            const rebuilt = kernelAck(request!, ack.errno, m.pid);
            if (ack.errno !== 0 && lineno !== undefined) {
              // Batch failures carry the failing element's lineno in the echo: patch it in.
              const echoedAttrs = decodeAttributes(m.payload.subarray(4 + NLMSG_HDRLEN + 4));
              expect(echoedAttrs.find((a) => a.type === IPSET_ATTR_SETNAME)).to.not.equal(undefined);
              same({ ...m, payload: m.payload }, { ...rebuilt, payload: patchLineno(rebuilt.payload, m.payload) }, true);
            } else {
              same(m, rebuilt, ours(f));
            }
          } else if (m.type === NLMSG_DONE) {
            same(m, encodeDumpDone(h), true);
          } else {
            const cmd = nfnlMessage(m.type);
            const protocol = read.u8(decodeNfgen(m.payload).attrs[0]!);
            if (cmd === IPSET_CMD_PROTOCOL) same(encodeProtocolReply(decodeProtocolReply(m), h), m, true);
            else if (cmd === IPSET_CMD_TYPE) same(encodeTypeReply(decodeTypeReply(m), { ...h, protocol }), m, true);
            else if (cmd === IPSET_CMD_HEADER) same(encodeHeaderReply(decodeHeaderReply(m), { ...h, protocol }), m, true);
            else if (cmd === IPSET_CMD_LIST) lists.push(m);
            else expect.fail(`unexpected reply command ${cmd}`);
          }
        }
        if (lists.length === 0) return;
        const listReq = decodeRequest(reqs.find((r) => r.seq === lists[0]!.seq)!).request;
        const h = { seq: lists[0]!.seq, pid: lists[0]!.pid };
        if (listReq.cmd === 'list' && listReq.options.namesOnly) {
          const names = decodeSetNames(lists);
          encodeSetNamesReply(names, h).forEach((e, i) => same(e, lists[i]!, true));
          return;
        }
        const headerOnly = listReq.cmd === 'list' && listReq.options.headersOnly === true;
        const listings = decodeListDump(lists);
        const groups = dumpGroups(lists);
        expect(groups.length).to.equal(listings.length);
        groups.forEach((g, i) => {
          const encoded = encodeListReply(listings[i]!, { entriesPerMessage: g.counts, headerOnly }, h);
          expect(encoded.length).to.equal(g.messages.length);
          encoded.forEach((e, j) => same(e, g.messages[j]!, true));
        });
      });
    }
  });

  /** Copies the echoed request's bytes from `captured` into `ours` where they differ only in the lineno. */
  function patchLineno(rebuilt: Uint8Array, actual: Uint8Array): Uint8Array {
    expect(rebuilt.length).to.equal(actual.length);
    const diff = [...rebuilt.keys()].filter((i) => rebuilt[i] !== actual[i]);
    // At most the 4 bytes of one u32 differ.
    expect(diff.length).to.be.at.most(4);
    if (diff.length > 0) expect(diff[diff.length - 1]! - diff[0]!).to.be.lessThan(4);
    return actual;
  }

  const has = (n: string): boolean => NAMES.includes(n);
  const fixture = (n: string): Decoded => decodeAll(captured(n));
  const when = (n: string, title: string, fn: (d: Decoded) => void): void => {
    (has(n) ? it : it.skip)(`${n}: ${title}`, () => fn(fixture(n)));
  };
  const lastRequest = (d: Decoded): IpsetRequest => d.requests[d.requests.length - 1]!.value;

  describe('what the real tool sends', () => {
    const creates: [string, object][] = [
      ['ipset-create-hash-ip', { name: 'KUBE-IPVS-IPS', type: 'hash:ip', family: 2, hashsize: 1024, maxelem: 65536 }],
      ['ipset-create-hash-ip-port', { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 2, hashsize: 1024, maxelem: 65536 }],
      ['ipset-create-hash-ip-port-inet6', { name: 'KUBE-6-CLUSTER-IP', type: 'hash:ip,port', family: 10, hashsize: 1024, maxelem: 65536 }],
      ['ipset-create-hash-ip-port-ip', { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', family: 2, hashsize: 1024, maxelem: 65536 }],
      ['ipset-create-hash-ip-port-net', { name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', family: 2, hashsize: 1024, maxelem: 65536 }],
      ['ipset-create-bitmap-port', { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: 0, portFrom: 0, portTo: 65535 }],
      ['ipset-create-hash-net', { name: 'NETS', type: 'hash:net', family: 2, hashsize: 1024, maxelem: 65536 }],
      ['ipset-create-defaults', { name: 'PLAIN', type: 'hash:ip,port', family: 2 }],
      ['ipset-create-options', { name: 'OPTS', type: 'hash:ip,port', family: 2, hashsize: 2048, maxelem: 1000, timeout: 30, counters: true, comment: true }],
    ];
    for (const [n, want] of creates) {
      when(n, 'PROTOCOL, TYPE (revision lookup), then CREATE with the newest revision, acked', (d) => {
        expect(d.requests.map((r) => r.value.cmd)).to.deep.equal(['protocol', 'type', 'create']);
        const r = lastRequest(d);
        if (r.cmd !== 'create') throw new Error('no create');
        const { revision, ...rest } = r.create;
        expect(rest).to.deep.equal(want);
        // The tool looks the type up while parsing the type name, before it has read "family inet6":
        // the TYPE request always says inet (NFPROTO_UNSPEC for bitmap:port).
        const type = d.requests[1]!.value;
        expect(type).to.deep.equal({ cmd: 'type', typeName: r.create.type, family: r.create.family === 0 ? 0 : 2 });
        expect(r.exist).to.equal(false);
        expect(d.acks[d.acks.length - 1]!.errno).to.equal(0);
        expect(revision).to.be.greaterThan(0);
      });
    }
    when('ipset-create-exist', 'exist clears NLM_F_EXCL and re-creating the same set is no error', (d) => {
      const r = lastRequest(d);
      expect(r.cmd === 'create' && r.exist).to.equal(true);
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(0);
    });
    when('ipset-create-exists', 'without exist: EEXIST, "set with the same name already exists"', (d) => {
      const errno = d.acks[d.acks.length - 1]!.errno;
      expect(errno).to.equal(17);
      expect(describeIpsetErrno(errno, 2).text).to.equal('Set cannot be created: set with the same name already exists');
    });
    when('ipset-create-exist-different', 'exist also accepts a different hashsize: the kernel does not compare it', (d) => {
      // hash same_set() compares maxelem, timeout, netmask, extensions, but not the hash size (resizing
      // changes it anyway), so `create -exist` cannot tell us the existing set has another hashsize.
      const r = lastRequest(d);
      expect(r.cmd === 'create' && r.create.hashsize).to.equal(2048);
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(0);
    });

    const adds: [string, string, number, string][] = [
      ['ipset-add-hash-ip', 'hash:ip', 2, '10.96.0.10'],
      ['ipset-add-hash-ip-port', 'hash:ip,port', 2, '10.96.0.10,tcp:80'],
      ['ipset-add-hash-ip-port-udp', 'hash:ip,port', 2, '10.96.0.10,udp:53'],
      ['ipset-add-hash-ip-port-sctp', 'hash:ip,port', 2, '10.96.0.11,sctp:3868'],
      ['ipset-add-hash-ip-port-icmp', 'hash:ip,port', 2, '10.96.0.12,icmp:echo-request'],
      ['ipset-add-hash-ip-port-inet6', 'hash:ip,port', 10, 'fd00::1,udp:53'],
      ['ipset-add-hash-ip-port-ip', 'hash:ip,port,ip', 2, '10.244.1.5,tcp:8080,10.244.1.5'],
      ['ipset-add-hash-ip-port-ip-inet6', 'hash:ip,port,ip', 10, 'fd00:10:244::5,tcp:8080,fd00:10:244::5'],
      ['ipset-add-hash-ip-port-net', 'hash:ip,port,net', 2, '203.0.113.5,tcp:80,198.51.100.0/24'],
      ['ipset-add-hash-ip-port-net-inet6', 'hash:ip,port,net', 10, '2001:db8::5,tcp:80,2001:db8:1::/48'],
      ['ipset-add-bitmap-port', 'bitmap:port', 0, '31122'],
      ['ipset-add-hash-net', 'hash:net', 2, '10.0.0.0/8'],
      ['ipset-add-hash-net-inet6', 'hash:net', 10, 'fd00:10:96::/112'],
    ];
    for (const [n, type, family, text] of adds) {
      when(n, `ADD ${text}: one DATA, NLM_F_EXCL, the entry parseEntry gives`, (d) => {
        const r = lastRequest(d);
        if (r.cmd !== 'add') throw new Error(`last request is ${r.cmd}`);
        expect(r.batch).to.equal(undefined);
        expect(r.exist).to.equal(false);
        expect(r.entries).to.deep.equal([parseEntry(type, family, text)]);
        expect(formatEntry(type, family, r.entries[0]!)).to.equal(text);
        expect(d.acks[d.acks.length - 1]!.errno).to.equal(0);
      });
    }
    when('ipset-add-hash-ip-port-net-host', 'a host as the net part: the tool sends no CIDR2, the kernel stores /32', (d) => {
      const r = lastRequest(d);
      if (r.cmd !== 'add') throw new Error('no add');
      expect(r.entries[0]).to.deep.equal({ ip: '203.0.113.5', port: 81, proto: 6, ip2: '198.51.100.7' });
    });
    when('ipset-add-hash-net-host', 'hash:net host without a prefix: no CIDR sent', (d) => {
      const r = lastRequest(d);
      if (r.cmd !== 'add') throw new Error('no add');
      expect(r.entries[0]).to.deep.equal({ ip: '192.0.2.1' });
    });
    when('ipset-add-exist', 'ADD -exist: no NLM_F_EXCL, acked although present', (d) => {
      const r = lastRequest(d);
      expect(r.cmd === 'add' && r.exist).to.equal(true);
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(0);
    });
    when('ipset-add-duplicate', 'ADD of a present element: IPSET_ERR_EXIST with the whole request echoed', (d) => {
      const errno = d.acks[d.acks.length - 1]!.errno;
      expect(describeIpsetErrno(errno, 9)).to.deep.equal({ symbol: 'IPSET_ERR_EXIST', text: "Element cannot be added to the set: it's already added" });
      expect(d.errorReplies[0]!.flags).to.equal(0);
    });
    when('ipset-add-missing-set', 'ADD to a missing set: ENOENT', (d) => {
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(2);
    });
    when('ipset-add-bitmap-out-of-range', 'bitmap:port out of range: type-specific 4352 = IPSET_ERR_BITMAP_RANGE', (d) => {
      const errno = d.acks[d.acks.length - 1]!.errno;
      expect(describeIpsetErrno(errno, 9, 'bitmap:port').symbol).to.equal('IPSET_ERR_BITMAP_RANGE');
    });
    when('ipset-test-present', 'TEST of a member: ack 0, no lineno in DATA', (d) => {
      expect(lastRequest(d).cmd).to.equal('test');
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(0);
    });
    when('ipset-test-absent', 'TEST of a non-member: IPSET_ERR_EXIST', (d) => {
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(4103);
    });
    when('ipset-del', 'DEL: NLM_F_EXCL, acked', (d) => {
      const r = lastRequest(d);
      expect(r.cmd === 'del' && !r.exist).to.equal(true);
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(0);
    });
    when('ipset-del-absent', 'DEL of a non-member: "it\'s not added"', (d) => {
      expect(describeIpsetErrno(d.acks[d.acks.length - 1]!.errno, 10).text).to.equal("Element cannot be deleted from the set: it's not added");
    });
    when('ipset-del-exist', 'DEL -exist of a non-member: acked', (d) => {
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(0);
    });

    when('ipset-restore', 'restore batches the three adds into one ADT message numbered by file line', (d) => {
      const add = d.requests.map((r) => r.value).find((v) => v.cmd === 'add');
      if (!add || add.cmd !== 'add') throw new Error('no add');
      expect(add.batch).to.deep.equal({ lineno: 2, linenos: [2, 3, 4] });
      expect(add.entries.map((e) => formatEntry('hash:ip,port', 2, e))).to.deep.equal(['10.96.0.10,tcp:80', '10.96.0.11,udp:53', '10.96.0.12,sctp:9']);
    });
    when('ipset-restore-duplicate', 'a failed batch reports the failing line (2) through the echoed LINENO', (d) => {
      expect(d.errorReplies.length).to.equal(1);
      expect(decodeAck(d.errorReplies[0]!).errno).to.equal(4103);
      expect(decodeAdtErrorLineno(d.errorReplies[0]!)).to.equal(2);
    });
    when('ipset-restore-exist', 'the same batch with -exist is acked', (d) => {
      expect(d.acks.every((a) => a.errno === 0)).to.equal(true);
    });
    when('ipset-restore-big', 'restore packs elements up to a page (4 KiB) per message', (d) => {
      const adds = d.requests.filter((r) => r.value.cmd === 'add');
      expect(adds.length).to.be.greaterThan(1);
      for (const a of adds) expect(16 + a.message.payload.length).to.be.at.most(4096);
      const total = adds.reduce((n, a) => n + (a.value.cmd === 'add' ? a.value.entries.length : 0), 0);
      expect(total).to.equal(600);
    });

    when('ipset-list-big', 'a 600-member set arrives in several messages and decodes into one listing', (d) => {
      const lists = repliesOf(d.fixture).filter((m) => m.type !== NLMSG_ERROR && m.type !== NLMSG_DONE);
      expect(lists.length).to.be.greaterThan(1);
      expect(d.listings.length).to.equal(1);
      expect(d.listings[0]!.entries.length).to.equal(600);
      expect(d.listings[0]!.header.numEntries).to.equal(600);
      const texts = new Set(d.listings[0]!.entries.map((e) => formatEntry('hash:ip,port', 2, e)));
      for (let i = 0; i < 600; i++) expect(texts.has(`10.97.${Math.floor(i / 250)}.${i % 250},tcp:${80 + (i % 3)}`)).to.equal(true);
    });
    when('ipset-list-one', 'list of one set: header and members', (d) => {
      expect(d.listings.map((l) => l.name)).to.deep.equal(['KUBE-CLUSTER-IP']);
      expect(d.listings[0]!.header).to.include({ hashsize: 1024, maxelem: 65536 });
      expect(d.listings[0]!.entries.map((e) => formatEntry('hash:ip,port', 2, e)).sort()).to.include('10.96.0.10,tcp:80');
    });
    when('ipset-save-all', 'save of every set decodes every kube-proxy type, formatted as ipset prints them', (d) => {
      const byName = new Map(d.listings.map((l) => [l.name, l]));
      const text = (n: string) => byName.get(n)!.entries.map((e) => formatEntry(byName.get(n)!.type, byName.get(n)!.family, e));
      expect(text('KUBE-LOOP-BACK')).to.deep.equal(['10.244.1.5,tcp:8080,10.244.1.5']);
      expect(text('KUBE-NODE-PORT-TCP')).to.deep.equal(['31122']);
      expect(text('KUBE-6-CLUSTER-IP')).to.deep.equal(['fd00::1,udp:53']);
      expect(text('KUBE-6-LOAD-BALANCER-SOURCE-CID')).to.deep.equal(['2001:db8::5,tcp:80,2001:db8:1::/48']);
      expect(text('NETS6')).to.deep.equal(['fd00:10:96::/112']);
      expect(text('KUBE-LOAD-BALANCER-SOURCE-CIDR').sort()).to.deep.equal(['203.0.113.5,tcp:80,198.51.100.0/24', '203.0.113.5,tcp:81,198.51.100.7']);
      expect(byName.get('KUBE-NODE-PORT-TCP')!.header).to.include({ portFrom: 0, portTo: 65535 });
      const opts = byName.get('OPTS')!;
      expect(opts.header).to.include({ timeout: 30, counters: true, comment: true });
      expect(opts.entries[0]).to.include({ comment: 'hi there', packets: 5n, bytes: 77n });
    });
    when('ipset-list-missing', 'list of a missing set: ENOENT', (d) => {
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(2);
    });
    when('ipset-rename-exists', 'rename onto an existing name: IPSET_ERR_EXIST_SETNAME2', (d) => {
      expect(describeIpsetErrno(d.acks[d.acks.length - 1]!.errno, 5).symbol).to.equal('IPSET_ERR_EXIST_SETNAME2');
    });
    when('ipset-swap-mismatch', 'swap of different types: IPSET_ERR_TYPE_MISMATCH', (d) => {
      expect(describeIpsetErrno(d.acks[d.acks.length - 1]!.errno, 6).text).to.equal('The sets cannot be swapped: their type does not match');
    });
    when('ipset-destroy-missing', 'destroy of a missing set: ENOENT', (d) => {
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(2);
    });
    when('ipset-destroy-missing-exist', 'destroy -exist of a missing set: acked', (d) => {
      const r = lastRequest(d);
      expect(r.cmd === 'destroy' && r.exist).to.equal(true);
      expect(d.acks[d.acks.length - 1]!.errno).to.equal(0);
    });
    when('ipset-destroy-in-use', 'destroy of a set iptables references: IPSET_ERR_BUSY', (d) => {
      expect(describeIpsetErrno(d.acks[d.acks.length - 1]!.errno, 3).text).to.equal('Set cannot be destroyed: it is in use by a kernel component');
    });
  });

  describe('our codec against the same kernel', () => {
    when('ours-protocol', 'the kernel speaks protocol 7, accepts 6', (d) => {
      expect(decodeProtocolReply(repliesOf(d.fixture)[0]!)).to.deep.equal({ protocol: 7, protocolMin: 6 });
    });
    when('ours-type-unknown', 'an unknown type: IPSET_ERR_FIND_TYPE', (d) => {
      expect(describeIpsetErrno(d.acks[0]!.errno, 13).symbol).to.equal('IPSET_ERR_FIND_TYPE');
    });
    when('ours-add-batch', 'four entries in one message, acked once', (d) => {
      expect(d.requests.length).to.equal(1);
      expect(d.acks.map((a) => a.errno)).to.deep.equal([0]);
    });
    when('ours-add-batch-duplicate', 'the third entry exists: errno IPSET_ERR_EXIST, lineno 3', (d) => {
      expect(decodeAck(d.errorReplies[0]!).errno).to.equal(4103);
      expect(decodeAdtErrorLineno(d.errorReplies[0]!)).to.equal(3);
    });
    when('ours-add-batch-exist', 'with exist the same entries are acked', (d) => {
      expect(d.acks.map((a) => a.errno)).to.deep.equal([0]);
    });
    when('ours-add-generated-max', '1630 hash:ip,port entries (65 KB) in ONE message are accepted', (d) => {
      expect(d.requests.length).to.equal(1);
      const r = d.requests[0]!.value;
      expect(r.cmd === 'add' ? r.entries.length : 0).to.equal(1630);
      expect(16 + d.requests[0]!.message.payload.length).to.be.greaterThan(65000);
      expect(d.acks.map((a) => a.errno)).to.deep.equal([0]);
    });
    when('ours-add-generated-default', '2000 entries in three 32 KiB messages, all acked', (d) => {
      expect(d.requests.length).to.equal(3);
      expect(d.acks.map((a) => a.errno)).to.deep.equal([0, 0, 0]);
    });
    when('ours-list-generated', 'all 3630 generated entries plus the earlier ones come back', (d) => {
      expect(d.listings[0]!.entries.length).to.equal(d.listings[0]!.header.numEntries);
      expect(d.listings[0]!.entries.length).to.be.at.least(3630);
    });
    when('ours-test-absent', 'TEST miss: IPSET_ERR_EXIST', (d) => {
      expect(d.acks[0]!.errno).to.equal(4103);
    });
    when('ours-destroy-missing-exist', 'destroy with exist: acked', (d) => {
      expect(d.acks[0]!.errno).to.equal(0);
    });
  });
});
