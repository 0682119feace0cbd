import { expect } from 'chai';
import { emptyObservedState } from '../../../lib/engine/observed.js';
import { planChanges } from '../../../lib/engine/plan.js';
import { planCleanup } from '../../../lib/engine/plan-cleanup.js';
import { applyOperationsToState } from '../../../lib/engine/simulate.js';
import { lines, observed, rs, set, state, vs } from './helpers/builders.js';

describe('planCleanup', () => {
  const desired = state({
    interface: { name: 'kube-ipvs0', addresses: ['10.96.0.10/32'] },
    virtualServers: [vs('tcp 10.96.0.10:80', [rs('10.244.1.2:8080')]), vs('fwmark inet6 3')],
    ipsets: [set('KUBE-CLUSTER-IP', 'hash:ip,port', ['10.96.0.10,tcp:80']), set('KUBE-IPVS-IPS', 'hash:ip', ['10.96.0.10'])],
    iptables: { nat: { 'KUBE-SERVICES': ['-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT'] } },
  });
  const foreign = observed({
    virtualServers: [vs('tcp 10.96.0.10:8443', [rs('192.168.1.10:8443')])],
    ipsets: [set('KEEPALIVED', 'hash:ip', [])],
    interface: { name: 'kube-ipvs0', exists: false, addresses: [] },
  });
  // Built inside the tests, so a planner bug fails them instead of aborting the whole run.
  const ours = () => applyOperationsToState(foreign, planChanges(desired, foreign));

  it('removes everything owned, iptables before sets, then the link, then the ledgers', () => {
    expect(lines(planCleanup(ours()))).to.deep.equal([
      '- virtual server tcp 10.96.0.10:80',
      '- virtual server fwmark inet6 3',
      '~ iptables sync: remove every rule and chain we own',
      '- ledger IPVS-PROXIER-SETS KUBE-CLUSTER-IP (ipset KUBE-CLUSTER-IP)',
      '- ipset KUBE-CLUSTER-IP',
      '- ledger IPVS-PROXIER-SETS KUBE-IPVS-IPS (ipset KUBE-IPVS-IPS)',
      '- ipset KUBE-IPVS-IPS',
      '- link kube-ipvs0',
      '- ledger set IPVS-PROXIER-VS',
      '- ledger set IPVS-PROXIER-FWM6',
      '- ledger set IPVS-PROXIER-SETS',
    ]);
  });

  it('leaves exactly the foreign objects behind', () => {
    const kernel = ours();
    const after = applyOperationsToState(kernel, planCleanup(kernel));
    expect(after.virtualServers.map((v) => v.port)).to.deep.equal([8443]);
    expect(after.ipsets.map((s) => s.name)).to.deep.equal(['KEEPALIVED']);
    expect(after.ledger.sets.size).to.equal(0);
    expect(after.interface?.exists).to.equal(false);
    expect(planCleanup(after).map((o) => o.kind)).to.deep.equal(['iptables-sync']);
  });

  it('on a kernel with nothing of ours only asks iptables to clean up', () => {
    expect(lines(planCleanup(emptyObservedState()))).to.deep.equal(['~ iptables sync: remove every rule and chain we own']);
  });

  it('destroys leftover temporary sets and prunes ledgers of vanished servers', () => {
    const o = observed({ ownedVirtualServers: ['tcp 10.0.0.1:80'], temporaryIpsets: ['IPVS-PROXIER-TMP-0'] });
    expect(lines(planCleanup(o))).to.deep.equal([
      '~ iptables sync: remove every rule and chain we own',
      '- ipset IPVS-PROXIER-TMP-0',
      '- ledger set IPVS-PROXIER-VS',
    ]);
  });
});
