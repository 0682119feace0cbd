import { expect } from 'chai';
import { emptyObservedState } from '../../../lib/engine/observed.js';
import { planChanges } from '../../../lib/engine/plan.js';
import { applyOperationsToState } from '../../../lib/engine/simulate.js';
import { appliedFromEmpty, lines, observed, rs, set, state, vs } from './helpers/builders.js';
import { orderingViolations } from './helpers/invariants.js';

const web = vs('tcp 10.96.0.10:80', [rs('10.244.1.2:8080'), rs('10.244.2.3:8080')]);
const dns = vs('udp 10.96.0.10:53', [rs('10.244.1.5:53')]);
const clusterIp = set('KUBE-CLUSTER-IP', 'hash:ip,port', ['10.96.0.10,tcp:80', '10.96.0.10,udp:53']);
const desired = state({
  interface: { name: 'kube-ipvs0', addresses: ['10.96.0.10/32'] },
  virtualServers: [web, dns],
  ipsets: [clusterIp],
  iptables: { nat: { 'KUBE-SERVICES': ['-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT'] } },
});

describe('planChanges', () => {
  it('from an empty kernel: ledger sets, link, addresses, sets, servers, then iptables', () => {
    expect(lines(planChanges(desired, emptyObservedState()))).to.deep.equal([
      '+ ledger set IPVS-PROXIER-VS hash:ip,port inet',
      '+ ledger set IPVS-PROXIER-SETS list:set',
      '+ link kube-ipvs0 (dummy)',
      '+ address 10.96.0.10/32 on kube-ipvs0',
      '+ ipset KUBE-CLUSTER-IP hash:ip,port inet',
      '+ ledger IPVS-PROXIER-SETS KUBE-CLUSTER-IP (ipset KUBE-CLUSTER-IP)',
      '+ ipset 2 entries KUBE-CLUSTER-IP 10.96.0.10,tcp:80 10.96.0.10,udp:53',
      '+ ledger IPVS-PROXIER-VS 10.96.0.10,tcp:80 (virtual server tcp 10.96.0.10:80)',
      '+ virtual server tcp 10.96.0.10:80 rr',
      '+ ledger IPVS-PROXIER-VS 10.96.0.10,udp:53 (virtual server udp 10.96.0.10:53)',
      '+ virtual server udp 10.96.0.10:53 rr',
      '+ real server tcp 10.96.0.10:80 -> 10.244.1.2:8080 masq weight 1',
      '+ real server tcp 10.96.0.10:80 -> 10.244.2.3:8080 masq weight 1',
      '+ real server udp 10.96.0.10:53 -> 10.244.1.5:53 masq weight 1',
      '~ iptables sync nat (1 chains)',
    ]);
  });

  it('identical state: zero operations', () => {
    expect(planChanges(desired, appliedFromEmpty(desired))).to.deep.equal([]);
  });

  it('identical state read from a kernel (own listing order, explicit defaults, grown hashsize): zero operations', () => {
    const read = observed({
      interface: { name: 'kube-ipvs0', exists: true, addresses: ['10.96.0.10/32'] },
      virtualServers: [
        vs('udp 10.96.0.10:53', [rs('10.244.1.5:53')]),
        vs('tcp 10.96.0.10:80', [rs('10.244.2.3:8080'), rs('10.244.1.2:8080')], { netmask: '255.255.255.255' }),
      ],
      ipsets: [set('KUBE-CLUSTER-IP', 'hash:ip,port', ['10.96.0.10,udp:53', '10.96.0.10,tcp:80'], { hashsize: 4096, maxelem: 65536 })],
      ownedVirtualServers: ['tcp 10.96.0.10:80', 'udp 10.96.0.10:53'],
      ownedIpsets: ['KUBE-CLUSTER-IP'],
      iptables: { nat: { 'KUBE-SERVICES': ['-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT'] } },
    });
    expect(lines(planChanges(desired, read))).to.deep.equal([]);
  });

  it('one endpoint replaced: exactly one real server added, then the old one removed', () => {
    const moved = state({ ...desired, virtualServers: [vs('tcp 10.96.0.10:80', [rs('10.244.1.2:8080'), rs('10.244.3.4:8080')]), dns] });
    expect(lines(planChanges(moved, appliedFromEmpty(desired)))).to.deep.equal([
      '+ real server tcp 10.96.0.10:80 -> 10.244.3.4:8080 masq weight 1',
      '- real server tcp 10.96.0.10:80 -> 10.244.2.3:8080',
    ]);
  });

  const inPlace: [string, Partial<typeof web>, string][] = [
    ['scheduler', { scheduler: 'lc' }, '~ virtual server tcp 10.96.0.10:80 scheduler rr -> lc'],
    ['persistence', { flags: ['persistent'], timeout: 10800 }, '~ virtual server tcp 10.96.0.10:80 flags none -> persistent, timeout none -> 10800'],
    ['scheduler flags', { scheduler: 'sh', flags: ['sh-port'] }, '~ virtual server tcp 10.96.0.10:80 scheduler rr -> sh, flags none -> sh-port'],
    ['netmask', { flags: ['persistent'], timeout: 60, netmask: '255.255.255.0' }, '~ virtual server tcp 10.96.0.10:80 flags none -> persistent, timeout none -> 60, netmask none -> 255.255.255.0'],
  ];
  for (const [what, change, line] of inPlace) {
    it(`${what} change: one in-place virtual server update, no delete/add`, () => {
      const changed = state({ ...desired, virtualServers: [{ ...web, ...change }, dns] });
      expect(lines(planChanges(changed, appliedFromEmpty(desired)))).to.deep.equal([line]);
    });
  }

  it('real server weight, forward and thresholds change in place', () => {
    const changed = state({
      ...desired,
      virtualServers: [vs('tcp 10.96.0.10:80', [rs('10.244.1.2:8080', 5), rs('10.244.2.3:8080', 1, { upperThreshold: 100, lowerThreshold: 10 })]), dns],
    });
    expect(lines(planChanges(changed, appliedFromEmpty(desired)))).to.deep.equal([
      '~ real server tcp 10.96.0.10:80 -> 10.244.1.2:8080 weight 1 -> 5',
      '~ real server tcp 10.96.0.10:80 -> 10.244.2.3:8080 upperThreshold 0 -> 100, lowerThreshold 0 -> 10',
    ]);
  });

  it('leaves foreign virtual servers and sets alone, even on the same address', () => {
    const keepalived = vs('tcp 10.96.0.10:8443', [rs('192.168.1.10:8443')], { scheduler: 'wlc' });
    const sameAddrOtherProto = vs('sctp 10.96.0.10:80', [rs('192.168.1.11:80')]);
    const foreignSet = set('KEEPALIVED-ALLOW', 'hash:ip', ['192.168.1.0']);
    const kernel = applyOperationsToState(
      observed({ virtualServers: [keepalived, sameAddrOtherProto], ipsets: [foreignSet] }),
      planChanges(desired, emptyObservedState()),
    );
    expect(planChanges(desired, kernel)).to.deep.equal([]);
    // Removing everything from the state removes only ours.
    const ops = planChanges(state({ iptables: {} }), kernel);
    const text = lines(ops).join('\n');
    expect(text).not.to.contain('8443');
    expect(text).not.to.contain('sctp');
    expect(text).not.to.contain('KEEPALIVED-ALLOW');
    const after = applyOperationsToState(kernel, ops);
    expect(after.virtualServers.map((v) => `${v.protocol} ${v.port}`)).to.deep.equal(['tcp 8443', 'sctp 80']);
    expect(after.ipsets.map((s) => s.name)).to.deep.equal(['KEEPALIVED-ALLOW']);
  });

  it('adopts an unowned desired virtual server: ledger entry only, when it already matches', () => {
    const kubeProxyLeftover = observed({ virtualServers: [web] });
    expect(lines(planChanges(state({ virtualServers: [web] }), kubeProxyLeftover))).to.deep.equal([
      '+ ledger set IPVS-PROXIER-VS hash:ip,port inet',
      '+ ledger IPVS-PROXIER-VS 10.96.0.10,tcp:80 (virtual server tcp 10.96.0.10:80)',
    ]);
  });

  it('adopts and then updates in place; real servers of an adopted server are ours to remove', () => {
    const leftover = observed({ virtualServers: [vs('tcp 10.96.0.10:80', [rs('10.244.1.2:8080'), rs('10.244.9.9:8080')], { scheduler: 'wlc' })] });
    expect(lines(planChanges(state({ virtualServers: [web] }), leftover))).to.deep.equal([
      '+ ledger set IPVS-PROXIER-VS hash:ip,port inet',
      '+ ledger IPVS-PROXIER-VS 10.96.0.10,tcp:80 (virtual server tcp 10.96.0.10:80)',
      '+ real server tcp 10.96.0.10:80 -> 10.244.2.3:8080 masq weight 1',
      '~ virtual server tcp 10.96.0.10:80 scheduler wlc -> rr',
      '- real server tcp 10.96.0.10:80 -> 10.244.9.9:8080',
    ]);
  });

  it('removes an owned server that left the state, then its ledger entry; prunes stale ledger entries', () => {
    const kernel = observed({
      virtualServers: [web, dns],
      ownedVirtualServers: ['tcp 10.96.0.10:80', 'udp 10.96.0.10:53', 'tcp 10.96.0.99:80', 'fwmark inet6 7'],
    });
    expect(lines(planChanges(state({ virtualServers: [web] }), kernel))).to.deep.equal([
      '- virtual server udp 10.96.0.10:53',
      '- ledger IPVS-PROXIER-VS 10.96.0.10,udp:53 (virtual server udp 10.96.0.10:53)',
      '- ledger IPVS-PROXIER-VS 10.96.0.99,tcp:80 (virtual server tcp 10.96.0.99:80)',
      '- ledger IPVS-PROXIER-FWM6 0.0.0.7 (virtual server fwmark inet6 7)',
    ]);
  });

  it('neverDelete keeps an owned server that left the state (--ipvs-exclude-cidrs), and its ledger entry', () => {
    const other = vs('tcp 10.96.0.20:80', [rs('10.244.2.1:8080')]);
    const kernel = observed({ virtualServers: [web, dns, other], ownedVirtualServers: ['tcp 10.96.0.10:80', 'udp 10.96.0.10:53', 'tcp 10.96.0.20:80'] });
    const ops = planChanges(state({ virtualServers: [] }), kernel, { neverDelete: (v) => v.address === '10.96.0.10' });
    expect(lines(ops)).to.deep.equal([
      '- virtual server tcp 10.96.0.20:80',
      '- ledger IPVS-PROXIER-VS 10.96.0.20,tcp:80 (virtual server tcp 10.96.0.20:80)',
    ]);
  });

  it('a desired server that vanished but is still recorded is re-created without a second ledger entry', () => {
    const kernel = observed({ ownedVirtualServers: ['tcp 10.96.0.10:80'] });
    expect(lines(planChanges(state({ virtualServers: [vs('tcp 10.96.0.10:80')] }), kernel))).to.deep.equal([
      '+ virtual server tcp 10.96.0.10:80 rr',
    ]);
  });

  describe('interface', () => {
    it('keeps its addresses equal to the state: new ones first, old ones last', () => {
      const kernel = observed({
        virtualServers: [web],
        ownedVirtualServers: ['tcp 10.96.0.10:80'],
        interface: { name: 'kube-ipvs0', exists: true, addresses: ['10.96.0.10/32', '10.96.0.99/32'] },
      });
      const want = state({ interface: { name: 'kube-ipvs0', addresses: ['10.96.0.10/32', 'fd00::a/128'] }, virtualServers: [web] });
      expect(lines(planChanges(want, kernel))).to.deep.equal([
        '+ address fd00::a/128 on kube-ipvs0',
        '- address 10.96.0.99/32 on kube-ipvs0',
      ]);
    });

    it('without an interface section, no interface is touched', () => {
      const kernel = observed({ interface: { name: 'kube-ipvs0', exists: true, addresses: ['10.96.0.99/32'] } });
      expect(planChanges(state({}), kernel)).to.deep.equal([]);
    });

    it('an observed interface of another name is not the state\'s: the state\'s is created', () => {
      const kernel = observed({ interface: { name: 'eth0', exists: true, addresses: ['192.168.1.2/24'] } });
      expect(lines(planChanges(state({ interface: { name: 'kube-ipvs0', addresses: [] } }), kernel))).to.deep.equal([
        '+ link kube-ipvs0 (dummy)',
      ]);
    });
  });

  describe('ipsets', () => {
    const owned = (sets: ReturnType<typeof set>[], extra = {}) => observed({ ipsets: sets, ownedIpsets: sets.map((s) => s.name), ...extra });

    it('members: added early, removed late', () => {
      const kernel = owned([set('KUBE-CLUSTER-IP', 'hash:ip,port', ['10.96.0.10,tcp:80', '10.96.0.99,tcp:80'])]);
      const want = state({ virtualServers: [web], ipsets: [set('KUBE-CLUSTER-IP', 'hash:ip,port', ['10.96.0.10,tcp:80', '10.96.0.11,tcp:80'])] });
      expect(lines(planChanges(want, kernel))).to.deep.equal([
        '+ ledger set IPVS-PROXIER-VS hash:ip,port inet',
        '+ ipset entry KUBE-CLUSTER-IP 10.96.0.11,tcp:80',
        '+ ledger IPVS-PROXIER-VS 10.96.0.10,tcp:80 (virtual server tcp 10.96.0.10:80)',
        '+ virtual server tcp 10.96.0.10:80 rr',
        '+ real server tcp 10.96.0.10:80 -> 10.244.1.2:8080 masq weight 1',
        '+ real server tcp 10.96.0.10:80 -> 10.244.2.3:8080 masq weight 1',
        '- ipset entry KUBE-CLUSTER-IP 10.96.0.99,tcp:80',
      ]);
    });

    it('adopts an unowned desired set of the same kind', () => {
      const kernel = observed({ ipsets: [set('KUBE-LOOP-BACK', 'hash:ip,port,ip', ['10.244.1.2,tcp:80,10.244.1.2'])] });
      const want = state({ ipsets: [set('KUBE-LOOP-BACK', 'hash:ip,port,ip', ['10.244.1.2,tcp:80,10.244.1.2'])] });
      expect(lines(planChanges(want, kernel))).to.deep.equal([
        '+ ledger set IPVS-PROXIER-SETS list:set',
        '+ ledger IPVS-PROXIER-SETS KUBE-LOOP-BACK (ipset KUBE-LOOP-BACK)',
      ]);
    });

    it('a hashsize difference alone is no reason to rebuild (the kernel grows hashes)', () => {
      const kernel = owned([set('KUBE-IPVS-IPS', 'hash:ip', ['10.96.0.10'], { hashsize: 2048 })]);
      expect(planChanges(state({ ipsets: [set('KUBE-IPVS-IPS', 'hash:ip', ['10.96.0.10'])] }), kernel)).to.deep.equal([]);
    });

    it('maxelem changed: rebuilt under a temporary name and swapped in atomically', () => {
      const kernel = owned([set('KUBE-IPVS-IPS', 'hash:ip', ['10.96.0.10'])]);
      const want = state({ ipsets: [set('KUBE-IPVS-IPS', 'hash:ip', ['10.96.0.10', '10.96.0.11'], { maxelem: 131072 })] });
      expect(lines(planChanges(want, kernel))).to.deep.equal([
        '+ ipset IPVS-PROXIER-TMP-0 hash:ip inet maxelem 131072',
        '+ ipset 2 entries IPVS-PROXIER-TMP-0 10.96.0.10 10.96.0.11',
        '~ ipset swap KUBE-IPVS-IPS <-> IPVS-PROXIER-TMP-0',
        '- ipset IPVS-PROXIER-TMP-0',
      ]);
    });

    it('bitmap:port range changed: swap too', () => {
      const kernel = owned([set('KUBE-NODE-PORT-TCP', 'bitmap:port', ['30080'])]);
      const want = state({ ipsets: [set('KUBE-NODE-PORT-TCP', 'bitmap:port', ['30080'], { range: '30000-32767' })] });
      expect(lines(planChanges(want, kernel))).to.contain('~ ipset swap KUBE-NODE-PORT-TCP <-> IPVS-PROXIER-TMP-0');
    });

    it('family changed, rules use it: interim sync on a temporary copy, re-create, final sync', () => {
      const rules = { filter: { 'KUBE-IPVS-FILTER': ['-m set --match-set KUBE-IPVS-IPS dst -j REJECT'] } };
      const kernel = owned([set('KUBE-IPVS-IPS', 'hash:ip', ['10.96.0.10'])], { iptables: rules });
      const want = state({ ipsets: [set('KUBE-IPVS-IPS', 'hash:ip', ['fd00::a'], { family: 'inet6' })], iptables: rules });
      const ops = planChanges(want, kernel);
      expect(lines(ops)).to.deep.equal([
        '+ ipset IPVS-PROXIER-TMP-0 hash:ip inet6',
        '+ ipset entry IPVS-PROXIER-TMP-0 fd00::a',
        '~ iptables sync, interim: rules use KUBE-IPVS-IPS -> IPVS-PROXIER-TMP-0 while the sets are re-created',
        '- ledger IPVS-PROXIER-SETS KUBE-IPVS-IPS (ipset KUBE-IPVS-IPS)',
        '- ipset KUBE-IPVS-IPS',
        '+ ipset KUBE-IPVS-IPS hash:ip inet6',
        '+ ledger IPVS-PROXIER-SETS KUBE-IPVS-IPS (ipset KUBE-IPVS-IPS)',
        '+ ipset entry KUBE-IPVS-IPS fd00::a',
        '~ iptables sync filter (1 chains)',
        '- ipset IPVS-PROXIER-TMP-0',
      ]);
      const interim = ops.find((o) => o.kind === 'iptables-sync' && o.renamedSets);
      expect(interim).to.deep.include({ iptables: { filter: { 'KUBE-IPVS-FILTER': ['-m set --match-set IPVS-PROXIER-TMP-0 dst -j REJECT'] } } });
      const after = applyOperationsToState(kernel, ops);
      expect(after.iptables).to.deep.equal(rules);
      expect(planChanges(want, after)).to.deep.equal([]);
    });

    it('type changed, no iptables section: the filled copy is renamed into place', () => {
      const kernel = owned([set('KUBE-X', 'hash:ip', ['10.0.0.1'])]);
      const want = state({ ipsets: [set('KUBE-X', 'hash:net', ['10.0.0.0/8'])] });
      expect(lines(planChanges(want, kernel))).to.deep.equal([
        '+ ipset IPVS-PROXIER-TMP-0 hash:net inet',
        '+ ipset entry IPVS-PROXIER-TMP-0 10.0.0.0/8',
        '- ledger IPVS-PROXIER-SETS KUBE-X (ipset KUBE-X)',
        '- ipset KUBE-X',
        '~ ipset rename IPVS-PROXIER-TMP-0 -> KUBE-X',
        '+ ledger IPVS-PROXIER-SETS KUBE-X (ipset KUBE-X)',
      ]);
    });

    it('an owned set that left the state is destroyed after the iptables sync stopped using it', () => {
      const kernel = owned([clusterIp, set('KUBE-OLD', 'hash:ip', [])], {
        iptables: { nat: { 'KUBE-SERVICES': ['-m set --match-set KUBE-OLD dst -j ACCEPT'] } },
      });
      const want = state({ ipsets: [clusterIp], iptables: desired.iptables! });
      const ops = planChanges(want, kernel);
      expect(lines(ops)).to.deep.equal([
        '~ iptables sync nat (1 chains)',
        '- ledger IPVS-PROXIER-SETS KUBE-OLD (ipset KUBE-OLD)',
        '- ipset KUBE-OLD',
      ]);
      expect(() => applyOperationsToState(kernel, ops)).not.to.throw();
    });

    it('leftover temporary sets of an interrupted apply are destroyed, and their names not reused meanwhile', () => {
      const kernel = owned([set('KUBE-X', 'hash:ip', [])], { temporaryIpsets: ['IPVS-PROXIER-TMP-0'] });
      const want = state({ ipsets: [set('KUBE-X', 'hash:ip', [], { maxelem: 10 })] });
      expect(lines(planChanges(want, kernel))).to.deep.equal([
        '+ ipset IPVS-PROXIER-TMP-1 hash:ip inet maxelem 10',
        '~ ipset swap KUBE-X <-> IPVS-PROXIER-TMP-1',
        '- ipset IPVS-PROXIER-TMP-1',
        '- ipset IPVS-PROXIER-TMP-0',
      ]);
    });
  });

  describe('iptables sync', () => {
    it('is emitted once, after sets are filled and before sets are destroyed, only with an iptables section', () => {
      expect(planChanges(state({ ipsets: [clusterIp] }), emptyObservedState()).some((o) => o.kind === 'iptables-sync')).to.equal(false);
      const ops = planChanges(desired, emptyObservedState());
      expect(ops.filter((o) => o.kind === 'iptables-sync')).to.have.length(1);
    });

    it('is emitted when the observed rules are unknown, skipped when they already match', () => {
      const kernel = appliedFromEmpty(desired);
      expect(planChanges(desired, { ...kernel, iptables: undefined }).map((o) => o.kind)).to.deep.equal(['iptables-sync']);
      expect(planChanges(desired, kernel)).to.deep.equal([]);
    });
  });

  it('keeps the ordering rules on a plan that does everything at once', () => {
    const kernel = observed({
      virtualServers: [vs('tcp 10.96.0.10:80', [rs('10.244.9.9:8080')], { scheduler: 'wlc' }), vs('tcp 10.96.0.77:80', [rs('10.244.9.9:80')])],
      ownedVirtualServers: ['tcp 10.96.0.10:80', 'tcp 10.96.0.77:80'],
      ipsets: [set('KUBE-OLD', 'hash:ip', ['10.0.0.1']), set('KUBE-CLUSTER-IP', 'hash:ip', ['10.96.0.10'])],
      ownedIpsets: ['KUBE-OLD', 'KUBE-CLUSTER-IP'],
      interface: { name: 'kube-ipvs0', exists: true, addresses: ['10.96.0.77/32'] },
      iptables: { nat: { 'KUBE-SERVICES': ['-m set --match-set KUBE-OLD dst -j ACCEPT', '-m set --match-set KUBE-CLUSTER-IP dst -j ACCEPT'] } },
    });
    const ops = planChanges(desired, kernel);
    expect(orderingViolations(ops, kernel)).to.deep.equal([]);
    const after = applyOperationsToState(kernel, ops);
    expect(planChanges(desired, after)).to.deep.equal([]);
  });
});
