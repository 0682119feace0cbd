// Every captured `conntrack` command (test/fixtures/captured/conntrack, see CAPTURED.md): each request
// decodes to a value that encodes to the same bytes (the tool's stale padding zeroed), the flows of every
// reply decode to the entries capture.sh inserted, and our builders reproduce the tool's list and delete
// requests byte for byte.
import { expect } from 'chai';
import { decodeAck } from '../../../native-free-netlink/core/ack.js';
import { NLMSG_DONE, NLMSG_ERROR, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import { nfnlMessage, nfnlSubsystem, NFNL_SUBSYS_CTNETLINK, NFPROTO_IPV4, NFPROTO_IPV6 } from '../../../native-free-netlink/nfnetlink/nfgenmsg.js';
import {
  decodeConntrackRequest,
  decodeFlowMessage,
  deleteFlowRequest,
  dumpFlowsRequest,
  getFlowRequest,
  encodeConntrackRequest,
  IPCTNL_MSG_CT_DELETE,
  IPCTNL_MSG_CT_GET,
  IPCTNL_MSG_CT_NEW,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  type ConntrackFlow,
} from '../../../native-free-netlink/conntrack/index.js';
import { captured, capturedNames, ctnetlinkRequests, messageHex, withZeroPadding } from './helpers.js';

const NAMES = capturedNames();

function flowsOf(replies: readonly NetlinkMessage[]): ConntrackFlow[] {
  return replies
    .filter((m) => nfnlSubsystem(m.type) === NFNL_SUBSYS_CTNETLINK && nfnlMessage(m.type) === IPCTNL_MSG_CT_NEW)
    .map(decodeFlowMessage);
}

/** "src:sport>dst:dport/proto" of a tuple, to compare flows as text. */
function key(f: ConntrackFlow): string {
  const t = (x: ConntrackFlow['orig']): string => `${x.src}:${x.srcPort}>${x.dst}:${x.dstPort}/${x.protocol}`;
  return `${t(f.orig)} ${t(f.reply)}`;
}

describe('conntrack captured fixtures', () => {
  it('has fixtures to test', () => {
    expect(NAMES.length).to.be.greaterThan(10);
  });

  // Only captures holding GET/DELETE requests (the -I ones hold NEW only).
  for (const name of NAMES.filter((n) => ctnetlinkRequests(captured(n)).some((r) => [IPCTNL_MSG_CT_GET, IPCTNL_MSG_CT_DELETE].includes(nfnlMessage(r.type))))) {
    // GET and DELETE: what we build. (`conntrack -I` requests are decoded by the test below; our codec does
    // not build CTA_PROTOINFO, which -I sends for TCP and SCTP.)
    it(`${name}: every GET/DELETE request decodes and re-encodes to the captured bytes`, () => {
      const requests = ctnetlinkRequests(captured(name));
      expect(requests, 'a capture without requests').to.not.be.empty;
      for (const m of requests.filter((r) => [IPCTNL_MSG_CT_GET, IPCTNL_MSG_CT_DELETE].includes(nfnlMessage(r.type)))) {
        const expected = withZeroPadding(m);
        expect(messageHex(encodeConntrackRequest(decodeConntrackRequest(m)))).to.equal(messageHex(expected));
      }
    });
  }

  it('conntrack -I: original and reply tuples, timeout, mark and zone as given on the command line', () => {
    const [m] = ctnetlinkRequests(captured('conntrack-create-udp-zone-mark'));
    const r = decodeConntrackRequest(m!);
    expect(r.family).to.equal(NFPROTO_IPV4);
    expect(r.orig).to.deep.equal({ src: '10.244.0.9', dst: '10.96.0.20', protocol: IPPROTO_UDP, srcPort: 40009, dstPort: 5353 });
    expect(r.reply).to.deep.equal({ src: '10.244.1.9', dst: '10.244.0.9', protocol: IPPROTO_UDP, srcPort: 5353, dstPort: 40009 });
    expect([r.timeout, r.mark, r.zone]).to.deep.equal([3600, 42, 7]);
  });

  it('conntrack -L: an unfiltered dump of our builder is the tool\'s request', () => {
    const [m] = ctnetlinkRequests(captured('conntrack-list'));
    expect(messageHex(dumpFlowsRequest({ seq: m!.seq }, 0))).to.equal(messageHex(m!));
    const [m6] = ctnetlinkRequests(captured('conntrack-list-ipv6'));
    expect(messageHex(dumpFlowsRequest({ seq: m6!.seq }, NFPROTO_IPV6))).to.equal(messageHex(m6!));
  });

  it('conntrack -L: the flows capture.sh inserted decode with their tuples, timeout and state', () => {
    const flows = flowsOf(captured('conntrack-list').replies);
    const keys = flows.map(key);
    expect(keys, 'conntrack -L (family unspecified) lists IPv6 flows too').to.include('fd00:10:244::5:40000>fd00:10:96::a:53/17 fd00:10:244:1::7:53>fd00:10:244::5:40000/17');
    expect(keys).to.include('10.244.0.5:40000>10.96.0.10:53/17 10.244.1.7:53>10.244.0.5:40000/17');
    expect(keys).to.include('192.168.1.50:41000>192.168.1.10:30053/17 10.244.1.7:53>192.168.1.10:41000/17');
    for (const f of flows) {
      expect(f.family, key(f)).to.equal(f.orig.src!.includes(':') ? NFPROTO_IPV6 : NFPROTO_IPV4);
      expect(f.timeout, key(f)).to.be.within(1, 3600);
    }
    const zoned = flows.find((f) => f.orig.dst === '10.96.0.20');
    expect(zoned?.zone).to.equal(7);
    expect(zoned?.mark).to.equal(42);
    const tcp = flows.find((f) => f.orig.protocol === IPPROTO_TCP);
    expect(tcp?.protoState, 'TCP ESTABLISHED is state 3').to.equal(3);
    const v6 = flowsOf(captured('conntrack-list-ipv6').replies);
    expect(v6.map(key)).to.deep.equal(['fd00:10:244::5:40000>fd00:10:96::a:53/17 fd00:10:244:1::7:53>fd00:10:244::5:40000/17']);
    expect(v6[0]!.family).to.equal(NFPROTO_IPV6);
  });

  it('conntrack -L --mark: the tool filters by mark in the kernel (CTA_MARK, CTA_MARK_MASK), as our dump does', () => {
    const [m] = ctnetlinkRequests(captured('conntrack-list-mark'));
    expect(messageHex(dumpFlowsRequest({ seq: m!.seq }, 0, { mark: 42, markMask: 0xffffffff }))).to.equal(messageHex(m!));
    expect(flowsOf(captured('conntrack-list-mark').replies).map((f) => [f.orig.dst, f.mark, f.zone])).to.deep.equal([['10.96.0.20', 42, 7]]);
  });

  it('conntrack -G: our get by tuple is the tool\'s request; the kernel answers with that flow', () => {
    const f = captured('conntrack-get');
    const [m] = ctnetlinkRequests(f);
    const orig = { src: '10.244.0.5', dst: '10.96.0.10', protocol: IPPROTO_UDP, srcPort: 40000, dstPort: 53 };
    expect(messageHex(getFlowRequest({ seq: m!.seq }, NFPROTO_IPV4, orig))).to.equal(messageHex(withZeroPadding(m!)));
    expect(flowsOf(f.replies).map((x) => x.orig)).to.deep.equal([orig]);
    expect(() => getFlowRequest({ seq: 1 }, NFPROTO_IPV4, { src: '10.244.0.5', dst: '10.96.0.10', protocol: IPPROTO_UDP, dstPort: 53 })).to.throw(/needs srcPort/);
  });

  it('conntrack -D: a dump of the family, then one DELETE per matching flow naming it by its original tuple', () => {
    // [fixture, the flow deleted, its protocol, the dump's family: IPv4 when an address is given, else both]
    const cases: [string, string, number, number][] = [
      ['conntrack-delete-udp-orig-dst', '10.244.0.5:40000>10.96.0.10:53/17', IPPROTO_UDP, NFPROTO_IPV4],
      ['conntrack-delete-udp-orig-dst-port', '10.244.0.9:40009>10.96.0.20:5353/17', IPPROTO_UDP, NFPROTO_IPV4],
      ['conntrack-delete-udp-reply-src', '10.244.0.6:40001>10.96.0.10:53/17', IPPROTO_UDP, NFPROTO_IPV4],
      ['conntrack-delete-udp-dport', '192.168.1.50:41000>192.168.1.10:30053/17', IPPROTO_UDP, 0],
      ['conntrack-delete-sctp-orig-dst', '10.244.0.5:40000>10.96.0.30:9999/132', IPPROTO_SCTP, NFPROTO_IPV4],
      ['conntrack-delete-udp6-orig-dst', 'fd00:10:244::5:40000>fd00:10:96::a:53/17', IPPROTO_UDP, NFPROTO_IPV6],
    ];
    for (const [name, flow, protocol, family] of cases) {
      const f = captured(name);
      const [dump, ...deletes] = ctnetlinkRequests(f);
      expect(messageHex(dump!), name).to.equal(messageHex(dumpFlowsRequest({ seq: dump!.seq }, family)));
      expect(deletes.map((d) => nfnlMessage(d.type)), name).to.deep.equal([IPCTNL_MSG_CT_DELETE]);
      const r = decodeConntrackRequest(deletes[0]!);
      const o = r.orig!;
      expect(`${o.src}:${o.srcPort}>${o.dst}:${o.dstPort}/${o.protocol}`, name).to.equal(flow);
      expect(o.protocol).to.equal(protocol);
      // The kernel finds the flow by CTA_TUPLE_ORIG (+ CTA_ZONE) alone; the tool copies the whole flow.
      const ours = decodeConntrackRequest(deleteFlowRequest({ seq: r.seq }, r.family, o, r.zone));
      expect(ours.orig).to.deep.equal(o);
      expect(ours.zone).to.equal(r.zone);
      // The kernel acked each delete with 0.
      const acks = f.replies.filter((m) => m.type === NLMSG_ERROR && m.seq === r.seq);
      expect(acks.map((a) => decodeAck(a).errno), name).to.deep.equal([0]);
    }
    expect(decodeConntrackRequest(ctnetlinkRequests(captured('conntrack-delete-udp-orig-dst-port'))[1]!).zone).to.equal(7);
  });

  it('conntrack -D matching nothing: the dump only, no DELETE', () => {
    const requests = ctnetlinkRequests(captured('conntrack-delete-none'));
    expect(requests.map((m) => nfnlMessage(m.type))).to.deep.equal([IPCTNL_MSG_CT_GET]);
  });

  it('dumps and gets end with NLMSG_DONE or an ack', () => {
    for (const name of NAMES.filter((n) => n.startsWith('conntrack-list'))) {
      const last = captured(name).replies.at(-1);
      expect([NLMSG_DONE, NLMSG_ERROR], name).to.include(last?.type);
    }
  });
});
