// listConntrackFlows on the message-level fake, answered with the kernel's captured replies to the same
// request (test/fixtures/captured/conntrack/ours-dump-udp-orig-dst.json).
import { expect } from 'chai';
import { encodeAck } from '../../../native-free-netlink/core/ack.js';
import { NLMSG_ERROR } from '../../../native-free-netlink/core/message.js';
import { IPPROTO_UDP } from '../../../native-free-netlink/conntrack/index.js';
import { NFPROTO_IPV4 } from '../../../native-free-netlink/nfnetlink/nfgenmsg.js';
import { listConntrackFlows } from '../../../lib/kernel/conntrack-client.js';
import { KernelError } from '../../../lib/kernel/kernel-error.js';
import { MessageFake } from '../../../lib/netlink/message-fake.js';
import { captured, ctnetlinkRequests, messageHex } from '../../native-free-netlink/conntrack/helpers.js';

describe('conntrack client', () => {
  it('sends the filtered dump the kernel answered in the capture and decodes its flows', async () => {
    const f = captured('ours-dump-udp-orig-dst');
    const [capturedRequest] = ctnetlinkRequests(f);
    const fake = new MessageFake(12, () => f.replies);
    const flows = await listConntrackFlows(fake, NFPROTO_IPV4, { orig: { dst: '10.96.0.10', protocol: IPPROTO_UDP } });
    expect(fake.requests.map((r) => messageHex({ ...r, seq: 1 }))).to.deep.equal([messageHex(capturedRequest!)]);
    expect(flows.map((x) => `${x.orig.src}:${x.orig.srcPort}`).sort()).to.deep.equal(['10.244.0.5:40000', '10.244.0.6:40001', '10.244.0.9:40009']);
  });

  it('a refused dump is a KernelError naming the operation and the filter', async () => {
    const fake = new MessageFake(12, (r) => [{ ...encodeAck(r, 2), type: NLMSG_ERROR }]);
    const err = await listConntrackFlows(fake, 0, { reply: { src: '10.244.1.7' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(KernelError);
    expect((err as Error).message).to.match(/IPCTNL_MSG_CT_GET dump conntrack flows \(family 0, reply \{"src":"10.244.1.7"\}\): ENOENT/);
  });
});
