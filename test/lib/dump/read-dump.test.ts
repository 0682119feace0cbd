// readDump over the message-level fake kernels: each real server's connection counts stay with that real
// server, whatever order the kernel lists destinations in (Linux lists them newest first; the state sorts).
import { expect } from 'chai';
import { readDump } from '../../../lib/dump/read-dump.js';
import { KernelEngine } from '../../../lib/engine/engine.js';
import { FakeIptablesRunner } from '../../../lib/iptables/fake-runner.js';
import { AF_INET } from '../../../native-free-netlink/core/ip.js';
import { newDestination, newService, type IpvsService } from '../../../native-free-netlink/ipvs/index.js';
import { fakeKernels, IPVS_FAMILY } from '../engine/helpers/fake-kernels.js';

describe('readDump', () => {
  it('keeps each real server\'s connection counts with it when the kernel lists destinations out of order', async () => {
    const { ipvsKernel, ipvsConn, ipsetConn, routeConn } = fakeKernels();
    const service: IpvsService = { family: AF_INET, protocol: 6, address: '10.96.0.10', port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
    // Created 10.244.1.3 first: the fake lists destinations in creation order, the state sorts them.
    ipvsKernel.handle(newService(IPVS_FAMILY, 1, service));
    for (const address of ['10.244.1.3', '10.244.1.2']) {
      ipvsKernel.handle(newDestination(IPVS_FAMILY, 2, service, { family: AF_INET, address, port: 8080, forward: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0 }));
    }
    ipvsKernel.connections.set('tcp 10.96.0.10:80 10.244.1.3:8080', { active: 2, inactive: 1 });
    const engine = await KernelEngine.open({ connections: { ipvs: ipvsConn, ipset: ipsetConn, route: routeConn }, iptables: new FakeIptablesRunner() });

    const dump = await readDump(engine, 'kube-ipvs0', false);

    expect(dump.state.virtualServers[0]!.realServers.map((r) => r.address)).to.deep.equal(['10.244.1.2', '10.244.1.3']);
    const stats = dump.realServerStats.get('tcp 10.96.0.10:80')!;
    expect([...stats].map(([rs, st]) => [rs, st.activeConns, st.inactiveConns])).to.deep.equal([
      ['10.244.1.3:8080', 2, 1],
      ['10.244.1.2:8080', 0, 0],
    ]);
  });
});
