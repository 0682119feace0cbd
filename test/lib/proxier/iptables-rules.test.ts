import { expect } from 'chai';
import { parseCidr } from '../../../lib/proxier/addresses.js';
import { buildIptables, RULE, saveString } from '../../../lib/proxier/iptables-rules.js';
import type { IpsetId } from '../../../lib/proxier/ipsets.js';

describe('iptables rules in iptables-save form', () => {
  it('quotes strings the way xtables_save_string does', () => {
    expect(saveString('KUBE-SERVICES')).to.equal('KUBE-SERVICES');
    expect(saveString('a_b-1')).to.equal('a_b-1');
    expect(saveString('kubernetes service portals')).to.equal('"kubernetes service portals"');
    expect(saveString('ip + port')).to.equal('"ip + port"');
    expect(saveString("type 'hash ip:port'")).to.equal('"type \\\'hash ip:port\\\'"');
    expect(saveString('say "hi" \\ bye')).to.equal('"say \\"hi\\" \\\\ bye"');
    expect(saveString('')).to.equal('""');
  });

  it('prints MARK targets and mark matches as iptables-save does (--or-mark/--xor-mark become --set-xmark)', () => {
    expect(RULE.markForMasquerade()).to.equal('-j MARK --set-xmark 0x4000/0x4000');
    expect(RULE.clearMark()).to.equal('-j MARK --set-xmark 0x4000/0x0');
    expect(RULE.returnUnmarked()).to.equal('-m mark ! --mark 0x4000/0x4000 -j RETURN');
  });

  it('puts ! -s and -p before the matches, in save order', () => {
    expect(RULE.setMatch({
      set: 'KUBE-CLUSTER-IP', dirs: 'dst,dst', comment: 'c d', notSource: parseCidr('10.244.0.0/16')!, target: '-j KUBE-MARK-MASQ',
    })).to.equal('! -s 10.244.0.0/16 -m comment --comment "c d" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ');
    expect(RULE.setMatch({ set: 'S', dirs: 'dst', protocol: 'sctp', target: '-j RETURN' })).to.equal('-p sctp -m set --match-set S dst -j RETURN');
  });

  it('prints the ipvs match with a numeric protocol and no /32 or /128 on the virtual address', () => {
    expect(RULE.dropNodeToLoadBalancer('inet', '203.0.113.5', 'udp', 53)).to.equal(
      '-s 203.0.113.5/32 -m ipvs --vproto 17 --vaddr 203.0.113.5 --vport 53 -j DROP',
    );
    expect(RULE.dropNodeToLoadBalancer('inet6', '2001:db8::5', 'sctp', 3868)).to.equal(
      '-s 2001:db8::5/128 -m ipvs --vproto 132 --vaddr 2001:db8::5 --vport 3868 -j DROP',
    );
  });

  it('writes a set-matching rule only when the set has members; filter rules always name every set', () => {
    const none = buildIptables({ family: 'inet', nonEmpty: new Set(), masqueradeAll: false, lbNoNodeAccess: [] });
    expect(none.nat['KUBE-SERVICES']).to.deep.equal(['-s 127.0.0.0/8 -j RETURN', '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT']);
    expect(none.nat['KUBE-NODE-PORT']).to.deep.equal([]);
    expect(none.filter['KUBE-IPVS-FILTER']).to.have.length(6);
    expect(none.filter['KUBE-NODE-PORT']).to.have.length(1);

    const all = new Set<IpsetId>(['externalIPLocal', 'loadBalancerFW', 'loadBalancerSourceIP']);
    const some = buildIptables({ family: 'inet6', nonEmpty: all, masqueradeAll: false, lbNoNodeAccess: [] });
    expect(some.nat['KUBE-SERVICES']).to.deep.equal([
      '-s ::1/128 -j RETURN',
      '-m comment --comment "Kubernetes service external ip + port with externalTrafficPolicy=local" -m set --match-set KUBE-6-EXTERNAL-IP-LOCAL dst,dst -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT',
      '-m comment --comment "Kubernetes service external ip + port with externalTrafficPolicy=local" -m set --match-set KUBE-6-EXTERNAL-IP-LOCAL dst,dst -m addrtype --dst-type LOCAL -j ACCEPT',
      '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
    ]);
    expect(some.filter['KUBE-PROXY-FIREWALL']).to.deep.equal([
      '-m comment --comment "Kubernetes service load balancer ip + port for load balancer with sourceRange" -m set --match-set KUBE-6-LOAD-BALANCER-FW dst,dst -j KUBE-SOURCE-RANGES-FIREWALL',
    ]);
    expect(some.filter['KUBE-SOURCE-RANGES-FIREWALL']).to.deep.equal([
      '-m comment --comment "Kubernetes service load balancer ip + port + source IP for packet filter purpose" -m set --match-set KUBE-6-LOAD-BALANCER-SOURCE-IP dst,dst,src -j RETURN',
      '-j DROP',
    ]);
  });

  it('orders the node-to-LB DROP rules deterministically', () => {
    const t = buildIptables({
      family: 'inet', nonEmpty: new Set(), masqueradeAll: false,
      lbNoNodeAccess: [{ address: '203.0.113.9', protocol: 'tcp', port: 80 }, { address: '203.0.113.10', protocol: 'tcp', port: 443 }],
    });
    expect(t.filter['KUBE-IPVS-OUT-FILTER']).to.deep.equal([
      '-s 203.0.113.10/32 -m ipvs --vproto 6 --vaddr 203.0.113.10 --vport 443 -j DROP',
      '-s 203.0.113.9/32 -m ipvs --vproto 6 --vaddr 203.0.113.9 --vport 80 -j DROP',
    ]);
  });
});
