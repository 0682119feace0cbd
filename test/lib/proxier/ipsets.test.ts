import { expect } from 'chai';
import { cidrContains, parseCidr, parseIp } from '../../../lib/proxier/addresses.js';
import {
  emptyIpsetMembers, IPSET_IDS, ipsetName, ipsetStates, member, nodePortMember, sourceRangesAllowNode,
} from '../../../lib/proxier/ipsets.js';

describe('ipsets', () => {
  it('names IPv6 twins KUBE-6-..., cut to 31 characters as kube-proxy does', () => {
    const v6 = IPSET_IDS.map((id) => ipsetName(id, 'inet6'));
    expect(v6).to.include.members(['KUBE-6-CLUSTER-IP', 'KUBE-6-LOAD-BALANCER-SOURCE-CID', 'KUBE-6-NODE-PORT-LOCAL-SCTP-HAS', 'KUBE-6-LOAD-BALANCER-SOURCE-IP']);
    expect(new Set(v6).size).to.equal(17);
    expect(ipsetName('loadBalancerSourceCIDR', 'inet')).to.equal('KUBE-LOAD-BALANCER-SOURCE-CIDR');
  });

  it('writes members in ipset syntax', () => {
    expect(member.ipPort('10.96.0.10', 'tcp', 80)).to.equal('10.96.0.10,tcp:80');
    expect(member.ipPortIp('10.244.1.5', 'tcp', 8080, '10.244.1.5')).to.equal('10.244.1.5,tcp:8080,10.244.1.5');
    expect(member.ipPortNet('203.0.113.5', 'tcp', 80, '198.51.100.0/24')).to.equal('203.0.113.5,tcp:80,198.51.100.0/24');
    expect(member.ipPortNet('203.0.113.5', 'udp', 53, '198.51.100.7/32')).to.equal('203.0.113.5,udp:53,198.51.100.7');
    expect(member.ipPortNet('2001:db8::5', 'tcp', 80, '2001:db8:1::/48')).to.equal('2001:db8::5,tcp:80,2001:db8:1::/48');
    expect(member.ipPortNet('2001:db8::5', 'tcp', 80, '2001:db8:1::1/128')).to.equal('2001:db8::5,tcp:80,2001:db8:1::1');
    expect(nodePortMember('tcp', '192.168.122.10', 31122)).to.equal('31122');
    expect(nodePortMember('sctp', '192.168.122.10', 31122)).to.equal('192.168.122.10,sctp:31122');
  });

  it('lists all 17 sets of a family, bitmap:port reported as inet', () => {
    const m = emptyIpsetMembers();
    m.nodePortTCP.add('30000');
    const states = ipsetStates('inet6', m);
    expect(states).to.have.length(17);
    expect(states.find((s) => s.name === 'KUBE-6-NODE-PORT-TCP')).to.deep.equal({ name: 'KUBE-6-NODE-PORT-TCP', type: 'bitmap:port', family: 'inet', entries: ['30000'] });
    expect(states.find((s) => s.name === 'KUBE-6-LOOP-BACK')).to.deep.equal({ name: 'KUBE-6-LOOP-BACK', type: 'hash:ip,port,ip', family: 'inet6', entries: [] });
  });

  it('tells whether a source range lets the node in', () => {
    expect(sourceRangesAllowNode(['10.0.0.0/8'], ['10.1.2.3'])).to.equal(true);
    expect(sourceRangesAllowNode(['10.0.0.0/8'], ['192.168.1.1', 'fd00::1'])).to.equal(false);
    expect(sourceRangesAllowNode(['fd00::/8'], ['fd00::1'])).to.equal(true);
    expect(sourceRangesAllowNode([], ['10.1.2.3'])).to.equal(false);
  });
});

describe('address parsing', () => {
  it('canonicalises and refuses what the API server refuses', () => {
    expect(parseIp('FD00:0:0::A')).to.deep.equal({ ip: 'fd00::a', family: 'inet6' });
    expect(parseIp('10.1')).to.equal(undefined);
    expect(parseIp('10.0.0.256')).to.equal(undefined);
    expect(parseIp('010.0.0.1')).to.equal(undefined);
    expect(parseIp('0.0.0.0')).to.deep.equal({ ip: '0.0.0.0', family: 'inet' });
    expect(parseIp(undefined)).to.equal(undefined);
  });

  it('clears host bits of a CIDR and checks containment', () => {
    expect(parseCidr('10.244.3.7/16')).to.deep.equal({ network: '10.244.0.0', prefix: 16, family: 'inet', text: '10.244.0.0/16' });
    expect(parseCidr('10.244.3.7/21')!.text).to.equal('10.244.0.0/21');
    expect(parseCidr('fd00:10:244:ff::1/56')!.text).to.equal('fd00:10:244::/56');
    expect(parseCidr('0.0.0.0/0')!.text).to.equal('0.0.0.0/0');
    expect(parseCidr('::/0')!.text).to.equal('::/0');
    for (const bad of ['10.0.0.0', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/x', '10.0.0.0/-1', 'x/8']) {
      expect(parseCidr(bad), bad).to.equal(undefined);
    }
    expect(cidrContains(parseCidr('10.244.0.0/16')!, parseIp('10.244.255.1')!)).to.equal(true);
    expect(cidrContains(parseCidr('10.244.0.0/16')!, parseIp('10.245.0.1')!)).to.equal(false);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('fd00::1')!)).to.equal(false);
  });
});
