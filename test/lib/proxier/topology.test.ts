// Topology-aware routing: the endpoint choice per node (our table, after the cases of kube-proxy's
// TestCategorizeEndpoints in pkg/proxy/topology_test.go, 1.33-1.35), hints read from EndpointSlices, and what the
// desired state makes of them for cluster IPs and node ports, with Local traffic policies taking precedence.
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';
import { expect } from 'chai';
import { buildDesiredState } from '../../../lib/proxier/desired-state.js';
import { indexEndpointSlices, selectEndpoints, servicePortKey } from '../../../lib/proxier/endpoints.js';
import { nodeZone, topologyMode, ZONE_LABEL, type NodeTopology, type TopologyMode } from '../../../lib/proxier/topology.js';
import type { EndpointInfo } from '../../../lib/proxier/types.js';
import { node, service, slice, type Ep } from './fixtures.js';

/** An endpoint on another node, ready, with the given hints ("-" for none). */
function ep(ip: string, zones: string, nodes = '-', over: Partial<EndpointInfo> = {}): EndpointInfo {
  const e: EndpointInfo = { ip, port: 80, local: false, ready: true, serving: true, terminating: false, ...over };
  if (zones !== '-') e.zoneHints = zones.split(',');
  if (nodes !== '-') e.nodeHints = nodes.split(',');
  return e;
}
const unready = { ready: false, serving: false };
const terminating = { ready: false, serving: true, terminating: true };
const local = { local: true };

const ZONE_A: NodeTopology = { nodeName: 'node-1', zone: 'zone-a' };

interface Case {
  title: string;
  here: NodeTopology;
  eps: EndpointInfo[];
  mode: TopologyMode;
  cluster: string[];
  /** Only where the case is about Local policies. */
  local?: string[];
}

const CASES: Case[] = [
  {
    title: 'every ready endpoint hinted, some for this zone: only those',
    here: ZONE_A,
    eps: [ep('10.1.2.3', 'zone-a'), ep('10.1.2.4', 'zone-b'), ep('10.1.2.5', 'zone-c'), ep('10.1.2.6', 'zone-a')],
    mode: 'PreferSameZone', cluster: ['10.1.2.3', '10.1.2.6'],
  },
  {
    title: 'Node without a zone label: no filtering',
    here: { nodeName: 'node-1', zone: '' },
    eps: [ep('10.1.2.3', 'zone-a'), ep('10.1.2.4', 'zone-b')],
    mode: undefined, cluster: ['10.1.2.3', '10.1.2.4'],
  },
  {
    title: 'Node in a zone no endpoint is hinted for: no filtering',
    here: { nodeName: 'node-1', zone: 'zone-b' },
    eps: [ep('10.1.2.3', 'zone-a'), ep('10.1.2.5', 'zone-c')],
    mode: undefined, cluster: ['10.1.2.3', '10.1.2.5'],
  },
  {
    title: 'an unready endpoint hinted for this zone is not used',
    here: ZONE_A,
    eps: [ep('10.1.2.3', 'zone-a'), ep('10.1.2.4', 'zone-b'), ep('10.1.2.5', 'zone-c'), ep('10.1.2.6', 'zone-a', '-', unready)],
    mode: 'PreferSameZone', cluster: ['10.1.2.3'],
  },
  {
    title: 'only unready endpoints in this zone: no filtering (never zero endpoints because of hints)',
    here: ZONE_A,
    eps: [ep('10.1.2.3', 'zone-a', '-', unready), ep('10.1.2.4', 'zone-b'), ep('10.1.2.5', 'zone-c'), ep('10.1.2.6', 'zone-a', '-', unready)],
    mode: undefined, cluster: ['10.1.2.4', '10.1.2.5'],
  },
  {
    title: 'partial hints (one ready endpoint unhinted): fall back to every endpoint',
    here: ZONE_A,
    eps: [ep('10.1.2.3', 'zone-a'), ep('10.1.2.4', 'zone-b'), ep('10.1.2.5', '-'), ep('10.1.2.6', 'zone-a')],
    mode: undefined, cluster: ['10.1.2.3', '10.1.2.4', '10.1.2.5', '10.1.2.6'],
  },
  {
    title: 'an unhinted endpoint that is not ready does not disable the hints',
    here: ZONE_A,
    eps: [ep('10.1.2.3', 'zone-a'), ep('10.1.2.4', 'zone-b'), ep('10.1.2.5', '-', '-', unready)],
    mode: 'PreferSameZone', cluster: ['10.1.2.3'],
  },
  {
    title: 'several zones per endpoint: any endpoint naming this zone',
    here: { nodeName: 'node-1', zone: 'zone-c' },
    eps: [ep('10.1.2.3', 'zone-a,zone-b,zone-c'), ep('10.1.2.4', 'zone-b,zone-c'), ep('10.1.2.5', 'zone-b,zone-d'), ep('10.1.2.6', 'zone-c')],
    mode: 'PreferSameZone', cluster: ['10.1.2.3', '10.1.2.4', '10.1.2.6'],
  },
  {
    title: 'PreferSameNode: every ready endpoint has a node hint, one for this node: only it',
    here: ZONE_A,
    eps: [
      ep('10.1.2.3', 'zone-a', 'node-1'), ep('10.1.2.4', 'zone-b', 'node-2'),
      ep('10.1.2.5', 'zone-c', 'node-3'), ep('10.1.2.6', 'zone-a', 'node-4'),
    ],
    mode: 'PreferSameNode', cluster: ['10.1.2.3'],
  },
  {
    title: 'PreferSameNode with no endpoint for this node: falls back to the zone hints',
    here: { nodeName: 'node-0', zone: 'zone-a' },
    eps: [
      ep('10.1.2.3', 'zone-a', 'node-1'), ep('10.1.2.4', 'zone-b', 'node-2'),
      ep('10.1.2.5', 'zone-c', 'node-3'), ep('10.1.2.6', 'zone-a', 'node-4'),
    ],
    mode: 'PreferSameZone', cluster: ['10.1.2.3', '10.1.2.6'],
  },
  {
    title: 'PreferSameNode with one endpoint missing its node hint: zone hints still apply',
    here: ZONE_A,
    eps: [ep('10.1.2.3', 'zone-a', 'node-1'), ep('10.1.2.4', 'zone-b'), ep('10.1.2.6', 'zone-a', 'node-4')],
    mode: 'PreferSameZone', cluster: ['10.1.2.3', '10.1.2.6'],
  },
  {
    title: 'PreferSameNode with one endpoint unhinted altogether: every endpoint',
    here: ZONE_A,
    eps: [ep('10.1.2.3', 'zone-a', 'node-1'), ep('10.1.2.4', '-'), ep('10.1.2.5', 'zone-c', 'node-3'), ep('10.1.2.6', 'zone-a', 'node-4')],
    mode: undefined, cluster: ['10.1.2.3', '10.1.2.4', '10.1.2.5', '10.1.2.6'],
  },
  {
    title: 'node hints but no node name (and no zone): every endpoint',
    here: { nodeName: '', zone: '' },
    eps: [ep('10.1.2.3', 'zone-a', 'node-1'), ep('10.1.2.4', 'zone-b', 'node-2')],
    mode: undefined, cluster: ['10.1.2.3', '10.1.2.4'],
  },
  {
    title: 'nothing ready anywhere: every serving+terminating endpoint, hints ignored',
    here: ZONE_A,
    eps: [ep('10.1.2.3', 'zone-b', '-', terminating), ep('10.1.2.4', 'zone-a', '-', terminating), ep('10.1.2.5', 'zone-a', '-', unready)],
    mode: undefined, cluster: ['10.1.2.3', '10.1.2.4'],
  },
  {
    title: 'Local policies: this node\'s endpoints whatever their hints; the cluster list is filtered',
    here: ZONE_A,
    eps: [ep('10.1.2.3', 'zone-a', '-', local), ep('10.1.2.4', 'zone-b', '-', local), ep('10.1.2.5', 'zone-c'), ep('10.1.2.6', 'zone-a')],
    mode: 'PreferSameZone', cluster: ['10.1.2.3', '10.1.2.6'], local: ['10.1.2.3', '10.1.2.4'],
  },
  {
    title: 'Local policies with only terminating local endpoints: those, while the cluster list follows the hints',
    here: ZONE_A,
    eps: [ep('10.0.0.0', 'zone-a'), ep('10.0.0.1', 'zone-b'), ep('10.0.0.2', 'zone-b', '-', { ...terminating, local: true })],
    mode: 'PreferSameZone', cluster: ['10.0.0.0'], local: ['10.0.0.2'],
  },
];

describe('topology-aware routing', () => {
  describe('selectEndpoints with topology hints', () => {
    for (const c of CASES) {
      it(c.title, () => {
        expect(topologyMode(c.eps, c.here)).to.equal(c.mode);
        const s = selectEndpoints(c.eps, c.here);
        expect(s.topology).to.equal(c.mode);
        expect(s.cluster.map((e) => e.ip)).to.deep.equal(c.cluster);
        if (c.local) expect(s.local.map((e) => e.ip)).to.deep.equal(c.local);
        expect(s.hasAny).to.equal(c.cluster.length > 0);
      });
    }

    it('without a node topology no hint applies', () => {
      const s = selectEndpoints([ep('10.1.2.3', 'zone-a', 'node-1'), ep('10.1.2.4', 'zone-b', 'node-2')]);
      expect(s.topology).to.equal(undefined);
      expect(s.cluster.map((e) => e.ip)).to.deep.equal(['10.1.2.3', '10.1.2.4']);
    });
  });

  describe('nodeZone', () => {
    it('reads topology.kubernetes.io/zone, "" when the Node or the label is missing', () => {
      const labelled: V1Node = { metadata: { name: 'node-1', labels: { [ZONE_LABEL]: 'zone-a', 'topology.kubernetes.io/region': 'r' } } };
      expect(nodeZone(labelled)).to.equal('zone-a');
      expect(nodeZone({ metadata: { name: 'node-1', labels: { 'failure-domain.beta.kubernetes.io/zone': 'zone-a' } } })).to.equal('');
      expect(nodeZone(undefined)).to.equal('');
    });
  });

  describe('hints from EndpointSlices', () => {
    it('keeps forZones and forNodes names per endpoint, and nothing for an endpoint without hints', () => {
      const s = hinted('web-1', 'web', [
        { ip: '10.244.1.2', node: 'node-1', zones: ['zone-a'], nodes: ['node-1'] },
        { ip: '10.244.2.2', node: 'node-2', zones: ['zone-a', 'zone-b'] },
        { ip: '10.244.3.2', node: 'node-3' },
      ]);
      const eps = indexEndpointSlices([s], 'node-1').byServicePort.get(servicePortKey('default', 'web', 'inet', 'tcp', 'http'))!;
      expect(eps.map((e) => [e.ip, e.zoneHints, e.nodeHints])).to.deep.equal([
        ['10.244.1.2', ['zone-a'], ['node-1']],
        ['10.244.2.2', ['zone-a', 'zone-b'], undefined],
        ['10.244.3.2', undefined, undefined],
      ]);
    });
  });

  describe('in the desired state', () => {
    const HINTED: HintedEp[] = [
      { ip: '10.244.1.2', node: 'node-1', zones: ['zone-a'] },
      { ip: '10.244.2.2', node: 'node-2', zones: ['zone-a'] },
      { ip: '10.244.3.2', node: 'node-3', zones: ['zone-b'] },
      { ip: '10.244.4.2', node: 'node-4', zones: ['zone-b'] },
    ];
    const ALL = ['10.244.1.2', '10.244.2.2', '10.244.3.2', '10.244.4.2'];

    function realServers(spec: Record<string, unknown>, eps: HintedEp[], zone: string | undefined, annotations?: Record<string, string>) {
      const svc = service('web', {
        type: 'NodePort', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'],
        ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }], ...spec,
      }, annotations ? { annotations } : {});
      const { state, problems } = buildDesiredState({
        services: [svc], endpointSlices: [hinted('web-1', 'web', eps)], node: node(zone === undefined ? {} : { zone }),
      });
      expect(problems).to.deep.equal([]);
      const of = (address: string) => state.virtualServers.find((v) => v.address === address)!.realServers.map((r) => r.address);
      return { clusterIP: of('10.96.0.20'), nodePort: of('192.168.122.10') };
    }

    it('a node in zone-a sends cluster IP and NodePort traffic to zone-a endpoints only', () => {
      expect(realServers({}, HINTED, 'zone-a')).to.deep.equal({ clusterIP: ['10.244.1.2', '10.244.2.2'], nodePort: ['10.244.1.2', '10.244.2.2'] });
      expect(realServers({}, HINTED, 'zone-b')).to.deep.equal({ clusterIP: ['10.244.3.2', '10.244.4.2'], nodePort: ['10.244.3.2', '10.244.4.2'] });
    });

    it('a node without a zone label uses every endpoint', () => {
      expect(realServers({}, HINTED, undefined)).to.deep.equal({ clusterIP: ALL, nodePort: ALL });
    });

    it('externalTrafficPolicy Local takes precedence for the NodePort; the cluster IP still follows the hints', () => {
      expect(realServers({ externalTrafficPolicy: 'Local' }, HINTED, 'zone-a')).to.deep.equal({
        clusterIP: ['10.244.1.2', '10.244.2.2'], nodePort: ['10.244.1.2'],
      });
    });

    it('internalTrafficPolicy Local takes precedence for the cluster IP, even for an endpoint hinted elsewhere', () => {
      const eps = HINTED.map((e) => (e.node === 'node-1' ? { ...e, zones: ['zone-b'] } : e));
      expect(realServers({ internalTrafficPolicy: 'Local' }, eps, 'zone-b')).to.deep.equal({
        clusterIP: ['10.244.1.2'], nodePort: ['10.244.1.2', '10.244.3.2', '10.244.4.2'],
      });
    });

    it('the hints decide, not trafficDistribution or the topology-mode annotations (kube-proxy 1.33+)', () => {
      const unhinted = HINTED.map((e, i) => (i === 3 ? { ip: e.ip, node: e.node } : e));
      // Asked for, but the EndpointSlice controller has not (or could not) hint every endpoint: all of them.
      expect(realServers({ trafficDistribution: 'PreferClose' }, unhinted, 'zone-a').clusterIP).to.deep.equal(ALL);
      expect(realServers({}, unhinted, 'zone-a', { 'service.kubernetes.io/topology-mode': 'Auto' }).clusterIP).to.deep.equal(ALL);
      // Hinted although the Service asks for nothing (or says Disabled): the hints are followed.
      expect(realServers({}, HINTED, 'zone-a', { 'service.kubernetes.io/topology-mode': 'Disabled' }).clusterIP).to.deep.equal(['10.244.1.2', '10.244.2.2']);
      expect(realServers({}, HINTED, 'zone-a', { 'service.kubernetes.io/topology-aware-hints': 'disabled' }).clusterIP).to.deep.equal(['10.244.1.2', '10.244.2.2']);
    });

    it('PreferSameNode hints (forNodes) keep node-1\'s traffic on node-1, others fall back to their zone', () => {
      const eps = HINTED.map((e) => ({ ...e, nodes: [e.node!] }));
      expect(realServers({ trafficDistribution: 'PreferSameNode' }, eps, 'zone-a').clusterIP).to.deep.equal(['10.244.1.2']);
      const { state } = buildDesiredState({
        services: [service('web', { type: 'ClusterIP', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80 }] })],
        endpointSlices: [hinted('web-1', 'web', eps)],
        node: node({ nodeName: 'node-9', zone: 'zone-b' }),
      });
      expect(state.virtualServers[0]!.realServers.map((r) => r.address)).to.deep.equal(['10.244.3.2', '10.244.4.2']);
    });
  });
});

interface HintedEp extends Ep {
  zones?: string[];
  nodes?: string[];
}

/** A slice with one "http" port 80/TCP whose endpoints carry hints.forZones / hints.forNodes. */
function hinted(name: string, svc: string, eps: HintedEp[]): V1EndpointSlice {
  const s = slice(name, svc, [{ name: 'http', port: 80, protocol: 'TCP' }], eps.map((e) => ({ ready: true, ...e })));
  (s.endpoints ?? []).forEach((endpoint, i) => {
    const { zones, nodes } = eps[i]!;
    if (zones || nodes) {
      endpoint.hints = {
        ...(zones ? { forZones: zones.map((z) => ({ name: z })) } : {}),
        ...(nodes ? { forNodes: nodes.map((n) => ({ name: n })) } : {}),
      };
    }
  });
  return s;
}
