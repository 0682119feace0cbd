import { expect } from 'chai';
import { formatIpvsTable } from '../../../lib/dump/ipvsadm-format.js';
import type { VirtualServer } from '../../../lib/state/types.js';

const rs = (address: string, port: number, weight = 1): VirtualServer['realServers'][number] => ({ address, port, weight, forward: 'masq' });

describe('ipvsadm-style text view', () => {
  // Expected lines are what `ipvsadm -Ln` (ipvsadm 1.31, Linux 6.1, the e2e VM) printed for the same services.
  it('pads the protocol to 4 columns, as ipvsadm does: "TCP  ...", "UDP  ...", "SCTP ..."', () => {
    const text = formatIpvsTable(
      {
        version: '1.2.1',
        connTableSize: 4096,
        virtualServers: [
          { protocol: 'tcp', address: '10.96.0.10', port: 80, scheduler: 'rr', flags: [], realServers: [rs('10.244.1.2', 8080)] },
          { protocol: 'udp', address: '10.96.0.10', port: 53, scheduler: 'sh', flags: ['sh-fallback', 'sh-port'], realServers: [rs('10.244.1.4', 53, 2)] },
          { protocol: 'sctp', address: '10.96.0.13', port: 7777, scheduler: 'rr', flags: [], realServers: [rs('10.244.2.5', 7777)] },
        ],
      },
      false,
    );
    expect(text.split('\n')).to.deep.equal([
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  10.96.0.10:80 rr',
      '  -> 10.244.1.2:8080              Masq    1      0          0         ',
      'UDP  10.96.0.10:53 sh (sh-fallback,sh-port)',
      '  -> 10.244.1.4:53                Masq    2      0          0         ',
      'SCTP 10.96.0.13:7777 rr',
      '  -> 10.244.2.5:7777              Masq    1      0          0         ',
      '',
    ]);
  });
});
