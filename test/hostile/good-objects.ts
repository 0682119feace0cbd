// The fixed good Services the hostile-input tests mix garbage with (test/lib/proxier/hostile-input.test.ts,
// proxier-problem-log.test.ts): a little of everything a node programs, all older than any hostile object.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { service, slice } from '../lib/proxier/fixtures.js';
import type { Claimable } from './hostile-objects.js';

const GOOD_CREATED = '2020-01-01T00:00:00Z';

export const GOOD_NAMES = ['default/web', 'default/np', 'default/lb', 'shop/ext'];

/** A little of everything a node programs: ClusterIP (TCP+UDP), NodePort, LoadBalancer Local, external IP with affinity. */
export function goodObjects(): { services: V1Service[]; slices: V1EndpointSlice[]; claimable: Claimable[] } {
  const created = GOOD_CREATED;
  const services = [
    service('web', { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [
      { name: 'http', protocol: 'TCP', port: 80 }, { name: 'dns', protocol: 'UDP', port: 53 },
    ] }, { created }),
    service('np', { type: 'NodePort', clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'], externalTrafficPolicy: 'Cluster', ports: [
      { name: 'http', protocol: 'TCP', port: 8080, nodePort: 30080 },
    ] }, { created }),
    service('lb', {
      type: 'LoadBalancer', clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], externalTrafficPolicy: 'Local', healthCheckNodePort: 30999,
      loadBalancerSourceRanges: ['10.0.0.0/8'], ports: [{ name: 'https', protocol: 'TCP', port: 443, nodePort: 30443 }],
    }, { created, lbIngress: [{ ip: '192.0.2.10' }] }),
    service('ext', {
      type: 'ClusterIP', clusterIP: '10.96.0.13', clusterIPs: ['10.96.0.13'], externalIPs: ['192.0.2.20'],
      sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, ports: [{ name: 'https', protocol: 'TCP', port: 8443 }],
    }, { created, namespace: 'shop' }),
  ];
  const slices = [
    slice('web-1', 'web', [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }],
      [{ ip: '10.244.1.2', node: 'node-1' }, { ip: '10.244.2.2', node: 'node-2' }, { ip: '10.244.3.2', node: 'node-3', ready: false }]),
    slice('np-1', 'np', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.3', node: 'node-1' }, { ip: '10.244.2.3', node: 'node-2' }]),
    slice('lb-1', 'lb', [{ name: 'https', port: 8443 }], [{ ip: '10.244.1.4', node: 'node-1' }, { ip: '10.244.2.4', node: 'node-2' }]),
    slice('ext-1', 'ext', [{ name: 'https', port: 8443 }], [{ ip: '10.244.2.5', node: 'node-2' }], { namespace: 'shop' }),
  ];
  const claimable: Claimable[] = [
    { owner: 'default/web', clusterIP: '10.96.0.10', port: 80, protocol: 'TCP', nodePort: 0 },
    { owner: 'default/web', clusterIP: '10.96.0.10', port: 53, protocol: 'UDP', nodePort: 0 },
    { owner: 'default/np', clusterIP: '10.96.0.11', port: 8080, protocol: 'TCP', nodePort: 30080 },
    { owner: 'default/lb', clusterIP: '10.96.0.12', port: 443, protocol: 'TCP', nodePort: 30443 },
    { owner: 'shop/ext', clusterIP: '10.96.0.13', port: 8443, protocol: 'TCP', nodePort: 0 },
  ];
  return { services, slices, claimable };
}

