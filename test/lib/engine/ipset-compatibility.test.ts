import { expect } from 'chai';
import { ipsetFit } from '../../../lib/engine/ipset-compatibility.js';
import { renameSetsInRules, sameIptablesSection, setsUsedByRules } from '../../../lib/engine/iptables-section.js';
import type { IpsetState } from '../../../lib/state/types.js';
import { set } from './helpers/builders.js';

describe('ipsetFit: keep, swap in a rebuilt copy, or re-create', () => {
  const cases: [string, IpsetState, IpsetState, string][] = [
    ['same settings', set('S', 'hash:ip', ['10.0.0.1']), set('S', 'hash:ip', []), 'keep'],
    ['hashsize only (the kernel grows it)', set('S', 'hash:ip', [], { hashsize: 8192 }), set('S', 'hash:ip', [], { hashsize: 1024 }), 'keep'],
    ['explicit default maxelem', set('S', 'hash:ip', [], { maxelem: 65536 }), set('S', 'hash:ip', []), 'keep'],
    ['explicit default range', set('P', 'bitmap:port', [], { range: '0-65535' }), set('P', 'bitmap:port', []), 'keep'],
    ['maxelem', set('S', 'hash:ip', []), set('S', 'hash:ip', [], { maxelem: 100 }), 'swap'],
    ['bitmap range', set('P', 'bitmap:port', []), set('P', 'bitmap:port', [], { range: '30000-32767' }), 'swap'],
    ['family', set('S', 'hash:ip', []), set('S', 'hash:ip', [], { family: 'inet6' }), 'recreate'],
    ['type with other features', set('S', 'hash:ip,port', []), set('S', 'hash:ip,port,ip', []), 'recreate'],
    ['hash:ip to hash:net (nomatch feature)', set('S', 'hash:ip', []), set('S', 'hash:net', []), 'recreate'],
    ['a foreign type the state format does not know', { name: 'S', type: 'hash:mac', family: 'inet', entries: [] } as unknown as IpsetState, set('S', 'hash:ip', []), 'recreate'],
  ];
  for (const [what, have, want, fit] of cases) {
    it(`${what}: ${fit}`, () => {
      expect(ipsetFit(have, want)).to.equal(fit);
    });
  }
});

describe('iptables section helpers', () => {
  const section = {
    nat: { 'KUBE-SERVICES': ['-m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ', '-m set ! --match-set KUBE-X src -j RETURN'] },
    filter: { 'KUBE-FORWARD': ['-j SET --add-set KUBE-Y src', '-m comment --comment "KUBE-X" -j ACCEPT'] },
  };

  it('lists the sets rules use', () => {
    expect([...setsUsedByRules(section)].sort()).to.deep.equal(['KUBE-CLUSTER-IP', 'KUBE-X', 'KUBE-Y']);
  });

  it('renames set references only', () => {
    expect(renameSetsInRules(section, new Map([['KUBE-X', 'TMP-0']]))).to.deep.equal({
      nat: { 'KUBE-SERVICES': ['-m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ', '-m set ! --match-set TMP-0 src -j RETURN'] },
      filter: { 'KUBE-FORWARD': ['-j SET --add-set KUBE-Y src', '-m comment --comment "KUBE-X" -j ACCEPT'] },
    });
  });

  it('compares sections regardless of key order, but rule order matters', () => {
    expect(sameIptablesSection(section, { filter: section.filter, nat: section.nat })).to.equal(true);
    expect(sameIptablesSection(section, { nat: { 'KUBE-SERVICES': [...section.nat['KUBE-SERVICES']].reverse() }, filter: section.filter })).to.equal(false);
    expect(sameIptablesSection(section, { nat: section.nat })).to.equal(false);
    expect(sameIptablesSection({}, {})).to.equal(true);
  });
});
