import { expect } from 'chai';
import { describe as describeOp, type Operation, type OperationKind } from '../../../lib/engine/operations.js';

const svc = { protocol: 'tcp' as const, address: '10.96.0.10', port: 80 };
const spec = { ...svc, scheduler: 'rr', flags: [] };
const backend = { address: '10.244.1.2', port: 8080, weight: 1, forward: 'masq' as const };

const cases: [Operation, string][] = [
  [{ kind: 'ledger-create', set: 'IPVS-PROXIER-VS6' }, '+ ledger set IPVS-PROXIER-VS6 hash:ip,port inet6'],
  [{ kind: 'ledger-destroy', set: 'IPVS-PROXIER-SETS' }, '- ledger set IPVS-PROXIER-SETS'],
  [{ kind: 'ledger-add', set: 'IPVS-PROXIER-VS', entry: '10.96.0.10,tcp:80', object: 'virtual server tcp 10.96.0.10:80' },
    '+ ledger IPVS-PROXIER-VS 10.96.0.10,tcp:80 (virtual server tcp 10.96.0.10:80)'],
  [{ kind: 'ledger-del', set: 'IPVS-PROXIER-SETS', entry: 'KUBE-X', object: 'ipset KUBE-X' }, '- ledger IPVS-PROXIER-SETS KUBE-X (ipset KUBE-X)'],
  [{ kind: 'link-create', name: 'kube-ipvs0' }, '+ link kube-ipvs0 (dummy)'],
  [{ kind: 'link-del', name: 'kube-ipvs0' }, '- link kube-ipvs0'],
  [{ kind: 'address-add', interface: 'kube-ipvs0', address: '10.96.0.10/32' }, '+ address 10.96.0.10/32 on kube-ipvs0'],
  [{ kind: 'address-del', interface: 'kube-ipvs0', address: 'fd00::a/128' }, '- address fd00::a/128 on kube-ipvs0'],
  [{ kind: 'vs-add', service: spec }, '+ virtual server tcp 10.96.0.10:80 rr'],
  [{ kind: 'vs-add', service: { fwmark: 5, family: 'inet6', scheduler: 'sh', flags: ['persistent', 'sh-port'], timeout: 300, netmask: 64, pe: 'sip' } },
    '+ virtual server fwmark inet6 5 sh persistent sh-port timeout 300 netmask 64 pe sip'],
  [{ kind: 'vs-update', service: { ...spec, scheduler: 'lc' }, previous: spec, changes: ['scheduler'] },
    '~ virtual server tcp 10.96.0.10:80 scheduler rr -> lc'],
  [{ kind: 'vs-update', service: { ...spec, flags: ['persistent'], timeout: 10800 }, previous: spec, changes: ['flags', 'timeout'] },
    '~ virtual server tcp 10.96.0.10:80 flags none -> persistent, timeout none -> 10800'],
  [{ kind: 'vs-del', service: spec }, '- virtual server tcp 10.96.0.10:80'],
  [{ kind: 'rs-add', service: svc, realServer: backend }, '+ real server tcp 10.96.0.10:80 -> 10.244.1.2:8080 masq weight 1'],
  [{ kind: 'rs-add', service: { protocol: 'udp', address: 'fd00::a', port: 53 }, realServer: { address: 'fd00::1', port: 53, weight: 3, forward: 'tunnel', upperThreshold: 9 } },
    '+ real server udp [fd00::a]:53 -> [fd00::1]:53 tunnel weight 3 upper 9'],
  [{ kind: 'rs-update', service: svc, realServer: { ...backend, weight: 0 }, previous: backend, changes: ['weight'], draining: 4 },
    '~ real server tcp 10.96.0.10:80 -> 10.244.1.2:8080 weight 1 -> 0 (graceful termination: 4 connections draining)'],
  [{ kind: 'rs-del', service: svc, realServer: backend }, '- real server tcp 10.96.0.10:80 -> 10.244.1.2:8080'],
  [{ kind: 'ipset-create', set: { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: 'inet', range: '0-65535' } }, '+ ipset KUBE-NODE-PORT-TCP bitmap:port range 0-65535'],
  [{ kind: 'ipset-create', set: { name: 'KUBE-6-CLUSTER-IP', type: 'hash:ip,port', family: 'inet6', hashsize: 1024, maxelem: 65536 } },
    '+ ipset KUBE-6-CLUSTER-IP hash:ip,port inet6 hashsize 1024 maxelem 65536'],
  [{ kind: 'ipset-add', name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.10,tcp:80'] }, '+ ipset entry KUBE-CLUSTER-IP 10.96.0.10,tcp:80'],
  [{ kind: 'ipset-del', name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.10,tcp:80'] }, '- ipset entry KUBE-CLUSTER-IP 10.96.0.10,tcp:80'],
  [{ kind: 'ipset-add', name: 'KUBE-IPVS-IPS', type: 'hash:ip', family: 'inet', entries: ['10.96.0.1', '10.96.0.10'] }, '+ ipset 2 entries KUBE-IPVS-IPS 10.96.0.1 10.96.0.10'],
  [{ kind: 'ipset-destroy', name: 'KUBE-OLD' }, '- ipset KUBE-OLD'],
  [{ kind: 'ipset-swap', name: 'KUBE-X', with: 'IPVS-PROXIER-TMP-0' }, '~ ipset swap KUBE-X <-> IPVS-PROXIER-TMP-0'],
  [{ kind: 'ipset-rename', from: 'IPVS-PROXIER-TMP-0', to: 'KUBE-X' }, '~ ipset rename IPVS-PROXIER-TMP-0 -> KUBE-X'],
  [{ kind: 'ipset-flush', name: 'KUBE-X' }, '~ ipset flush KUBE-X'],
  [{ kind: 'iptables-sync', iptables: { nat: { A: [], B: [] }, filter: { C: [] } } }, '~ iptables sync nat (2 chains), filter (1 chains)'],
  [{ kind: 'iptables-sync', iptables: {} }, '~ iptables sync: remove every rule and chain we own'],
  [{ kind: 'iptables-sync', iptables: {}, renamedSets: { 'KUBE-X': 'IPVS-PROXIER-TMP-0' } },
    '~ iptables sync, interim: rules use KUBE-X -> IPVS-PROXIER-TMP-0 while the sets are re-created'],
];

describe('operation descriptions', () => {
  for (const [op, text] of cases) {
    it(text, () => {
      expect(describeOp(op)).to.equal(text);
    });
  }

  it('covers every kind', () => {
    // A Record over the union: adding a kind without listing it here fails to compile.
    const all: Record<OperationKind, true> = {
      'ledger-create': true, 'ledger-destroy': true, 'ledger-add': true, 'ledger-del': true, 'link-create': true, 'link-del': true,
      'address-add': true, 'address-del': true, 'vs-add': true, 'vs-update': true, 'vs-del': true, 'rs-add': true,
      'rs-update': true, 'rs-del': true, 'ipset-create': true, 'ipset-add': true, 'ipset-del': true, 'ipset-destroy': true,
      'ipset-swap': true, 'ipset-rename': true, 'ipset-flush': true, 'iptables-sync': true,
    };
    expect([...new Set(cases.map(([op]) => op.kind))].sort()).to.deep.equal(Object.keys(all).sort());
  });
});
