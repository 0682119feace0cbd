// The three kernels behind the engine as message-level fakes (IPVS over generic netlink with its family
// resolution, ipset over nfnetlink, rtnetlink), each behind a MessageFake that records every request.
import { encodeAck } from '../../../../native-free-netlink/core/ack.js';
import { attr } from '../../../../native-free-netlink/core/attributes.js';
import type { NetlinkMessage } from '../../../../native-free-netlink/core/message.js';
import { CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_CMD_NEWFAMILY, GENL_ID_CTRL } from '../../../../native-free-netlink/genetlink/ctrl.js';
import { encodeGenl } from '../../../../native-free-netlink/genetlink/genl.js';
import { MessageFake } from '../../../../lib/netlink/message-fake.js';
import { FakeIpsetKernel } from '../../../native-free-netlink/ipset/fake-kernel.js';
import { FakeIpvsKernel } from '../../../native-free-netlink/ipvs/fake-ipvs-kernel.js';
import { FakeRouteKernel } from '../../../native-free-netlink/rtnetlink/fake-route-kernel.js';

export const IPVS_FAMILY = 0x24;

export function fakeKernels() {
  const ipvsKernel = new FakeIpvsKernel(IPVS_FAMILY);
  const ipsetKernel = new FakeIpsetKernel();
  // The ledger of sets is a list:set; the fake accepts its revision 3 as Linux 6.1 does.
  ipsetKernel.revisions.set('list:set', 3);
  const route = new FakeRouteKernel();
  const ipvsConn = new MessageFake(16, ipvsHandler(ipvsKernel));
  const ipsetConn = new MessageFake(12, ipsetKernel.handle);
  const routeConn = new MessageFake(0, (m) => route.exchange([m]));
  return { ipvsKernel, ipsetKernel, route, ipvsConn, ipsetConn, routeConn };
}

/** The IPVS fake behind generic netlink: the controller resolves "IPVS" to IPVS_FAMILY, the rest goes to the kernel fake. */
export function ipvsHandler(ipvsKernel: FakeIpvsKernel): (m: NetlinkMessage) => NetlinkMessage[] {
  return (m) => {
    if (m.type !== GENL_ID_CTRL) return ipvsKernel.handle(m);
    const payload = encodeGenl({ cmd: CTRL_CMD_NEWFAMILY, version: 2, attrs: [attr.u16(CTRL_ATTR_FAMILY_ID, IPVS_FAMILY), attr.string(CTRL_ATTR_FAMILY_NAME, 'IPVS')] });
    return [{ type: GENL_ID_CTRL, flags: 0, seq: m.seq, pid: 0, payload }, encodeAck(m, 0)];
  };
}
