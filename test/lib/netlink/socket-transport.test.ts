// SocketTransport against the machine's own kernel, with requests that need no privileges and change
// nothing: rtnetlink link dumps. Checks that many dumps spread over several sockets come back complete and
// in request order, as one socket would return them.
import { expect } from 'chai';
import { NLM_F_ACK, NLMSG_DONE } from '../../../native-free-netlink/core/message.js';
import { decodeLink, dumpLinks, getLink, RTM_NEWLINK } from '../../../native-free-netlink/rtnetlink/index.js';
import { ENODEV } from '../../../native-free-netlink/core/errno.js';
import { NETLINK_ROUTE_PROTOCOL } from '../../../lib/netlink/protocols.js';
import { SocketTransport } from '../../../lib/netlink/socket-transport.js';

function open(dumpSockets: number, receiveBufferBytes?: number): SocketTransport | undefined {
  try {
    return new SocketTransport(NETLINK_ROUTE_PROTOCOL, { dumpSockets, ...(receiveBufferBytes ? { receiveBufferBytes } : {}) });
  } catch {
    return undefined; // no netlink sockets here (a sandbox): nothing to test
  }
}

describe('SocketTransport on the local kernel (rtnetlink dumps)', () => {
  it('spreads many dumps over several sockets and returns every one complete, in request order', async function () {
    const spread = open(4);
    const single = open(1);
    if (!spread || !single) this.skip();
    try {
      const requests = Array.from({ length: 13 }, () => dumpLinks(0));
      const [a, b] = [await spread!.exchange(requests), await single!.exchange(requests)];
      expect(a).to.have.length(13);
      const names = (rs: typeof a) => rs.map((r) => r.replies.filter((m) => m.type === RTM_NEWLINK).map((m) => decodeLink(m).name).join(','));
      // Every dump saw the same links (at least lo), none ended in an error or carried a stray DONE.
      expect(names(a).every((n) => n.length > 0 && n === names(a)[0])).to.equal(true);
      expect(names(a)).to.deep.equal(names(b));
      expect(a.every((r) => r.ack === undefined && r.replies.every((m) => m.type !== NLMSG_DONE))).to.equal(true);
      // Results line up with requests: each reply carries its request's sequence number.
      expect(a.every((r) => r.replies.every((m) => m.seq === r.request.seq))).to.equal(true);
      expect(spread!.counters.datagramsSent).to.equal(13);
    } finally {
      spread?.close();
      single?.close();
    }
  });

  it('splits a batch whose error replies could overrun the receive buffer: every failed request gets its error, no ENOBUFS', async function () {
    // 20 requests of 2 KiB for links that do not exist: each is answered with ENODEV echoing the request
    // (about 4.3 KiB of the buffer each). In one datagram their replies overran the 16 KiB buffer the
    // kernel grants for 8 KiB asked, and the socket binding aborted the process on the ENOBUFS.
    const t = open(1, 8192);
    if (!t) this.skip();
    try {
      const requests = Array.from({ length: 20 }, (_, i) => {
        const m = getLink({ index: 0x7fff0000 + i }, 0);
        return { ...m, flags: m.flags | NLM_F_ACK, payload: Uint8Array.from([...m.payload, ...new Uint8Array(2000)]) };
      });
      const results = await t!.exchange(requests);
      expect(results.map((r) => r.ack?.errno)).to.deep.equal(requests.map(() => ENODEV));
      expect(t!.counters.datagramsSent).to.be.greaterThan(1);
    } finally {
      t?.close();
    }
  });

  it('runs a dump asked apart on one helper socket, with the same result as on its own, and never a non-dump', async function () {
    const t = open(4);
    if (!t) this.skip();
    try {
      const [here] = await t!.exchange([dumpLinks(0)]);
      expect(t!.helperSockets).to.equal(0);
      const [apart] = await t!.exchange([dumpLinks(0)], { apart: true });
      expect(t!.helperSockets).to.equal(1);
      const names = (r: typeof here) => r!.replies.filter((m) => m.type === RTM_NEWLINK).map((m) => decodeLink(m).name);
      expect(names(apart)).to.deep.equal(names(here));
      expect(names(apart).length).to.be.greaterThan(0);
      // A request that is not a dump stays on the socket itself, apart or not.
      const [lo] = await t!.exchange([getLink({ index: 1 }, 0)], { apart: true });
      expect(lo!.replies.map((m) => decodeLink(m).name)).to.deep.equal([names(here)[0]]);
      expect(t!.helperSockets).to.equal(1);
    } finally {
      t?.close();
    }
  });

  it('runs dumps asked in parallel each on a socket of its own, apart from the read helpers, with the results in order', async function () {
    const t = open(4);
    if (!t) this.skip();
    try {
      const requests = Array.from({ length: 3 }, () => dumpLinks(0));
      const here = await t!.exchange(requests);
      const quick = await t!.exchange(requests, { parallel: true });
      expect(t!.helperSockets).to.equal(3);
      const names = (rs: typeof here) => rs.map((r) => r.replies.filter((m) => m.type === RTM_NEWLINK).map((m) => decodeLink(m).name).join(','));
      expect(names(quick)).to.deep.equal(names(here));
      expect(quick.every((r) => r.replies.every((m) => m.seq === r.request.seq))).to.equal(true);
      // A dump asked apart then opens a helper of the other pool: the quick sockets are not shared with reads.
      await t!.exchange([dumpLinks(0)], { apart: true });
      expect(t!.helperSockets).to.equal(4);
    } finally {
      t?.close();
    }
  });
});
