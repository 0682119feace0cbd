// dump --conntrack's layout: each virtual server with the flows whose original destination is it.
import { expect } from 'chai';
import { IPPROTO_TCP, IPPROTO_UDP, IPS_ASSURED, IPS_CONFIRMED, IPS_SEEN_REPLY, type ConntrackFlow } from '../../../native-free-netlink/conntrack/index.js';
import { formatConntrackPerVirtualServer } from '../../../lib/dump/conntrack-format.js';
import type { VirtualServer } from '../../../lib/state/types.js';

const vs = (protocol: 'udp' | 'tcp', address: string, port: number): VirtualServer => ({ protocol, address, port, scheduler: 'rr', flags: [], realServers: [] });

const flow = (protocol: number, dst: string, dstPort: number, status: number, srcPort = 40000): ConntrackFlow => ({
  family: dst.includes(':') ? 10 : 2,
  orig: { src: dst.includes(':') ? 'fd00::9' : '10.244.1.9', dst, protocol, srcPort, dstPort },
  reply: { src: dst.includes(':') ? 'fd00::5' : '10.244.1.5', dst: dst.includes(':') ? 'fd00::9' : '10.244.1.9', protocol, srcPort: 5353, dstPort: srcPort },
  status,
  timeout: 29,
});

describe('dump --conntrack layout', () => {
  it('groups flows by original destination, address, port and protocol; fwmark services are left out', () => {
    const text = formatConntrackPerVirtualServer(
      [vs('udp', '10.96.0.50', 53), vs('tcp', '10.96.0.50', 53), vs('udp', 'fd00:10:96::a', 53), { fwmark: 7, scheduler: 'rr', flags: [], realServers: [] }],
      [
        flow(IPPROTO_UDP, '10.96.0.50', 53, IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED),
        flow(IPPROTO_UDP, '10.96.0.50', 53, IPS_CONFIRMED, 40001),
        flow(IPPROTO_UDP, '10.96.0.50', 5353, IPS_CONFIRMED),
        flow(IPPROTO_TCP, '10.96.0.51', 53, IPS_CONFIRMED),
        flow(IPPROTO_UDP, 'fd00:10:96::a', 53, IPS_CONFIRMED | IPS_SEEN_REPLY),
      ],
    );
    expect(text).to.equal(
      [
        'UDP  10.96.0.50:53  conntrack flows: 2',
        '  10.244.1.9:40000 -> 10.96.0.50:53 reply 10.244.1.5:5353 -> 10.244.1.9:40000 [ASSURED] timeout=29',
        '  10.244.1.9:40001 -> 10.96.0.50:53 reply 10.244.1.5:5353 -> 10.244.1.9:40001 [UNREPLIED] timeout=29',
        'TCP  10.96.0.50:53  conntrack flows: 0',
        'UDP  [fd00:10:96::a]:53  conntrack flows: 1',
        '  [fd00::9]:40000 -> [fd00:10:96::a]:53 reply [fd00::5]:5353 -> [fd00::9]:40000 timeout=29',
        '',
      ].join('\n'),
    );
  });
});
