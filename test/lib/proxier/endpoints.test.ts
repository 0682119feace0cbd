import { expect } from 'chai';
import { indexEndpointSlices, selectEndpoints, servicePortKey } from '../../../lib/proxier/endpoints.js';
import type { EndpointInfo } from '../../../lib/proxier/types.js';
import { slice } from './fixtures.js';

const key = (portName = '', protocol: 'tcp' | 'udp' | 'sctp' = 'tcp', family: 'inet' | 'inet6' = 'inet') =>
  servicePortKey('default', 'svc', family, protocol, portName);

function ep(ip: string, over: Partial<EndpointInfo> = {}): EndpointInfo {
  return { ip, port: 80, local: false, ready: true, serving: true, terminating: false, ...over };
}

describe('endpoints', () => {
  describe('indexEndpointSlices', () => {
    it('groups by service port name and protocol, with each slice port number', () => {
      const { byServicePort, problems } = indexEndpointSlices([
        slice('svc-a', 'svc', [{ name: 'http', port: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }], [{ ip: '10.244.1.1', node: 'n1' }]),
      ], 'n1');
      expect(problems).to.deep.equal([]);
      expect(byServicePort.get(key('http'))).to.deep.equal([ep('10.244.1.1', { port: 8080, local: true })]);
      expect(byServicePort.get(key('dns', 'udp'))).to.deep.equal([ep('10.244.1.1', { port: 53, local: true })]);
      expect(byServicePort.get(key('dns', 'tcp'))).to.equal(undefined);
    });

    it('merges an endpoint listed in two slices, preferring the non-terminating copy whatever the order', () => {
      const terminating = slice('svc-a', 'svc', [{ port: 80 }], [{ ip: '10.244.1.1', ready: false, serving: true, terminating: true }]);
      const running = slice('svc-b', 'svc', [{ port: 80 }], [{ ip: '10.244.1.1', ready: true }]);
      for (const slices of [[terminating, running], [running, terminating]]) {
        const { byServicePort } = indexEndpointSlices(slices, 'n1');
        expect(byServicePort.get(key())).to.deep.equal([ep('10.244.1.1')]);
      }
    });

    it('ignores FQDN slices, slices without the service-name label and ports without a number', () => {
      const fqdn = slice('svc-fqdn', 'svc', [{ port: 80 }], [{ ip: 'example.com' }], { addressType: 'FQDN' });
      const unlabeled = slice('loose', 'svc', [{ port: 80 }], [{ ip: '10.244.1.1' }]);
      unlabeled.metadata!.labels = {};
      const noPort = slice('svc-np', 'svc', [{ name: 'x' }, { name: 'y', port: 0 }], [{ ip: '10.244.1.2' }]);
      const { byServicePort, problems } = indexEndpointSlices([fqdn, unlabeled, noPort], 'n1');
      expect(byServicePort.size).to.equal(0);
      expect(problems).to.deep.equal([]);
    });

    it('keys IPv6 slices by family and canonicalises addresses', () => {
      const { byServicePort } = indexEndpointSlices([
        slice('svc-6', 'svc', [{ port: 80 }], [{ ip: 'FD00:10:244:0:0:0:0:5' }], { addressType: 'IPv6' }),
      ], 'n1');
      expect(byServicePort.get(key('', 'tcp', 'inet6'))).to.deep.equal([ep('fd00:10:244::5')]);
      expect(byServicePort.get(key())).to.equal(undefined);
    });

    it('an empty node name makes nothing local', () => {
      const { byServicePort } = indexEndpointSlices([slice('svc-a', 'svc', [{ port: 80 }], [{ ip: '10.244.1.1' }])], '');
      expect(byServicePort.get(key())![0]!.local).to.equal(false);
    });
  });

  describe('selectEndpoints', () => {
    const cases: { title: string; eps: EndpointInfo[]; cluster: string[]; local: string[]; hasAny: boolean }[] = [
      { title: 'no endpoints', eps: [], cluster: [], local: [], hasAny: false },
      {
        title: 'ready only',
        eps: [ep('a', { local: true }), ep('b'), ep('c', { ready: false, serving: false })],
        cluster: ['a', 'b'], local: ['a'], hasAny: true,
      },
      {
        title: 'falls back to serving+terminating, cluster and local independently',
        eps: [ep('a', { local: true, ready: false, terminating: true }), ep('b')],
        cluster: ['b'], local: ['a'], hasAny: true,
      },
      {
        title: 'terminating but not serving is never used',
        eps: [ep('a', { local: true, ready: false, serving: false, terminating: true })],
        cluster: [], local: [], hasAny: false,
      },
    ];
    for (const c of cases) {
      it(c.title, () => {
        const s = selectEndpoints(c.eps);
        expect(s.cluster.map((e) => e.ip)).to.deep.equal(c.cluster);
        expect(s.local.map((e) => e.ip)).to.deep.equal(c.local);
        expect(s.hasAny).to.equal(c.hasAny);
      });
    }
  });
});
