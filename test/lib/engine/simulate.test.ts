import { expect } from 'chai';
import { KernelError } from '../../../lib/kernel/kernel-error.js';
import { emptyObservedState, type ObservedState } from '../../../lib/engine/observed.js';
import type { Operation } from '../../../lib/engine/operations.js';
import { applyOperationsToState } from '../../../lib/engine/simulate.js';
import { observed, rs, set, vs } from './helpers/builders.js';

function refusal(o: ObservedState, ops: Operation[]): string {
  try {
    applyOperationsToState(o, ops);
  } catch (e) {
    if (e instanceof KernelError) return `${e.code}: ${e.hint}`;
    throw e;
  }
  return 'applied';
}

const svc = { protocol: 'tcp' as const, address: '10.96.0.10', port: 80 };
const spec = { ...svc, scheduler: 'rr', flags: [] };

describe('applyOperationsToState refuses what the kernel refuses', () => {
  const cases: [string, ObservedState, Operation[], string][] = [
    ['a real server for a missing virtual server', emptyObservedState(),
      [{ kind: 'rs-add', service: svc, realServer: rs('10.244.1.2:80') }], 'ESRCH: no such virtual server'],
    ['a virtual server twice', emptyObservedState(),
      [{ kind: 'vs-add', service: spec }, { kind: 'vs-add', service: spec }], 'EEXIST: virtual server exists'],
    ['an IPv6 real server by masquerade in an IPv4 service', observed({ virtualServers: [vs('tcp 10.96.0.10:80')] }),
      [{ kind: 'rs-add', service: svc, realServer: rs('[fd00::1]:80') }], 'EINVAL: mixed address families need tunnel forwarding'],
    ['a lower threshold above the upper one', observed({ virtualServers: [vs('tcp 10.96.0.10:80')] }),
      [{ kind: 'rs-add', service: svc, realServer: rs('10.244.1.2:80', 1, { lowerThreshold: 5 }) }], 'ERANGE: lower threshold is higher than upper threshold'],
    ['destroying a set our ledger holds', observed({ ipsets: [set('KUBE-X', 'hash:ip', [])], ownedIpsets: ['KUBE-X'] }),
      [{ kind: 'ipset-destroy', name: 'KUBE-X' }], 'EBUSY: set in use by list:set IPVS-PROXIER-SETS'],
    ['destroying a set rules use', observed({ ipsets: [set('KUBE-X', 'hash:ip', [])], iptables: { filter: { F: ['-m set --match-set KUBE-X src -j DROP'] } } }),
      [{ kind: 'ipset-destroy', name: 'KUBE-X' }], 'EBUSY: set in use by iptables rules'],
    ['renaming a referenced set', observed({ ipsets: [set('KUBE-X', 'hash:ip', [])], ownedIpsets: ['KUBE-X'] }),
      [{ kind: 'ipset-rename', from: 'KUBE-X', to: 'KUBE-Y' }], 'EBUSY: set cannot be renamed: in use by list:set IPVS-PROXIER-SETS'],
    ['swapping sets of different families', observed({ ipsets: [set('A', 'hash:ip', []), set('B', 'hash:ip', [], { family: 'inet6' })] }),
      [{ kind: 'ipset-swap', name: 'A', with: 'B' }], 'EINVAL: the sets cannot be swapped: their type does not match'],
    ['swapping sets of different type features', observed({ ipsets: [set('A', 'hash:ip', []), set('B', 'hash:net', [])] }),
      [{ kind: 'ipset-swap', name: 'A', with: 'B' }], 'EINVAL: the sets cannot be swapped: their type does not match'],
    ['recording a set that does not exist', observed({ ledgerSets: ['IPVS-PROXIER-SETS'] }),
      [{ kind: 'ledger-add', set: 'IPVS-PROXIER-SETS', entry: 'KUBE-X', object: 'ipset KUBE-X' }], 'ENOENT: set to be added as element does not exist'],
    ['recording into a missing ledger set', emptyObservedState(),
      [{ kind: 'ledger-add', set: 'IPVS-PROXIER-VS', entry: '10.96.0.10,tcp:80', object: 'x' }], 'ENOENT: no such ledger set'],
    ['adding a member twice', observed({ ipsets: [set('A', 'hash:ip', ['10.0.0.1'])] }),
      [{ kind: 'ipset-add', name: 'A', type: 'hash:ip', family: 'inet', entries: ['10.0.0.1'] }], 'EEXIST: 10.0.0.1: element already in the set'],
    ['members beyond maxelem', observed({ ipsets: [set('A', 'hash:ip', ['10.0.0.1'], { maxelem: 1 })] }),
      [{ kind: 'ipset-add', name: 'A', type: 'hash:ip', family: 'inet', entries: ['10.0.0.2'] }], 'ENOSPC: set is full (maxelem)'],
    ['members encoded for another type', observed({ ipsets: [set('A', 'hash:ip', [])] }),
      [{ kind: 'ipset-add', name: 'A', type: 'hash:net', family: 'inet', entries: ['10.0.0.0/8'] }], 'EINVAL: the set is hash:ip inet; members were encoded for hash:net inet'],
    ['rules naming a missing set', emptyObservedState(),
      [{ kind: 'iptables-sync', iptables: { nat: { S: ['-m set --match-set NOPE dst -j ACCEPT'] } } }], 'ENOENT: rules use set NOPE, which does not exist'],
    ['an address on a missing link', emptyObservedState(),
      [{ kind: 'address-add', interface: 'kube-ipvs0', address: '10.96.0.10/32' }], 'ENODEV: no such link'],
  ];
  for (const [what, o, ops, want] of cases) {
    it(what, () => {
      expect(refusal(o, ops)).to.equal(want);
    });
  }

  it('swap exchanges contents under the names; the ledger keeps pointing at the name', () => {
    const o = observed({ ipsets: [set('KUBE-X', 'hash:ip', ['10.0.0.1'])], ownedIpsets: ['KUBE-X'] });
    const after = applyOperationsToState(o, [
      { kind: 'ipset-create', set: { name: 'IPVS-PROXIER-TMP-0', type: 'hash:ip', family: 'inet', maxelem: 10 } },
      { kind: 'ipset-add', name: 'IPVS-PROXIER-TMP-0', type: 'hash:ip', family: 'inet', entries: ['10.0.0.2'] },
      { kind: 'ipset-swap', name: 'KUBE-X', with: 'IPVS-PROXIER-TMP-0' },
      { kind: 'ipset-destroy', name: 'IPVS-PROXIER-TMP-0' },
    ]);
    expect(after.ipsets).to.deep.equal([set('KUBE-X', 'hash:ip', ['10.0.0.2'], { maxelem: 10 })]);
    expect([...after.ledger.ipsets]).to.deep.equal(['KUBE-X']);
    expect([...after.ledger.temporaryIpsets]).to.deep.equal([]);
  });

  it('does not change its input', () => {
    const o = observed({ virtualServers: [vs('tcp 10.96.0.10:80', [rs('10.244.1.2:80')])], ownedVirtualServers: ['tcp 10.96.0.10:80'] });
    const copy = JSON.stringify(o, (_k, v) => (v instanceof Set ? [...v] : v));
    applyOperationsToState(o, [{ kind: 'rs-del', service: svc, realServer: rs('10.244.1.2:80') }, { kind: 'vs-del', service: spec }]);
    expect(JSON.stringify(o, (_k, v) => (v instanceof Set ? [...v] : v))).to.equal(copy);
  });
});
