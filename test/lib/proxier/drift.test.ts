import { expect } from 'chai';
import type { Operation } from '../../../lib/engine/operations.js';
import { drainableVirtualServers, driftByKind } from '../../../lib/proxier/drift.js';
import type { RealServer, State, VirtualServer } from '../../../lib/state/types.js';
import { emptyObservedState } from '../../../lib/engine/observed.js';

const rs = (address: string, weight = 1): RealServer => ({ address, port: 80, weight, forward: 'masq' });
const vs = (protocol: 'tcp' | 'udp', address: string, realServers: RealServer[]): VirtualServer =>
  ({ protocol, address, port: 80, scheduler: 'rr', flags: [], realServers });
const id = { protocol: 'tcp' as const, address: '10.96.0.10', port: 80 };

describe('drift', () => {
  it('counts what the planned changes do not explain, ipset entries one by one', () => {
    const expected: Operation[] = [
      { kind: 'rs-add', service: id, realServer: rs('10.244.0.1') },
      { kind: 'ipset-add', name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.10,tcp:80'] },
    ];
    const actual: Operation[] = [
      { kind: 'rs-add', service: id, realServer: rs('10.244.0.1') },
      { kind: 'rs-add', service: id, realServer: rs('10.244.0.2') },
      { kind: 'ipset-add', name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.10,tcp:80', '10.96.0.11,tcp:80', '10.96.0.12,tcp:80'] },
      { kind: 'address-add', interface: 'kube-ipvs0', address: '10.96.0.10/32' },
    ];
    expect(Object.fromEntries(driftByKind(actual, expected))).to.deep.equal({ 'rs-add': 1, 'ipset-add': 2, 'address-add': 1 });
    expect(driftByKind(expected, expected).size).to.equal(0);
  });

  it('graceful termination is not drift', () => {
    const actual: Operation[] = [
      { kind: 'rs-update', service: id, realServer: rs('10.244.0.1', 0), previous: rs('10.244.0.1'), changes: ['weight'], draining: 4 },
      { kind: 'rs-del', service: id, realServer: rs('10.244.0.2', 0) },
      { kind: 'rs-del', service: id, realServer: rs('10.244.0.3', 1) },
    ];
    expect(Object.fromEntries(driftByKind(actual, []))).to.deep.equal({ 'rs-del': 1 });
  });

  it('connection counts are needed for the virtual servers that stay and lose a TCP real server, and only those', () => {
    const tcp = vs('tcp', '10.96.0.10', [rs('10.244.0.1'), rs('10.244.0.2')]);
    const other = vs('tcp', '10.96.0.12', [rs('10.244.0.5')]);
    const record = { ...emptyObservedState(), virtualServers: [tcp, vs('udp', '10.96.0.11', [rs('10.244.0.3')]), other] };
    const desired = (v: VirtualServer[]): State => ({ virtualServers: v, ipsets: [] });
    expect(drainableVirtualServers(desired([vs('tcp', '10.96.0.10', [rs('10.244.0.1'), rs('10.244.0.2'), rs('10.244.0.9')]), other]), record)).to.deep.equal([]);
    // The record's virtual server (the kernel's real servers), not the desired one.
    expect(drainableVirtualServers(desired([vs('tcp', '10.96.0.10', [rs('10.244.0.2')]), other]), record)).to.deep.equal([tcp]);
    // UDP real servers go at once; a whole virtual server going takes its real servers with it.
    expect(drainableVirtualServers(desired([vs('tcp', '10.96.0.10', [rs('10.244.0.1'), rs('10.244.0.2')]), vs('udp', '10.96.0.11', [])]), record)).to.deep.equal([]);
    expect(drainableVirtualServers(desired([]), record)).to.deep.equal([]);
  });
});
