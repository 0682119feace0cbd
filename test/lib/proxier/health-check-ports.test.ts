// Services + EndpointSlices + node name -> the healthCheckNodePorts this node answers on, with kube-proxy's
// local ready endpoint counts (distinct IPs, ready only, this node only).
import type { V1ServiceSpec } from '@kubernetes/client-node';
import { expect } from 'chai';
import { healthCheckPorts } from '../../../lib/proxier/health-check-ports.js';
import type { NodeConfig } from '../../../lib/proxier/types.js';
import { node, service, slice, type Ep } from './fixtures.js';

function lbLocal(name: string, hcPort: number, over: Partial<V1ServiceSpec> = {}, extra: Parameters<typeof service>[2] = {}) {
  return service(name, {
    type: 'LoadBalancer', clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30'], externalTrafficPolicy: 'Local',
    healthCheckNodePort: hcPort, ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }], ...over,
  }, extra);
}

function eps(name: string, endpoints: Ep[], ports = [{ name: 'http', port: 8080, protocol: 'TCP' }], opts: { namespace?: string; addressType?: string } = {}) {
  return slice(`${name}-${opts.addressType ?? 'IPv4'}`, name, ports, endpoints, opts);
}

function wanted(input: { services: ReturnType<typeof lbLocal>[]; slices?: ReturnType<typeof eps>[]; node?: NodeConfig }) {
  const r = healthCheckPorts({ services: input.services, endpointSlices: input.slices ?? [], node: input.node ?? node() });
  return { ports: Object.fromEntries(r.ports), problems: r.problems };
}

describe('health-check node ports (kube-proxy HealthCheckNodePorts + LocalReadyEndpoints)', () => {
  it('a LoadBalancer Service with externalTrafficPolicy Local gets its port, counting only this node\'s ready endpoints', () => {
    const r = wanted({
      services: [lbLocal('web', 32100)],
      slices: [eps('web', [
        { ip: '10.244.1.2', node: 'node-1', ready: true },
        { ip: '10.244.1.3', node: 'node-1', ready: true },
        { ip: '10.244.2.2', node: 'node-2', ready: true },
        { ip: '10.244.1.4', node: 'node-1', ready: false },
      ])],
    });
    expect(r.ports).to.deep.equal({ 32100: { namespace: 'default', name: 'web', localEndpoints: 2 } });
    expect(r.problems).to.deep.equal([]);
  });

  it('no local endpoint (or none at all) still opens the port, with 0', () => {
    const r = wanted({
      services: [lbLocal('remote', 32100), lbLocal('empty', 32101)],
      slices: [eps('remote', [{ ip: '10.244.2.2', node: 'node-2', ready: true }])],
    });
    expect(r.ports).to.deep.equal({
      32100: { namespace: 'default', name: 'remote', localEndpoints: 0 },
      32101: { namespace: 'default', name: 'empty', localEndpoints: 0 },
    });
  });

  it('local endpoints that are only serving+terminating do not count (the node must fail the check and drain)', () => {
    const r = wanted({
      services: [lbLocal('web', 32100)],
      slices: [eps('web', [{ ip: '10.244.1.2', node: 'node-1', ready: false, serving: true, terminating: true }])],
    });
    expect(r.ports[32100]!.localEndpoints).to.equal(0);
  });

  it('counts IPs, not IP:port pairs: one pod behind two Service ports is one endpoint', () => {
    const svc = lbLocal('web', 32100, {
      ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }, { name: 'https', port: 443, protocol: 'TCP', nodePort: 30443 }],
    });
    const r = wanted({
      services: [svc],
      slices: [eps('web', [{ ip: '10.244.1.2', node: 'node-1', ready: true }, { ip: '10.244.1.3', node: 'node-1', ready: true }], [
        { name: 'http', port: 8080, protocol: 'TCP' }, { name: 'https', port: 8443, protocol: 'TCP' },
      ])],
    });
    expect(r.ports[32100]!.localEndpoints).to.equal(2);
  });

  it('a dual-stack node counts both families\' local ready IPs; a single-stack node only its own', () => {
    const svc = lbLocal('web', 32100, { clusterIPs: ['10.96.0.30', 'fd00:96::30'], ipFamilies: ['IPv4', 'IPv6'] });
    const slices = [
      eps('web', [{ ip: '10.244.1.2', node: 'node-1', ready: true }]),
      eps('web', [{ ip: 'fd00:244:1::2', node: 'node-1', ready: true }], undefined, { addressType: 'IPv6' }),
    ];
    const dual = node({ nodeIPs: ['192.168.122.10', 'fd00:122::10'], clusterCIDRs: ['10.244.0.0/16', 'fd00:244::/48'], ipFamilies: ['inet', 'inet6'] });
    expect(wanted({ services: [svc], slices, node: dual }).ports[32100]!.localEndpoints).to.equal(2);
    expect(wanted({ services: [svc], slices }).ports[32100]!.localEndpoints).to.equal(1);
  });

  it('only the Service\'s own slices count (same name in another namespace does not)', () => {
    const r = wanted({
      services: [lbLocal('web', 32100)],
      slices: [eps('web', [{ ip: '10.244.1.2', node: 'node-1', ready: true }], undefined, { namespace: 'other' })],
    });
    expect(r.ports[32100]!.localEndpoints).to.equal(0);
  });

  it('no port for Cluster policy, other types, a missing port, or a Service the desired state skips', () => {
    const r = wanted({
      services: [
        lbLocal('cluster-policy', 32100, { externalTrafficPolicy: 'Cluster' }),
        lbLocal('nodeport', 32101, { type: 'NodePort' }),
        lbLocal('no-port', 0),
        lbLocal('bad-external-ip', 32102, { externalIPs: ['not-an-ip'] }),
        lbLocal('headless', 32103, { clusterIP: 'None', clusterIPs: ['None'] }),
        lbLocal('ok', 32104),
      ],
    });
    expect(Object.keys(r.ports)).to.deep.equal(['32104']);
    // The skipped Service's own problem is reported by the desired state, not twice here.
    expect(r.problems).to.deep.equal([]);
  });

  it('without a node name nothing is local', () => {
    const r = wanted({
      services: [lbLocal('web', 32100)],
      slices: [eps('web', [{ ip: '10.244.1.2', node: 'node-1', ready: true }])],
      node: node({ nodeName: '' }),
    });
    expect(r.ports[32100]!.localEndpoints).to.equal(0);
  });

  it('two Services on one port: the older keeps it, the other is a problem naming both', () => {
    const r = wanted({
      services: [
        lbLocal('newer', 32100, {}, { created: '2026-01-02T00:00:00Z' }),
        lbLocal('older', 32100, {}, { created: '2026-01-01T00:00:00Z' }),
      ],
    });
    expect(r.ports).to.deep.equal({ 32100: { namespace: 'default', name: 'older', localEndpoints: 0 } });
    expect(r.problems).to.have.length(1);
    expect(r.problems[0]).to.include({ namespace: 'default', name: 'newer', field: 'spec.healthCheckNodePort' });
    expect(r.problems[0]!.reason).to.contain('default/older');
  });
});
