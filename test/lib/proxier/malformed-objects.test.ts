// The bugs the hostile-input property test (hostile-input.test.ts) found, one literal case each: Services and
// EndpointSlices with fields of the wrong JSON type (which threw in the middle of a sync), names of
// Object.prototype members used as protocols and address types, IPv6 zone ids, slice parts that were skipped
// without a word, and 256 KiB annotations copied whole into problems.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parseCidr, parseIp } from '../../../lib/proxier/addresses.js';
import { buildDesiredState } from '../../../lib/proxier/desired-state.js';
import { indexEndpointSlices } from '../../../lib/proxier/endpoints.js';
import type { Problem } from '../../../lib/proxier/types.js';
import { node, service, slice } from './fixtures.js';

/** A Service whose spec/status/metadata carry `over` (any JSON, as a raw watch event may). */
function raw(over: { spec?: Record<string, unknown>; status?: unknown; annotations?: unknown }): V1Service {
  const svc = service('s', { type: 'ClusterIP', clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], ports: [{ port: 80 }] });
  Object.assign(svc.spec!, over.spec ?? {});
  if (over.status !== undefined) (svc as Record<string, unknown>)['status'] = over.status;
  if (over.annotations !== undefined) (svc.metadata as Record<string, unknown>)['annotations'] = over.annotations;
  return svc;
}

function problemsOf(services: V1Service[], slices: V1EndpointSlice[] = []): Pick<Problem, 'field' | 'reason'>[] {
  const { problems } = buildDesiredState({ services, endpointSlices: slices, node: node() });
  return problems.map(({ field, reason }) => ({ field, reason }));
}

function sliceProblems(s: V1EndpointSlice): string[] {
  return indexEndpointSlices([s], 'node-1').problems.map((p) => `${p.namespace}/${p.name} ${p.field}: ${p.reason}`);
}

describe('malformed Services and EndpointSlices (found by the hostile-input property test)', () => {
  describe('Services: a field of the wrong JSON type is a problem, not a TypeError', () => {
    const cases: [string, Parameters<typeof raw>[0], string][] = [
      ['ports is a string', { spec: { ports: '80' } }, 'spec.ports'],
      ['a port is null', { spec: { ports: [null] } }, 'spec.ports[0]'],
      ['clusterIPs is a string', { spec: { clusterIPs: '10.96.0.5' } }, 'spec.clusterIPs'],
      ['externalIPs is a string', { spec: { externalIPs: '192.0.2.1' } }, 'spec.externalIPs'],
      ['loadBalancerSourceRanges is a number', { spec: { type: 'LoadBalancer', loadBalancerSourceRanges: 8 } }, 'spec.loadBalancerSourceRanges'],
      ['ingress is a string', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: '192.0.2.1' } } }, 'status.loadBalancer.ingress'],
      ['an ingress is null', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [null] } } }, 'status.loadBalancer.ingress[0]'],
      ['the scheduler annotation is a number', { annotations: { 'ipvs-proxier.io/scheduler': 5 } }, 'metadata.annotations[ipvs-proxier.io/scheduler]'],
      ['the flags annotation is a list', { annotations: { 'ipvs-proxier.io/flags': ['one-packet'] } }, 'metadata.annotations[ipvs-proxier.io/flags]'],
    ];
    for (const [what, over, field] of cases) {
      it(what, () => {
        const problems = problemsOf([raw(over), service('ok', { type: 'ClusterIP', clusterIP: '10.96.0.6', ports: [{ port: 80 }] })]);
        expect(problems.map((p) => p.field)).to.deep.equal([field]);
      });
    }

    it('a name that is not a string: the Service is reported as nameless', () => {
      const svc = service('s', { type: 'ClusterIP', clusterIP: '10.96.0.5', ports: [{ port: 80 }] });
      (svc.metadata as Record<string, unknown>)['name'] = 7;
      const { problems } = buildDesiredState({ services: [svc], endpointSlices: [], node: node() });
      expect(problems).to.deep.equal([{ namespace: 'default', name: '', field: 'metadata', reason: 'Service without namespace or name; Service skipped' }]);
    });
  });

  it('a protocol named after an Object.prototype member is unsupported, not Object itself', () => {
    for (const protocol of ['constructor', 'toString', '__proto__']) {
      const svc = service('s', { type: 'ClusterIP', clusterIP: '10.96.0.5', ports: [{ port: 80, protocol }] });
      expect(problemsOf([svc])).to.deep.equal([{ field: 'spec.ports[0].protocol', reason: `unsupported protocol "${protocol}"; Service skipped` }]);
    }
  });

  it('IPv6 zone ids are not addresses (ipaddr.js read "fe80::1%eth0" as fe80::1)', () => {
    expect(parseIp('fe80::1%eth0')).to.equal(undefined);
    expect(parseCidr('fe80::%eth0/64')).to.equal(undefined);
    expect(parseIp('fe80::1')).to.deep.equal({ ip: 'fe80::1', family: 'inet6' });
    const svc = service('s', { type: 'ClusterIP', clusterIP: '10.96.0.5', externalIPs: ['fe80::1%eth0'], ports: [{ port: 80 }] });
    expect(problemsOf([svc]).map((p) => p.field)).to.deep.equal(['spec.externalIPs[0]']);
  });

  it('special addresses are neither Service addresses nor endpoints (the kernel refuses some, failing the whole sync)', () => {
    const svc = service('s', { type: 'LoadBalancer', clusterIP: '10.96.0.5', externalIPs: ['127.0.0.1', '0.0.0.0'], ports: [{ port: 80 }] }, {
      lbIngress: [{ ip: '224.0.0.1' }, { ip: '255.255.255.255' }, { ip: '169.254.169.254' }],
    });
    expect(problemsOf([svc])).to.deep.equal([
      { field: 'spec.externalIPs[0]', reason: 'invalid external IP "127.0.0.1" (loopback address); Service skipped' },
      { field: 'spec.externalIPs[1]', reason: 'invalid external IP "0.0.0.0" (unspecified address); Service skipped' },
      { field: 'status.loadBalancer.ingress[0].ip', reason: 'invalid load balancer IP "224.0.0.1" (multicast address); Service skipped' },
      { field: 'status.loadBalancer.ingress[1].ip', reason: 'invalid load balancer IP "255.255.255.255" (broadcast address); Service skipped' },
      { field: 'status.loadBalancer.ingress[2].ip', reason: 'invalid load balancer IP "169.254.169.254" (link-local address); Service skipped' },
    ]);
    const v6 = service('s6', { type: 'ClusterIP', clusterIP: '::1', ports: [{ port: 80 }] });
    expect(buildDesiredState({ services: [v6], endpointSlices: [], node: node({ ipFamilies: ['inet6'], nodeIPs: ['fd00::10'] }) }).problems.map((p) => p.reason))
      .to.deep.equal(['invalid cluster IP "::1" (loopback address); Service skipped']);
    const s = slice('s-1', 's', [{ port: 80 }], [{ ip: '10.244.1.2' }, { ip: '239.1.2.3' }, { ip: '0.0.0.0' }]);
    expect(sliceProblems(s)).to.deep.equal([
      'default/s EndpointSlice s-1 endpoints[1].addresses[0]: "239.1.2.3" is a multicast address; endpoint skipped',
      'default/s EndpointSlice s-1 endpoints[2].addresses[0]: "0.0.0.0" is an unspecified address; endpoint skipped',
    ]);
    expect([...indexEndpointSlices([s], 'node-1').byServicePort.values()].flat().map((e) => e.ip)).to.deep.equal(['10.244.1.2']);
  });

  it('a 256 KiB annotation is quoted in 80 characters', () => {
    const svc = service('s', { type: 'ClusterIP', clusterIP: '10.96.0.5', ports: [{ port: 80 }] }, { annotations: { 'ipvs-proxier.io/scheduler': 'x'.repeat(256 * 1024) } });
    const [p] = problemsOf([svc]);
    expect(p!.reason).to.match(/^unknown IPVS scheduler "x{75}…" \(known: rr,/);
  });

  describe('EndpointSlices: skipped parts are reported with the Service and the slice, and nothing throws', () => {
    const ok = { ip: '10.244.1.2', node: 'node-1' };
    it('an unknown address type, also one named after an Object.prototype member', () => {
      for (const addressType of ['IPv5', 'toString']) {
        const s = slice('s-1', 's', [{ port: 80 }], [ok], { addressType });
        expect(sliceProblems(s)).to.deep.equal([`default/s EndpointSlice s-1 addressType: unsupported address type "${addressType}"; slice skipped`]);
      }
    });

    it('a port out of range or of an unknown protocol (port 0 and no port stay quietly unused)', () => {
      const s = slice('s-1', 's', [{ name: 'a', port: 65536 }, { name: 'b', port: 81, protocol: 'constructor' }, { name: 'c', port: 0 }, { name: 'd' }], [ok]);
      const index = indexEndpointSlices([s], 'node-1');
      expect(index.byServicePort.size).to.equal(0);
      expect(sliceProblems(s)).to.deep.equal([
        'default/s EndpointSlice s-1 ports[0].port: port 65536 is out of range 1-65535; port skipped',
        'default/s EndpointSlice s-1 ports[1].protocol: unsupported protocol "constructor"; port skipped',
      ]);
    });

    it('wrong JSON types: ports a number, endpoints a string, an endpoint null, addresses a string', () => {
      const s = (ports: unknown, endpoints: unknown): V1EndpointSlice => ({ ...slice('s-1', 's', [], []), ports, endpoints } as V1EndpointSlice);
      expect(sliceProblems(s(80, []))).to.deep.equal(['default/s EndpointSlice s-1 ports: 80 is not a list; ignored']);
      expect(sliceProblems(s([{ port: 80 }], 'x'))).to.deep.equal(['default/s EndpointSlice s-1 endpoints: "x" is not a list; ignored']);
      expect(sliceProblems(s([{ port: 80 }], [null]))).to.deep.equal(['default/s EndpointSlice s-1 endpoints[0]: not an object; endpoint skipped']);
      expect(sliceProblems(s([{ port: 80 }], [{ addresses: '10.244.1.2' }]))).to.deep.equal(['default/s EndpointSlice s-1 endpoints[0].addresses: not a list; endpoint skipped']);
    });

    it('conditions and hints of the wrong type fall back to the API defaults', () => {
      const s = slice('s-1', 's', [{ port: 80 }], []);
      s.endpoints = [{ addresses: ['10.244.1.2'], conditions: { ready: 'false' as unknown as boolean }, hints: { forZones: 'a' as unknown as [] } }];
      const index = indexEndpointSlices([s], 'node-1');
      expect(index.problems).to.deep.equal([]);
      expect([...index.byServicePort.values()]).to.deep.equal([[{ ip: '10.244.1.2', port: 80, local: false, ready: true, serving: true, terminating: false }]]);
    });
  });
});
