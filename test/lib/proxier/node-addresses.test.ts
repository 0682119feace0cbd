import type { V1Node } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { networkInterfaces } from 'node:os';
import {
  nodeAddresses, nodeEligible, nodeFamilies, nodeInternalIPs, osInterfaceAddresses, type InterfaceAddress,
} from '../../../lib/proxier/node-addresses.js';

const host: InterfaceAddress[] = [
  { interface: 'lo', address: '127.0.0.1' },
  { interface: 'lo', address: '::1' },
  { interface: 'eth0', address: '192.168.122.10' },
  { interface: 'eth0', address: 'fe80::5054:ff:fe12:3456' },
  { interface: 'eth0', address: '2001:db8::10' },
  { interface: 'eth1', address: '10.0.0.5' },
  { interface: 'kube-ipvs0', address: '10.96.0.10' },
  { interface: 'kube-ipvs0', address: '192.168.122.200' },
];
const opts = { dummyInterface: 'kube-ipvs0', primaryIPs: [] as string[] };

function nodeWith(addresses: { type: string; address: string }[], extra: Partial<V1Node> = {}): V1Node {
  return { metadata: { name: 'node-1' }, status: { addresses }, ...extra };
}

describe('node addresses', () => {
  it('by default: every local address but kube-ipvs0\'s, loopback and IPv6 link-local', () => {
    const r = nodeAddresses(host, { ...opts, nodePortAddresses: [] });
    expect(r.nodeIPs).to.deep.equal(['192.168.122.10', '2001:db8::10', '10.0.0.5']);
    expect(r.localAddresses).to.deep.equal(['127.0.0.1', '::1', '192.168.122.10', 'fe80::5054:ff:fe12:3456', '2001:db8::10', '10.0.0.5']);
    expect(r.warnings).to.deep.equal([]);
  });

  it('--nodeport-addresses CIDRs pick local addresses (never kube-ipvs0\'s, even when inside)', () => {
    const r = nodeAddresses(host, { ...opts, nodePortAddresses: ['192.168.122.0/24', '127.0.0.0/8'] });
    expect(r.nodeIPs).to.deep.equal(['127.0.0.1', '192.168.122.10']);
  });

  it('warns when no local address is in the CIDRs', () => {
    const r = nodeAddresses(host, { ...opts, nodePortAddresses: ['172.16.0.0/12'] });
    expect(r.nodeIPs).to.deep.equal([]);
    expect(r.warnings[0]).to.include('NodePorts are not served');
  });

  it('"primary" uses the Node\'s InternalIPs, falling back (with a warning) to the default', () => {
    expect(nodeAddresses(host, { ...opts, nodePortAddresses: ['primary'], primaryIPs: ['10.0.0.5'] }).nodeIPs).to.deep.equal(['10.0.0.5']);
    const r = nodeAddresses(host, { ...opts, nodePortAddresses: ['primary'] });
    expect(r.nodeIPs).to.deep.equal(['192.168.122.10', '2001:db8::10', '10.0.0.5']);
    expect(r.warnings).to.have.length(1);
  });

  it('reads os.networkInterfaces(), dropping zones and canonicalising', () => {
    const fake = (() => ({
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: '127.0.0.1/8' }],
      eth0: [{ address: 'fe80::1%eth0', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '', internal: false, cidr: null, scopeid: 2 },
        { address: '2001:DB8:0::10', netmask: 'ffff::', family: 'IPv6', mac: '', internal: false, cidr: null, scopeid: 0 }],
    })) as unknown as typeof networkInterfaces;
    expect(osInterfaceAddresses(fake)).to.deep.equal([
      { interface: 'lo', address: '127.0.0.1' },
      { interface: 'eth0', address: 'fe80::1' },
      { interface: 'eth0', address: '2001:db8::10' },
    ]);
  });
});

describe('the Node object', () => {
  it('InternalIPs, canonical, without other address types', () => {
    const node = nodeWith([
      { type: 'Hostname', address: 'node-1' }, { type: 'ExternalIP', address: '203.0.113.5' },
      { type: 'InternalIP', address: '192.168.122.10' }, { type: 'InternalIP', address: '2001:DB8::10' },
    ]);
    expect(nodeInternalIPs(node)).to.deep.equal(['192.168.122.10', '2001:db8::10']);
    expect(nodeInternalIPs(undefined)).to.deep.equal([]);
  });

  it('families: the Node\'s InternalIPs and the cluster CIDRs; IPv4 when neither says', () => {
    expect(nodeFamilies(undefined, [])).to.deep.equal(['inet']);
    expect(nodeFamilies(nodeWith([{ type: 'InternalIP', address: 'fd00::10' }]), [])).to.deep.equal(['inet6']);
    expect(nodeFamilies(nodeWith([{ type: 'InternalIP', address: '10.0.0.1' }]), ['fd00:10:244::/56'])).to.deep.equal(['inet', 'inet6']);
  });

  it('eligible unless deleted or tainted by the cluster autoscaler', () => {
    expect(nodeEligible(undefined)).to.equal(true);
    expect(nodeEligible(nodeWith([]))).to.equal(true);
    expect(nodeEligible(nodeWith([], { spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } }))).to.equal(false);
    expect(nodeEligible({ metadata: { name: 'n', deletionTimestamp: new Date() } })).to.equal(false);
  });
});
