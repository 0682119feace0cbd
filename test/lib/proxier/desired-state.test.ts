// Behaviour of the desired state, one Service shape at a time.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { buildDesiredState } from '../../../lib/proxier/desired-state.js';
import type { NodeConfig } from '../../../lib/proxier/types.js';
import type { State, VirtualServer } from '../../../lib/state/types.js';
import { node, rs, service, slice } from './fixtures.js';

function build(services: V1Service[], slices: V1EndpointSlice[] = [], over: Partial<NodeConfig> = {}) {
  return buildDesiredState({ services, endpointSlices: slices, node: node(over) });
}

function vs(state: State, key: string): VirtualServer | undefined {
  return state.virtualServers.find((v) => `${v.protocol} ${v.address?.includes(':') ? `[${v.address}]` : v.address}:${v.port}` === key);
}

function vsKeys(state: State): string[] {
  return state.virtualServers.map((v) => `${v.protocol} ${v.address?.includes(':') ? `[${v.address}]` : v.address}:${v.port}`);
}

function members(state: State, set: string): string[] {
  const s = state.ipsets.find((i) => i.name === set);
  if (!s) throw new Error(`no ipset ${set}`);
  return s.entries;
}

const ready = (ip: string, nodeName?: string) => ({ ip, ...(nodeName ? { node: nodeName } : {}), ready: true });

describe('buildDesiredState', () => {
  describe('session affinity', () => {
    const cases: { title: string; spec: Partial<V1Service['spec']>; flags: string[]; timeout?: number }[] = [
      { title: 'None: no flags', spec: { sessionAffinity: 'None' }, flags: [] },
      {
        title: 'ClientIP with timeoutSeconds: persistent, that timeout',
        spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } },
        flags: ['persistent'], timeout: 600,
      },
      { title: 'ClientIP without config: persistent, 10800 s', spec: { sessionAffinity: 'ClientIP' }, flags: ['persistent'], timeout: 10800 },
    ];
    for (const c of cases) {
      it(c.title, () => {
        const { state } = build(
          [service('s', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }], ...c.spec })],
          [slice('s-1', 's', [{ port: 8080 }], [ready('10.244.1.7')])],
        );
        // Every frontend of the Service gets the same persistence.
        for (const key of ['tcp 10.96.0.10:80', 'tcp 192.168.122.10:30080']) {
          expect(vs(state, key)?.flags, key).to.deep.equal(c.flags);
          expect(vs(state, key)?.timeout, key).to.equal(c.timeout);
        }
      });
    }
  });

  describe('externalTrafficPolicy Local', () => {
    const svc = service('web', {
      type: 'NodePort', clusterIP: '10.96.0.20', externalTrafficPolicy: 'Local',
      ports: [{ port: 80, nodePort: 30080 }],
    });

    it('node port uses only endpoints on this node; the cluster IP uses all', () => {
      const { state, stats } = build([svc], [slice('web-1', 'web', [{ port: 8080 }], [ready('10.244.1.2', 'node-1'), ready('10.244.2.2', 'node-2')])]);
      expect(vs(state, 'tcp 10.96.0.20:80')?.realServers).to.deep.equal(rs('10.244.1.2:8080', '10.244.2.2:8080'));
      expect(vs(state, 'tcp 192.168.122.10:30080')?.realServers).to.deep.equal(rs('10.244.1.2:8080'));
      expect(members(state, 'KUBE-NODE-PORT-LOCAL-TCP')).to.deep.equal(['30080']);
      expect(members(state, 'KUBE-NODE-PORT-TCP')).to.deep.equal(['30080']);
      // The Local RETURN comes before the masquerade jump, or Local node ports would lose the client address.
      expect(state.iptables!.nat!['KUBE-NODE-PORT']).to.deep.equal([
        '-p tcp -m comment --comment "Kubernetes nodeport TCP port with externalTrafficPolicy=local" -m set --match-set KUBE-NODE-PORT-LOCAL-TCP dst -j RETURN',
        '-p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ',
      ]);
      expect(stats.noLocalEndpoints.external.inet).to.equal(0);
    });

    it('with no endpoint on this node the node port has no real servers (no fallback to remote ones)', () => {
      const { state, stats } = build([svc], [slice('web-1', 'web', [{ port: 8080 }], [ready('10.244.2.2', 'node-2')])]);
      expect(vs(state, 'tcp 192.168.122.10:30080')?.realServers).to.deep.equal([]);
      expect(vs(state, 'tcp 10.96.0.20:80')?.realServers).to.deep.equal(rs('10.244.2.2:8080'));
      expect(stats.noLocalEndpoints.external.inet).to.equal(1);
      expect(stats.noLocalEndpoints.internal.inet).to.equal(0);
    });

    it('LoadBalancer: LB IP local, health check node port allowed, KUBE-LOAD-BALANCER-LOCAL returns early', () => {
      const lb = service('lb', {
        type: 'LoadBalancer', clusterIP: '10.96.0.30', externalTrafficPolicy: 'Local', healthCheckNodePort: 32100,
        ports: [{ port: 443, nodePort: 30443 }],
      }, { lbIngress: [{ ip: '203.0.113.5', ipMode: 'VIP' }] });
      const { state } = build([lb], [slice('lb-1', 'lb', [{ port: 8443 }], [ready('10.244.1.9', 'node-1'), ready('10.244.2.9', 'node-2')])]);
      expect(vs(state, 'tcp 203.0.113.5:443')?.realServers).to.deep.equal(rs('10.244.1.9:8443'));
      expect(members(state, 'KUBE-LOAD-BALANCER')).to.deep.equal(['203.0.113.5,tcp:443']);
      expect(members(state, 'KUBE-LOAD-BALANCER-LOCAL')).to.deep.equal(['203.0.113.5,tcp:443']);
      expect(members(state, 'KUBE-HEALTH-CHECK-NODE-PORT')).to.deep.equal(['32100']);
      expect(state.interface!.addresses).to.deep.equal(['10.96.0.30/32', '203.0.113.5/32']);
      expect(state.iptables!.nat!['KUBE-LOAD-BALANCER']).to.deep.equal([
        '-m comment --comment "Kubernetes service load balancer ip + port with externalTrafficPolicy=local" -m set --match-set KUBE-LOAD-BALANCER-LOCAL dst,dst -j RETURN',
        '-j KUBE-MARK-MASQ',
      ]);
      expect(state.iptables!.nat!['KUBE-SERVICES']).to.deep.equal([
        '-s 127.0.0.0/8 -j RETURN',
        '-m comment --comment "Kubernetes service lb portal" -m set --match-set KUBE-LOAD-BALANCER dst,dst -j KUBE-LOAD-BALANCER',
        '! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ',
        '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
        '-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
        '-m set --match-set KUBE-LOAD-BALANCER dst,dst -j ACCEPT',
      ]);
    });
  });

  describe('internalTrafficPolicy Local', () => {
    const svc = service('dns', { clusterIP: '10.96.0.10', internalTrafficPolicy: 'Local', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] });

    it('the cluster IP uses only endpoints on this node', () => {
      const { state } = build([svc], [slice('dns-1', 'dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], [ready('10.244.1.3', 'node-1'), ready('10.244.2.3', 'node-2')])]);
      expect(vs(state, 'udp 10.96.0.10:53')?.realServers).to.deep.equal(rs('10.244.1.3:53'));
      expect(members(state, 'KUBE-CLUSTER-IP')).to.deep.equal(['10.96.0.10,udp:53']);
    });

    it('with none on this node the cluster IP has no real servers and the metric counts it', () => {
      const { state, stats } = build([svc], [slice('dns-1', 'dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], [ready('10.244.2.3', 'node-2')])]);
      expect(vs(state, 'udp 10.96.0.10:53')?.realServers).to.deep.equal([]);
      expect(stats.noLocalEndpoints.internal.inet).to.equal(1);
    });
  });

  describe('endpoint readiness', () => {
    const svc = service('api', { type: 'NodePort', clusterIP: '10.96.0.40', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30040 }] });
    const cases: { title: string; eps: Parameters<typeof slice>[3]; cluster: string[]; local: string[] }[] = [
      {
        title: 'not-ready endpoints are left out',
        eps: [{ ip: '10.244.1.1', node: 'node-1', ready: false }, { ip: '10.244.2.1', node: 'node-2' }],
        cluster: ['10.244.2.1:8080'], local: [],
      },
      {
        title: 'with no ready endpoint, serving+terminating ones are used (not the non-serving ones)',
        eps: [
          { ip: '10.244.1.1', node: 'node-1', ready: false, serving: true, terminating: true },
          { ip: '10.244.2.1', node: 'node-2', ready: false, serving: false, terminating: true },
          { ip: '10.244.2.2', node: 'node-2', ready: false, serving: false, terminating: false },
        ],
        cluster: ['10.244.1.1:8080'], local: ['10.244.1.1:8080'],
      },
      {
        title: 'the local fallback to terminating endpoints is independent of ready remote ones',
        eps: [
          { ip: '10.244.1.1', node: 'node-1', ready: false, serving: true, terminating: true },
          { ip: '10.244.2.1', node: 'node-2', ready: true },
        ],
        cluster: ['10.244.2.1:8080'], local: ['10.244.1.1:8080'],
      },
      {
        title: 'ready endpoints win over terminating ones',
        eps: [
          { ip: '10.244.1.1', node: 'node-1', ready: false, serving: true, terminating: true },
          { ip: '10.244.1.2', node: 'node-1', ready: true },
        ],
        cluster: ['10.244.1.2:8080'], local: ['10.244.1.2:8080'],
      },
      { title: 'unset conditions mean ready', eps: [{ ip: '10.244.1.1', node: 'node-1' }], cluster: ['10.244.1.1:8080'], local: ['10.244.1.1:8080'] },
    ];
    for (const c of cases) {
      it(c.title, () => {
        const { state } = build([svc], [slice('api-1', 'api', [{ port: 8080 }], c.eps)]);
        expect(vs(state, 'tcp 10.96.0.40:80')?.realServers).to.deep.equal(rs(...c.cluster));
        expect(vs(state, 'tcp 192.168.122.10:30040')?.realServers).to.deep.equal(rs(...c.local));
      });
    }
  });

  describe('Services that get nothing', () => {
    const cases: { title: string; svc: V1Service }[] = [
      { title: 'headless (clusterIP None)', svc: service('db', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432 }] }) },
      { title: 'ExternalName', svc: service('ext', { type: 'ExternalName', externalName: 'example.com', ports: [{ port: 443 }] }) },
      { title: 'no cluster IP allocated', svc: service('new', { ports: [{ port: 80 }] }) },
    ];
    for (const c of cases) {
      it(c.title, () => {
        const { state, problems, stats } = build([c.svc], [slice('x-1', c.svc.metadata!.name!, [{ port: 80 }], [ready('10.244.1.1', 'node-1')])]);
        expect(state.virtualServers).to.deep.equal([]);
        expect(state.interface!.addresses).to.deep.equal([]);
        expect(state.ipsets.every((s) => s.entries.length === 0)).to.equal(true);
        expect(problems).to.deep.equal([]);
        expect(stats.servicesIgnored).to.equal(1);
      });
    }
  });

  it('a Service without selector works from a manual EndpointSlice (no port name, no node name)', () => {
    const manual: V1EndpointSlice = {
      addressType: 'IPv4',
      metadata: { name: 'legacy-db-manual', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'legacy-db' } },
      ports: [{ port: 3306 }],
      endpoints: [{ addresses: ['192.0.2.40'] }, { addresses: ['192.0.2.41'] }],
    };
    const { state } = build([service('legacy-db', { clusterIP: '10.96.3.3', ports: [{ port: 3306 }] }, { namespace: 'shop' })], [manual]);
    expect(vs(state, 'tcp 10.96.3.3:3306')?.realServers).to.deep.equal(rs('192.0.2.40:3306', '192.0.2.41:3306'));
    expect(members(state, 'KUBE-LOOP-BACK')).to.deep.equal([]);
  });

  it('a named target port resolving to different numbers in two slices; duplicates across slices merged', () => {
    const svc = service('app', { clusterIP: '10.96.5.5', ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'metrics', port: 9090 }] });
    const slices = [
      slice('app-a', 'app', [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }], [ready('10.244.1.1', 'node-1'), ready('10.244.1.2', 'node-2')]),
      // The v2 pods name port "web" 8081; 10.244.1.2 is also listed here while it moves between slices.
      slice('app-b', 'app', [{ name: 'http', port: 8081 }], [ready('10.244.1.3', 'node-2')]),
      slice('app-c', 'app', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.2', node: 'node-2', ready: false, serving: true, terminating: true }]),
      // Another Service's slice and an UDP port of the same name must not leak in.
      slice('other', 'other', [{ name: 'http', port: 1 }], [ready('10.244.9.9')]),
      slice('app-udp', 'app', [{ name: 'http', port: 5353, protocol: 'UDP' }], [ready('10.244.8.8')]),
    ];
    const { state } = build([svc], slices);
    expect(vs(state, 'tcp 10.96.5.5:80')?.realServers).to.deep.equal(rs('10.244.1.1:8080', '10.244.1.2:8080', '10.244.1.3:8081'));
    expect(vs(state, 'tcp 10.96.5.5:9090')?.realServers).to.deep.equal(rs('10.244.1.1:9100', '10.244.1.2:9100'));
    expect(members(state, 'KUBE-LOOP-BACK')).to.deep.equal(['10.244.1.1,tcp:8080,10.244.1.1', '10.244.1.1,tcp:9100,10.244.1.1']);
  });

  describe('IPv6 and dual-stack', () => {
    it('IPv6 single-stack: KUBE-6- sets (31 characters at most), ip6 tables, /128 addresses', () => {
      const { state, problems } = build(
        [service('v6', { type: 'NodePort', clusterIP: 'fd00:10:96::a', clusterIPs: ['fd00:10:96::a'], ipFamilies: ['IPv6'], ports: [{ port: 80, nodePort: 30060 }] })],
        [slice('v6-1', 'v6', [{ port: 8080 }], [ready('fd00:10:244:1::5', 'node-1')], { addressType: 'IPv6' })],
        { ipFamilies: ['inet6'], nodeIPs: ['2001:db8::10'], clusterCIDRs: ['fd00:10:244::/56'] },
      );
      expect(problems).to.deep.equal([]);
      expect(vsKeys(state)).to.deep.equal(['tcp [2001:db8::10]:30060', 'tcp [fd00:10:96::a]:80']);
      expect(vs(state, 'tcp [fd00:10:96::a]:80')?.realServers).to.deep.equal(rs('[fd00:10:244:1::5]:8080'));
      expect(state.interface!.addresses).to.deep.equal(['fd00:10:96::a/128']);
      expect(state.ipsets.map((s) => s.name)).to.include.members([
        'KUBE-6-CLUSTER-IP', 'KUBE-6-LOAD-BALANCER-SOURCE-CID', 'KUBE-6-NODE-PORT-LOCAL-SCTP-HAS', 'KUBE-6-IPVS-IPS',
      ]);
      expect(state.ipsets.every((s) => s.name.length <= 31 && s.name.startsWith('KUBE-6-'))).to.equal(true);
      expect(state.ipsets.find((s) => s.name === 'KUBE-6-CLUSTER-IP')).to.deep.equal({
        name: 'KUBE-6-CLUSTER-IP', type: 'hash:ip,port', family: 'inet6', entries: ['fd00:10:96::a,tcp:80'],
      });
      // bitmap:port has no family: reported as inet.
      expect(state.ipsets.find((s) => s.name === 'KUBE-6-NODE-PORT-TCP')).to.deep.equal({
        name: 'KUBE-6-NODE-PORT-TCP', type: 'bitmap:port', family: 'inet', entries: ['30060'],
      });
      expect(Object.keys(state.iptables!)).to.deep.equal(['ip6-nat', 'ip6-filter']);
      expect(state.iptables!['ip6-nat']!['KUBE-SERVICES']!.slice(0, 2)).to.deep.equal([
        '-s ::1/128 -j RETURN',
        '! -s fd00:10:244::/56 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-6-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ',
      ]);
      expect(state.iptables!['ip6-filter']!['KUBE-IPVS-FILTER']!.at(-1)).to.equal(
        '-m conntrack --ctstate NEW -m set --match-set KUBE-6-IPVS-IPS dst -j REJECT --reject-with icmp6-port-unreachable',
      );
    });

    it('dual-stack: each family gets its own virtual servers, sets and tables from its own slices', () => {
      const svc = service('dual', {
        type: 'NodePort', clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7', 'fd00:10:96::7'], ipFamilies: ['IPv4', 'IPv6'],
        externalIPs: ['198.51.100.7', '2001:db8:7::7'], ports: [{ port: 80, nodePort: 30070 }],
      });
      const { state, problems } = build(
        [svc],
        [
          slice('dual-v4', 'dual', [{ port: 8080 }], [ready('10.244.1.7', 'node-1')]),
          slice('dual-v6', 'dual', [{ port: 8080 }], [ready('fd00:10:244:1::7', 'node-1')], { addressType: 'IPv6' }),
        ],
        { ipFamilies: ['inet', 'inet6'], nodeIPs: ['192.168.122.10', '2001:db8::10'], clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56'] },
      );
      expect(problems).to.deep.equal([]);
      expect(vsKeys(state)).to.deep.equal([
        'tcp 10.96.7.7:80', 'tcp 192.168.122.10:30070', 'tcp 198.51.100.7:80',
        'tcp [2001:db8::10]:30070', 'tcp [2001:db8:7::7]:80', 'tcp [fd00:10:96::7]:80',
      ]);
      expect(vs(state, 'tcp 10.96.7.7:80')?.realServers).to.deep.equal(rs('10.244.1.7:8080'));
      expect(vs(state, 'tcp [2001:db8:7::7]:80')?.realServers).to.deep.equal(rs('[fd00:10:244:1::7]:8080'));
      expect(state.interface!.addresses).to.deep.equal(['10.96.7.7/32', '198.51.100.7/32', '2001:db8:7::7/128', 'fd00:10:96::7/128']);
      expect(members(state, 'KUBE-EXTERNAL-IP')).to.deep.equal(['198.51.100.7,tcp:80']);
      expect(members(state, 'KUBE-6-EXTERNAL-IP')).to.deep.equal(['2001:db8:7::7,tcp:80']);
      expect(state.ipsets).to.have.length(34);
      expect(Object.keys(state.iptables!)).to.deep.equal(['nat', 'filter', 'ip6-nat', 'ip6-filter']);
    });

    it('a dual-stack Service on an IPv4-only node programs only its IPv4 side', () => {
      const svc = service('dual', { clusterIPs: ['fd00:10:96::7', '10.96.7.7'], ipFamilies: ['IPv6', 'IPv4'], ports: [{ port: 80 }] });
      const { state, problems } = build([svc]);
      expect(problems).to.deep.equal([]);
      expect(vsKeys(state)).to.deep.equal(['tcp 10.96.7.7:80']);
    });
  });

  it('an externalIP that is one of the node\'s addresses is served but not bound to kube-ipvs0', () => {
    const svc = service('ext', { clusterIP: '10.96.8.8', externalIPs: ['192.168.122.10', '198.51.100.8'], ports: [{ port: 8000 }] });
    const { state } = build([svc], [slice('ext-1', 'ext', [{ port: 8000 }], [ready('10.244.1.8', 'node-1')])]);
    expect(vsKeys(state)).to.deep.equal(['tcp 10.96.8.8:8000', 'tcp 192.168.122.10:8000', 'tcp 198.51.100.8:8000']);
    expect(state.interface!.addresses).to.deep.equal(['10.96.8.8/32', '198.51.100.8/32']);
    expect(members(state, 'KUBE-IPVS-IPS')).to.deep.equal(['10.96.8.8', '198.51.100.8']);
    expect(members(state, 'KUBE-EXTERNAL-IP')).to.deep.equal(['192.168.122.10,tcp:8000', '198.51.100.8,tcp:8000']);
    expect(state.iptables!.nat!['KUBE-SERVICES']).to.include.members([
      '-m comment --comment "Kubernetes service external ip + port for masquerade and filter purpose" -m set --match-set KUBE-EXTERNAL-IP dst,dst -j KUBE-MARK-MASQ',
      '-m comment --comment "Kubernetes service external ip + port for masquerade and filter purpose" -m set --match-set KUBE-EXTERNAL-IP dst,dst -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT',
      '-m comment --comment "Kubernetes service external ip + port for masquerade and filter purpose" -m set --match-set KUBE-EXTERNAL-IP dst,dst -m addrtype --dst-type LOCAL -j ACCEPT',
    ]);
  });

  it('localAddresses (all node addresses) decide binding even outside --nodeport-addresses', () => {
    const svc = service('ext', { clusterIP: '10.96.8.8', externalIPs: ['10.0.0.5'], ports: [{ port: 8000 }] });
    const { state } = build([svc], [], { localAddresses: ['192.168.122.10', '10.0.0.5'] });
    expect(state.interface!.addresses).to.deep.equal(['10.96.8.8/32']);
  });

  describe('LoadBalancer with loadBalancerSourceRanges', () => {
    const lb = (ranges: string[]) => service('lb', {
      type: 'LoadBalancer', clusterIP: '10.96.9.9', loadBalancerSourceRanges: ranges, ports: [{ port: 80, nodePort: 30090 }],
    }, { lbIngress: [{ ip: '203.0.113.5' }, { ip: '203.0.113.6', ipMode: 'Proxy' }, { ip: '2001:db8::5' }] });

    it('ranges without the node: firewall sets, DROP for the node\'s own traffic to the LB IP', () => {
      const { state } = build([lb(['198.51.100.0/24', ' 192.0.2.7/32'])]);
      expect(vsKeys(state)).to.deep.equal(['tcp 10.96.9.9:80', 'tcp 192.168.122.10:30090', 'tcp 203.0.113.5:80']);
      expect(members(state, 'KUBE-LOAD-BALANCER-FW')).to.deep.equal(['203.0.113.5,tcp:80']);
      // ipset prints a full-length net without its prefix.
      expect(members(state, 'KUBE-LOAD-BALANCER-SOURCE-CIDR')).to.deep.equal(['203.0.113.5,tcp:80,192.0.2.7', '203.0.113.5,tcp:80,198.51.100.0/24']);
      expect(members(state, 'KUBE-LOAD-BALANCER-SOURCE-IP')).to.deep.equal([]);
      const filter = state.iptables!.filter!;
      expect(filter['KUBE-PROXY-FIREWALL']).to.deep.equal([
        '-m comment --comment "Kubernetes service load balancer ip + port for load balancer with sourceRange" -m set --match-set KUBE-LOAD-BALANCER-FW dst,dst -j KUBE-SOURCE-RANGES-FIREWALL',
      ]);
      expect(filter['KUBE-SOURCE-RANGES-FIREWALL']).to.deep.equal([
        '-m comment --comment "Kubernetes service load balancer ip + port + source cidr for packet filter purpose" -m set --match-set KUBE-LOAD-BALANCER-SOURCE-CIDR dst,dst,src -j RETURN',
        '-j DROP',
      ]);
      expect(filter['KUBE-IPVS-OUT-FILTER']).to.deep.equal(['-s 203.0.113.5/32 -m ipvs --vproto 6 --vaddr 203.0.113.5 --vport 80 -j DROP']);
    });

    it('a range holding the node IP lets the node in (KUBE-LOAD-BALANCER-SOURCE-IP), no DROP', () => {
      const { state } = build([lb(['192.168.122.0/24'])]);
      expect(members(state, 'KUBE-LOAD-BALANCER-SOURCE-IP')).to.deep.equal(['203.0.113.5,tcp:80,203.0.113.5']);
      expect(state.iptables!.filter!['KUBE-SOURCE-RANGES-FIREWALL']).to.deep.equal([
        '-m comment --comment "Kubernetes service load balancer ip + port + source cidr for packet filter purpose" -m set --match-set KUBE-LOAD-BALANCER-SOURCE-CIDR dst,dst,src -j RETURN',
        '-m comment --comment "Kubernetes service load balancer ip + port + source IP for packet filter purpose" -m set --match-set KUBE-LOAD-BALANCER-SOURCE-IP dst,dst,src -j RETURN',
        '-j DROP',
      ]);
      expect(state.iptables!.filter!['KUBE-IPVS-OUT-FILTER']).to.deep.equal([]);
    });
  });

  describe('bad Services are reported and skipped, the others are unaffected', () => {
    const good = service('good', { clusterIP: '10.96.1.1', ports: [{ port: 80 }] });
    const goodSlice = slice('good-1', 'good', [{ port: 8080 }], [ready('10.244.1.1', 'node-1')]);
    const cases: { title: string; bad: V1Service; field: string; reason: RegExp }[] = [
      { title: 'bad cluster IP text', bad: service('bad', { clusterIP: '10.96.1.300', ports: [{ port: 80 }] }), field: 'spec.clusterIPs[0]', reason: /invalid cluster IP "10.96.1.300"/ },
      { title: 'port 0', bad: service('bad', { clusterIP: '10.96.1.2', ports: [{ port: 0 }] }), field: 'spec.ports[0].port', reason: /out of range/ },
      { title: 'port 70000', bad: service('bad', { clusterIP: '10.96.1.2', ports: [{ port: 81 }, { port: 70000 }] }), field: 'spec.ports[1].port', reason: /70000/ },
      { title: 'node port 70000', bad: service('bad', { type: 'NodePort', clusterIP: '10.96.1.2', ports: [{ port: 80, nodePort: 70000 }] }), field: 'spec.ports[0].nodePort', reason: /70000/ },
      { title: 'unknown protocol', bad: service('bad', { clusterIP: '10.96.1.2', ports: [{ port: 80, protocol: 'ICMP' }] }), field: 'spec.ports[0].protocol', reason: /ICMP/ },
      {
        title: 'unknown scheduler annotation',
        bad: service('bad', { clusterIP: '10.96.1.2', ports: [{ port: 80 }] }, { annotations: { 'ipvs-proxier.io/scheduler': 'fastest' } }),
        field: 'metadata.annotations[ipvs-proxier.io/scheduler]', reason: /unknown IPVS scheduler "fastest"/,
      },
      {
        title: 'unknown flag annotation',
        bad: service('bad', { clusterIP: '10.96.1.2', ports: [{ port: 80 }] }, { annotations: { 'ipvs-proxier.io/flags': 'turbo' } }),
        field: 'metadata.annotations[ipvs-proxier.io/flags]', reason: /unknown IPVS flag "turbo"/,
      },
      { title: 'bad external IP', bad: service('bad', { clusterIP: '10.96.1.2', externalIPs: ['example.com'], ports: [{ port: 80 }] }), field: 'spec.externalIPs[0]', reason: /example.com/ },
      { title: 'bad source range', bad: service('bad', { type: 'LoadBalancer', clusterIP: '10.96.1.2', loadBalancerSourceRanges: ['10.0.0.0/33'], ports: [{ port: 80 }] }), field: 'spec.loadBalancerSourceRanges[0]', reason: /10.0.0.0\/33/ },
      { title: 'bad LB ingress IP', bad: service('bad', { type: 'LoadBalancer', clusterIP: '10.96.1.2', ports: [{ port: 80 }] }, { lbIngress: [{ ip: '1.2.3' }] }), field: 'status.loadBalancer.ingress[0].ip', reason: /1.2.3/ },
      { title: 'affinity timeout out of range', bad: service('bad', { clusterIP: '10.96.1.2', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } }, ports: [{ port: 80 }] }), field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds', reason: /timeout 0/ },
      { title: 'duplicate port', bad: service('bad', { clusterIP: '10.96.1.2', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }), field: 'spec.ports[1].port', reason: /duplicate/ },
    ];
    const alone = build([good], [goodSlice]).state;
    for (const c of cases) {
      it(c.title, () => {
        const badSlice = slice('bad-1', 'bad', [{ port: 8080 }], [ready('10.244.1.99', 'node-1')]);
        const { state, problems, stats } = build([c.bad, good], [badSlice, goodSlice]);
        expect(problems).to.have.length(1);
        expect(problems[0]).to.include({ namespace: 'default', name: 'bad', field: c.field });
        expect(problems[0]!.reason).to.match(c.reason).and.match(/Service skipped/);
        expect(stats.servicesSkipped).to.equal(1);
        expect(state).to.deep.equal(alone);
      });
    }
  });

  it('a second Service claiming the same external IP and port is reported; the older one keeps it', () => {
    const older = service('older', { clusterIP: '10.96.2.1', externalIPs: ['198.51.100.2'], ports: [{ port: 80 }] }, { created: '2024-01-01T00:00:00Z' });
    const newer = service('a-newer', { clusterIP: '10.96.2.2', externalIPs: ['198.51.100.2'], ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] }, { created: '2024-06-01T00:00:00Z' });
    const { state, problems } = build([newer, older], [
      slice('older-1', 'older', [{ port: 8080 }], [ready('10.244.1.1')]),
      slice('newer-1', 'a-newer', [{ name: 'a', port: 9090 }, { name: 'b', port: 9091 }], [ready('10.244.1.2')]),
    ]);
    expect(vs(state, 'tcp 198.51.100.2:80')?.realServers).to.deep.equal(rs('10.244.1.1:8080'));
    expect(vs(state, 'tcp 198.51.100.2:81')?.realServers).to.deep.equal(rs('10.244.1.2:9091'));
    expect(vs(state, 'tcp 10.96.2.2:80')?.realServers).to.deep.equal(rs('10.244.1.2:9090'));
    expect(problems).to.deep.equal([{
      namespace: 'default', name: 'a-newer', field: 'spec.externalIPs',
      reason: 'virtual server tcp 198.51.100.2:80 already belongs to default/older; this address skipped',
    }]);
  });

  describe('masquerade rule for traffic to cluster IPs', () => {
    const svc = service('s', { clusterIP: '10.96.0.1', ports: [{ port: 443 }] });
    const comment = '-m comment --comment "Kubernetes service cluster ip + port for masquerade purpose"';
    const cases: { title: string; over: Partial<NodeConfig>; rule: string }[] = [
      { title: '--masquerade-all: all of it', over: { masqueradeAll: true }, rule: `${comment} -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ` },
      {
        title: '--masquerade-all wins over --cluster-cidr', over: { masqueradeAll: true, clusterCIDRs: ['10.244.0.0/16'] },
        rule: `${comment} -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ`,
      },
      {
        title: '--cluster-cidr: from outside the first pod CIDR of the family (host bits cleared)',
        over: { clusterCIDRs: ['10.244.3.0/16', '10.245.0.0/16', 'fd00::/48'] },
        rule: `! -s 10.244.0.0/16 ${comment} -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ`,
      },
      { title: 'neither: node traffic with a VIP source', over: { clusterCIDRs: [] }, rule: `${comment} -m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ` },
    ];
    for (const c of cases) {
      it(c.title, () => {
        const { state } = build([svc], [], c.over);
        expect(state.iptables!.nat!['KUBE-SERVICES']).to.deep.equal([
          '-s 127.0.0.0/8 -j RETURN',
          c.rule,
          '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
          '-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
        ]);
      });
    }

    it('with no Service at all only the unconditional rules remain', () => {
      const { state } = build([], [], { masqueradeAll: true });
      expect(state.iptables!.nat!['KUBE-SERVICES']).to.deep.equal(['-s 127.0.0.0/8 -j RETURN', '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT']);
      expect(state.iptables!.nat!['KUBE-POSTROUTING']).to.have.length(3);
      expect(state.ipsets).to.have.length(17);
    });
  });

  describe('scheduler', () => {
    it('per-Service annotation overrides the node scheduler; flags named as ipvsadm names them', () => {
      const svcs = [
        service('sh', { clusterIP: '10.96.4.1', ports: [{ port: 80 }] }, { annotations: { 'ipvs-proxier.io/scheduler': 'sh', 'ipvs-proxier.io/flags': 'flag-1, sh-port' } }),
        service('mh', { clusterIP: '10.96.4.2', ports: [{ port: 80 }] }, { annotations: { 'ipvs-proxier.io/scheduler': 'mh' } }),
        service('plain', { clusterIP: '10.96.4.3', ports: [{ port: 80 }] }),
      ];
      const { state } = build(svcs, [], { scheduler: 'lc' });
      expect(vs(state, 'tcp 10.96.4.1:80')).to.deep.include({ scheduler: 'sh', flags: ['sh-fallback', 'sh-port'] });
      // kube-proxy sets the source-port hash flag whenever it uses mh.
      expect(vs(state, 'tcp 10.96.4.2:80')).to.deep.include({ scheduler: 'mh', flags: ['mh-port'] });
      expect(vs(state, 'tcp 10.96.4.3:80')).to.deep.include({ scheduler: 'lc', flags: [] });
    });

    it('an unknown node scheduler is reported and rr used', () => {
      const { state, problems } = build([service('s', { clusterIP: '10.96.4.4', ports: [{ port: 80 }] })], [], { scheduler: 'fastest' });
      expect(problems).to.deep.equal([{ namespace: '', name: '', field: 'node.scheduler', reason: 'unknown IPVS scheduler "fastest"; using rr' }]);
      expect(vs(state, 'tcp 10.96.4.4:80')?.scheduler).to.equal('rr');
    });
  });

  it('UDP and SCTP node ports: bitmap for UDP, hash:ip,port with every node IP for SCTP', () => {
    const svc = service('mixed', {
      type: 'NodePort', clusterIP: '10.96.6.6', externalTrafficPolicy: 'Local',
      ports: [{ name: 'u', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 's', port: 3868, protocol: 'SCTP', nodePort: 30868 }],
    });
    const { state } = build([svc], [], { nodeIPs: ['192.168.122.10', '10.0.0.10'] });
    expect(members(state, 'KUBE-NODE-PORT-UDP')).to.deep.equal(['30053']);
    expect(members(state, 'KUBE-NODE-PORT-LOCAL-UDP')).to.deep.equal(['30053']);
    expect(members(state, 'KUBE-NODE-PORT-SCTP-HASH')).to.deep.equal(['10.0.0.10,sctp:30868', '192.168.122.10,sctp:30868']);
    expect(members(state, 'KUBE-NODE-PORT-LOCAL-SCTP-HASH')).to.deep.equal(['10.0.0.10,sctp:30868', '192.168.122.10,sctp:30868']);
    expect(vsKeys(state)).to.deep.equal([
      'udp 10.0.0.10:30053', 'udp 10.96.6.6:53', 'udp 192.168.122.10:30053',
      'sctp 10.0.0.10:30868', 'sctp 10.96.6.6:3868', 'sctp 192.168.122.10:30868',
    ]);
    expect(state.iptables!.nat!['KUBE-NODE-PORT']).to.deep.equal([
      '-p udp -m comment --comment "Kubernetes nodeport UDP port with externalTrafficPolicy=local" -m set --match-set KUBE-NODE-PORT-LOCAL-UDP dst -j RETURN',
      '-p udp -m comment --comment "Kubernetes nodeport UDP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-UDP dst -j KUBE-MARK-MASQ',
      '-p sctp -m comment --comment "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type \\\'hash ip:port\\\'" -m set --match-set KUBE-NODE-PORT-LOCAL-SCTP-HASH dst,dst -j RETURN',
      '-p sctp -m comment --comment "Kubernetes nodeport SCTP port for masquerade purpose with type \\\'hash ip:port\\\'" -m set --match-set KUBE-NODE-PORT-SCTP-HASH dst,dst -j KUBE-MARK-MASQ',
    ]);
  });

  it('LoadBalancer with allocateLoadBalancerNodePorts false has no node-port virtual servers', () => {
    const svc = service('lb', { type: 'LoadBalancer', clusterIP: '10.96.9.1', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] }, { lbIngress: [{ ip: '203.0.113.9' }] });
    const { state } = build([svc]);
    expect(vsKeys(state)).to.deep.equal(['tcp 10.96.9.1:80', 'tcp 203.0.113.9:80']);
  });

  it('an endpoint whose address does not match its slice family is reported and skipped', () => {
    const svc = service('s', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] });
    const { state, problems } = build([svc], [slice('s-1', 's', [{ port: 80 }], [ready('fd00::1'), ready('10.244.1.1')])]);
    expect(vs(state, 'tcp 10.96.0.5:80')?.realServers).to.deep.equal(rs('10.244.1.1:80'));
    expect(problems).to.deep.equal([{
      namespace: 'default', name: 's', field: 'EndpointSlice s-1 endpoints[0].addresses[0]',
      reason: '"fd00::1" is not an IPv4 address; endpoint skipped',
    }]);
  });
});
