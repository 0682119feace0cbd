// Our own requests against the real kernel (test/fixtures/captured/conntrack/ours-*, made by
// capture-ours.sh): the captured request is what our builders produce today, byte for byte, and the
// kernel's answers show the requests did what they say (capture-ours.sh inserted five flows: UDP
// 10.244.0.5:40000 and 10.244.0.6:40001 to 10.96.0.10:53, UDP 10.244.0.6:40002 to 10.96.0.11:53, TCP
// 10.244.0.5:42000 to 10.96.0.10:53, and UDP 10.244.0.9:40009 to 10.96.0.10:53 in zone 7).
import { expect } from 'chai';
import { decodeAck } from '../../../native-free-netlink/core/ack.js';
import { NLMSG_ERROR, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import { NFPROTO_IPV4 } from '../../../native-free-netlink/nfnetlink/nfgenmsg.js';
import {
  decodeFlowMessage,
  deleteFlowRequest,
  dumpFlowsRequest,
  IPPROTO_UDP,
  type ConntrackFlow,
  type ConntrackTuple,
} from '../../../native-free-netlink/conntrack/index.js';
import { captured, ctnetlinkRequests, messageHex } from './helpers.js';

function flows(replies: readonly NetlinkMessage[]): ConntrackFlow[] {
  return replies.filter((m) => m.type >> 8 === 1 && (m.type & 0xff) === 0).map(decodeFlowMessage);
}

/** "src:sport>dst:dport/proto@zone" of each flow's original tuple, sorted. */
function origs(fs: readonly ConntrackFlow[]): string[] {
  return fs.map((f) => `${f.orig.src}:${f.orig.srcPort}>${f.orig.dst}:${f.orig.dstPort}/${f.orig.protocol}@${f.zone ?? 0}`).sort();
}

function only(name: string): { request: NetlinkMessage; replies: NetlinkMessage[] } {
  const f = captured(name);
  const requests = ctnetlinkRequests(f);
  expect(requests, name).to.have.length(1);
  return { request: requests[0]!, replies: f.replies };
}

function errnoOf(replies: readonly NetlinkMessage[]): number[] {
  return replies.filter((m) => m.type === NLMSG_ERROR).map((m) => decodeAck(m).errno);
}

const ALL = [
  '10.244.0.5:40000>10.96.0.10:53/17@0',
  '10.244.0.5:42000>10.96.0.10:53/6@0',
  '10.244.0.6:40001>10.96.0.10:53/17@0',
  '10.244.0.6:40002>10.96.0.11:53/17@0',
  '10.244.0.9:40009>10.96.0.10:53/17@7',
];

describe('conntrack: our requests against the kernel (captured)', () => {
  it('an unfiltered dump returns every flow', () => {
    const { request, replies } = only('ours-dump-all');
    expect(messageHex(request)).to.equal(messageHex(dumpFlowsRequest({ seq: 1 }, 0)));
    expect(origs(flows(replies))).to.deep.equal(ALL);
  });

  const filtered: [string, { orig?: ConntrackTuple; reply?: ConntrackTuple }, string[]][] = [
    ['ours-dump-udp-orig-dst', { orig: { dst: '10.96.0.10', protocol: IPPROTO_UDP } }, [ALL[0]!, ALL[2]!, ALL[4]!]],
    ['ours-dump-udp-orig-dst-port', { orig: { dst: '10.96.0.10', protocol: IPPROTO_UDP, dstPort: 53 } }, [ALL[0]!, ALL[2]!, ALL[4]!]],
    ['ours-dump-udp-reply-src', { reply: { src: '10.244.1.7', protocol: IPPROTO_UDP } }, [ALL[0]!, ALL[3]!]],
  ];
  for (const [name, match, expected] of filtered) {
    it(`${name}: the kernel-side filter (CTA_FILTER) returns exactly the matching flows, of every zone`, () => {
      const { request, replies } = only(name);
      expect(messageHex(request)).to.equal(messageHex(dumpFlowsRequest({ seq: 1 }, NFPROTO_IPV4, match)));
      expect(origs(flows(replies))).to.deep.equal(expected);
    });
  }

  it('a delete by original tuple is acked; the same delete again gets ENOENT; a zone-7 flow needs its zone', () => {
    const tuple = { src: '10.244.0.6', dst: '10.96.0.10', protocol: IPPROTO_UDP, srcPort: 40001, dstPort: 53 };
    const first = only('ours-delete-tuple');
    expect(messageHex(first.request)).to.equal(messageHex(deleteFlowRequest({ seq: 1 }, NFPROTO_IPV4, tuple)));
    expect(errnoOf(first.replies)).to.deep.equal([0]);
    expect(errnoOf(only('ours-delete-tuple-missing').replies)).to.deep.equal([2]);
    const zoned = only('ours-delete-tuple-zone');
    const zoneTuple = { src: '10.244.0.9', dst: '10.96.0.10', protocol: IPPROTO_UDP, srcPort: 40009, dstPort: 53 };
    expect(messageHex(zoned.request)).to.equal(messageHex(deleteFlowRequest({ seq: 1 }, NFPROTO_IPV4, zoneTuple, 7)));
    expect(errnoOf(zoned.replies)).to.deep.equal([0]);
    expect(origs(flows(only('ours-dump-after-deletes').replies))).to.deep.equal([ALL[0]!, ALL[1]!, ALL[3]!]);
  });
});
