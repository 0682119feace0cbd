// A dump the kernel flags NLM_F_DUMP_INTR (the table changed while it was read) is read again, never
// planned from: its replies may mix the state before and after a concurrent change. IPVS and rtnetlink
// clients, on message-level fakes whose first dumps carry the flag (ipset: ipset-client-list.test.ts).
import { expect } from 'chai';
import { NLM_F_DUMP, NLM_F_DUMP_INTR, NLMSG_DONE, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import { AF_INET } from '../../../native-free-netlink/core/ip.js';
import { IPVS_CMD_GET_DEST, IPVS_CMD_GET_SERVICE, decodeIpvsRequest, newDestination, newService, type IpvsDestination, type IpvsService } from '../../../native-free-netlink/ipvs/index.js';
import { IpvsClient } from '../../../lib/kernel/ipvs-client.js';
import type { KernelError } from '../../../lib/kernel/kernel-error.js';
import { LinkClient } from '../../../lib/kernel/link-client.js';
import { MessageFake } from '../../../lib/netlink/message-fake.js';
import { FakeIpvsKernel } from '../../native-free-netlink/ipvs/fake-ipvs-kernel.js';
import { FakeRouteKernel } from '../../native-free-netlink/rtnetlink/fake-route-kernel.js';
import { IPVS_FAMILY, ipvsHandler } from '../engine/helpers/fake-kernels.js';

/** `handler`, with NLM_F_DUMP_INTR set on the first data message of each dump `interrupt` picks. */
function interrupting(handler: (m: NetlinkMessage) => NetlinkMessage[], interrupt: (m: NetlinkMessage) => boolean) {
  return (m: NetlinkMessage): NetlinkMessage[] => {
    const replies = handler(m);
    if ((m.flags & NLM_F_DUMP) !== NLM_F_DUMP || !interrupt(m)) return replies;
    const first = replies.findIndex((r) => r.type !== NLMSG_DONE);
    return replies.map((r, i) => (i === (first < 0 ? 0 : first) ? { ...r, flags: r.flags | NLM_F_DUMP_INTR } : r));
  };
}

function service(i: number): IpvsService {
  return { family: AF_INET, protocol: 6, address: `10.96.0.${i}`, port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
}

/** An IPVS fake holding services 10.96.0.1:80 and 10.96.0.2:80 with one real server each. */
function ipvsKernel(): FakeIpvsKernel {
  const kernel = new FakeIpvsKernel(IPVS_FAMILY);
  for (const i of [1, 2]) {
    kernel.handle(newService(IPVS_FAMILY, 1, service(i)));
    const dest: IpvsDestination = { family: AF_INET, address: `10.244.1.${i}`, port: 8080, forward: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 0, port: 0, flags: 0 } };
    kernel.handle(newDestination(IPVS_FAMILY, 1, service(i), dest));
  }
  return kernel;
}

function cmdOf(m: NetlinkMessage): number | undefined {
  return m.type === IPVS_FAMILY ? decodeIpvsRequest(m).cmd : undefined;
}

describe('dumps interrupted by concurrent changes (NLM_F_DUMP_INTR) are read again', () => {
  it('IPVS services: read again until a clean dump, which is what is returned', async () => {
    let dumps = 0;
    const conn = new MessageFake(16, interrupting(ipvsHandler(ipvsKernel()), (m) => cmdOf(m) === IPVS_CMD_GET_SERVICE && ++dumps <= 2));
    const client = await IpvsClient.open(conn);
    const listed = await client.listAll();
    expect(listed.map((s) => [s.service.address, s.destinations.map((d) => d.destination.address)])).to.deep.equal([
      ['10.96.0.1', ['10.244.1.1']],
      ['10.96.0.2', ['10.244.1.2']],
    ]);
    expect(conn.requests.filter((m) => cmdOf(m) === IPVS_CMD_GET_SERVICE)).to.have.length(3);
  });

  it('IPVS real servers: only the interrupted service is dumped again', async () => {
    let second = 0;
    const conn = new MessageFake(16, interrupting(ipvsHandler(ipvsKernel()), (m) => cmdOf(m) === IPVS_CMD_GET_DEST && decodeIpvsRequest(m).service?.address === '10.96.0.2' && ++second <= 1));
    const client = await IpvsClient.open(conn);
    const listed = await client.listAll();
    expect(listed.map((s) => s.destinations.length)).to.deep.equal([1, 1]);
    expect(conn.requests.filter((m) => cmdOf(m) === IPVS_CMD_GET_DEST).map((m) => decodeIpvsRequest(m).service?.address)).to.deep.equal(['10.96.0.1', '10.96.0.2', '10.96.0.2']);
  });

  it('IPVS: a dump interrupted 5 times fails the read with EBUSY (the sync fails and is retried, nothing is planned)', async () => {
    const conn = new MessageFake(16, interrupting(ipvsHandler(ipvsKernel()), (m) => cmdOf(m) === IPVS_CMD_GET_SERVICE));
    const client = await IpvsClient.open(conn);
    const err = await client.listAll().then(() => undefined, (e: KernelError) => e);
    expect(err?.message).to.equal('GET_SERVICE dump: EBUSY (interrupted by concurrent changes 5 times)');
    expect(conn.requests.filter((m) => cmdOf(m) === IPVS_CMD_GET_SERVICE)).to.have.length(5);
  });

  it('rtnetlink addresses: read again until a clean dump', async () => {
    const route = new FakeRouteKernel();
    let dumps = 0;
    const conn = new MessageFake(0, interrupting((m) => route.exchange([m]), () => ++dumps <= 1));
    const addresses = await new LinkClient(conn).listAddresses(1);
    expect(addresses.map((a) => a.address).sort()).to.deep.equal(['127.0.0.1', '::1']);
    expect(conn.requests).to.have.length(2);
  });
});
