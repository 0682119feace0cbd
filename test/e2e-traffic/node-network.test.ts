// The `ip -batch` lines the traffic fixture's node network gives each namespace: IPv4-only ones exactly as
// before dual stack was added (the existing e2e suites rely on them), dual-stack ones with the IPv6 address
// (nodad: usable at once) and default route. Pure: runs anywhere, no VM.
import { expect } from 'chai';
import { namespaceScript } from '../../e2e/traffic/node-network.js';

describe('traffic fixture: namespaceScript', function () {
  it('an IPv4-only namespace: lo, the address, eth0 up, the default route, nothing IPv6', function () {
    expect(namespaceScript('10.244.1.2', 24, '10.244.1.1')).to.deep.equal([
      'link set dev lo up',
      'addr add 10.244.1.2/24 dev eth0',
      'link set dev eth0 up',
      'route add default via 10.244.1.1',
    ]);
  });

  it('a dual-stack namespace: also the IPv6 /64 without DAD before eth0 comes up, and the IPv6 default route', function () {
    expect(namespaceScript('10.244.1.2', 24, '10.244.1.1', { ip: 'fd00:10:244:1::2', gateway: 'fd00:10:244:1::1' })).to.deep.equal([
      'link set dev lo up',
      'addr add 10.244.1.2/24 dev eth0',
      'addr add fd00:10:244:1::2/64 dev eth0 nodad',
      'link set dev eth0 up',
      'route add default via 10.244.1.1',
      'route add default via fd00:10:244:1::1',
    ]);
  });
});
