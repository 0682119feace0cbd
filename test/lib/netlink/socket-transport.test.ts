// SocketTransport against the machine's own kernel, with requests that need no privileges and change
// nothing: rtnetlink link dumps. Checks that many dumps spread over several sockets come back complete and
// in request order, as one socket would return them.
import { expect } from 'chai';
import { NLMSG_DONE } from '../../../native-free-netlink/core/message.js';
import { decodeLink, dumpLinks, RTM_NEWLINK } from '../../../native-free-netlink/rtnetlink/index.js';
import { NETLINK_ROUTE_PROTOCOL } from '../../../lib/netlink/protocols.js';
import { SocketTransport } from '../../../lib/netlink/socket-transport.js';

function open(dumpSockets: number): SocketTransport | undefined {
  try {
    return new SocketTransport(NETLINK_ROUTE_PROTOCOL, { dumpSockets });
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
});
