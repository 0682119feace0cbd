// The two seed examples, checked against complete expected states written out by hand.
import { expect } from 'chai';
import { buildDesiredState } from '../../../lib/proxier/desired-state.js';
import type { IpsetState, State } from '../../../lib/state/types.js';
import { node, rs, service, slice } from './fixtures.js';

/** The 17 IPv4 sets kube-proxy creates, with the given members (everything else empty). */
function ipsets(members: Record<string, string[]>): IpsetState[] {
  const defs: [string, IpsetState['type']][] = [
    ['KUBE-CLUSTER-IP', 'hash:ip,port'],
    ['KUBE-EXTERNAL-IP', 'hash:ip,port'],
    ['KUBE-EXTERNAL-IP-LOCAL', 'hash:ip,port'],
    ['KUBE-HEALTH-CHECK-NODE-PORT', 'bitmap:port'],
    ['KUBE-IPVS-IPS', 'hash:ip'],
    ['KUBE-LOAD-BALANCER', 'hash:ip,port'],
    ['KUBE-LOAD-BALANCER-FW', 'hash:ip,port'],
    ['KUBE-LOAD-BALANCER-LOCAL', 'hash:ip,port'],
    ['KUBE-LOAD-BALANCER-SOURCE-CIDR', 'hash:ip,port,net'],
    ['KUBE-LOAD-BALANCER-SOURCE-IP', 'hash:ip,port,ip'],
    ['KUBE-LOOP-BACK', 'hash:ip,port,ip'],
    ['KUBE-NODE-PORT-LOCAL-SCTP-HASH', 'hash:ip,port'],
    ['KUBE-NODE-PORT-LOCAL-TCP', 'bitmap:port'],
    ['KUBE-NODE-PORT-LOCAL-UDP', 'bitmap:port'],
    ['KUBE-NODE-PORT-SCTP-HASH', 'hash:ip,port'],
    ['KUBE-NODE-PORT-TCP', 'bitmap:port'],
    ['KUBE-NODE-PORT-UDP', 'bitmap:port'],
  ];
  return defs.map(([name, type]) => ({ name, type, family: 'inet', entries: members[name] ?? [] }));
}

const FILTER = {
  INPUT: [
    '-m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER',
    '-m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL',
    '-m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT',
  ],
  FORWARD: [
    '-m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL',
    '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
  ],
  OUTPUT: ['-m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER'],
  'KUBE-FORWARD': [
    '-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ],
  'KUBE-NODE-PORT': [
    '-m comment --comment "Kubernetes health check node port" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT',
  ],
  'KUBE-PROXY-FIREWALL': [],
  'KUBE-SOURCE-RANGES-FIREWALL': ['-j DROP'],
  'KUBE-IPVS-FILTER': [
    '-m set --match-set KUBE-LOAD-BALANCER dst,dst -j RETURN',
    '-m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN',
    '-m set --match-set KUBE-EXTERNAL-IP dst,dst -j RETURN',
    '-m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst -j RETURN',
    '-m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN',
    '-m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable',
  ],
  'KUBE-IPVS-OUT-FILTER': [],
};

const NAT_COMMON = {
  PREROUTING: ['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
  OUTPUT: ['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
  POSTROUTING: ['-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'],
  'KUBE-SERVICES': [
    '-s 127.0.0.0/8 -j RETURN',
    '! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ',
    '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
    '-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
  ],
  'KUBE-POSTROUTING': [
    '-m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE',
    '-m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-j MARK --set-xmark 0x4000/0x0',
    '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ],
};

describe('buildDesiredState: seed examples', () => {
  it('httpd: a 3-replica ClusterIP Service, port 8080 -> targetPort 80', () => {
    const { state, problems, stats } = buildDesiredState({
      services: [
        service('httpd', {
          type: 'ClusterIP',
          clusterIP: '10.96.100.10',
          clusterIPs: ['10.96.100.10'],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP', targetPort: 80 }],
        }),
      ],
      endpointSlices: [
        slice('httpd-7x2kq', 'httpd', [{ name: 'http', port: 80, protocol: 'TCP' }], [
          { ip: '10.244.1.2', node: 'node-1', ready: true },
          { ip: '10.244.1.3', node: 'node-2', ready: true },
          { ip: '10.244.1.4', node: 'node-3', ready: true },
        ]),
      ],
      node: node(),
    });
    const expected: State = {
      interface: { name: 'kube-ipvs0', addresses: ['10.96.100.10/32'] },
      virtualServers: [
        {
          protocol: 'tcp', address: '10.96.100.10', port: 8080, scheduler: 'rr', flags: [],
          realServers: rs('10.244.1.2:80', '10.244.1.3:80', '10.244.1.4:80'),
        },
      ],
      ipsets: ipsets({
        'KUBE-CLUSTER-IP': ['10.96.100.10,tcp:8080'],
        'KUBE-IPVS-IPS': ['10.96.100.10'],
        // Only the endpoint on this node can hairpin through it.
        'KUBE-LOOP-BACK': ['10.244.1.2,tcp:80,10.244.1.2'],
      }),
      iptables: {
        nat: {
          ...NAT_COMMON,
          'KUBE-NODE-PORT': [],
          'KUBE-LOAD-BALANCER': ['-j KUBE-MARK-MASQ'],
          'KUBE-MARK-MASQ': ['-j MARK --set-xmark 0x4000/0x4000'],
        },
        filter: FILTER,
      },
    };
    expect(problems).to.deep.equal([]);
    expect(state).to.deep.equal(expected);
    expect(stats).to.deep.include({ services: 1, servicePorts: 1, virtualServers: 1, realServers: 3 });
  });

  it('web-nodeport: NodePort 3017 -> 5003 on node port 31122, 2 endpoints, node IP 192.168.122.10', () => {
    const { state, problems } = buildDesiredState({
      services: [
        service('web-nodeport', {
          type: 'NodePort',
          clusterIP: '10.96.45.7',
          clusterIPs: ['10.96.45.7'],
          externalTrafficPolicy: 'Cluster',
          ports: [{ port: 3017, protocol: 'TCP', targetPort: 5003, nodePort: 31122 }],
        }),
      ],
      endpointSlices: [
        slice('web-nodeport-9fz8d', 'web-nodeport', [{ name: '', port: 5003, protocol: 'TCP' }], [
          { ip: '10.244.1.5', node: 'node-1', ready: true, serving: true, terminating: false },
          { ip: '10.244.1.6', node: 'node-2', ready: true, serving: true, terminating: false },
        ]),
      ],
      node: node({ nodeIPs: ['192.168.122.10'] }),
    });
    const realServers = rs('10.244.1.5:5003', '10.244.1.6:5003');
    const expected: State = {
      interface: { name: 'kube-ipvs0', addresses: ['10.96.45.7/32'] },
      virtualServers: [
        { protocol: 'tcp', address: '10.96.45.7', port: 3017, scheduler: 'rr', flags: [], realServers },
        { protocol: 'tcp', address: '192.168.122.10', port: 31122, scheduler: 'rr', flags: [], realServers },
      ],
      ipsets: ipsets({
        'KUBE-CLUSTER-IP': ['10.96.45.7,tcp:3017'],
        'KUBE-IPVS-IPS': ['10.96.45.7'],
        'KUBE-LOOP-BACK': ['10.244.1.5,tcp:5003,10.244.1.5'],
        'KUBE-NODE-PORT-TCP': ['31122'],
      }),
      iptables: {
        nat: {
          ...NAT_COMMON,
          'KUBE-NODE-PORT': [
            '-p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ',
          ],
          'KUBE-LOAD-BALANCER': ['-j KUBE-MARK-MASQ'],
          'KUBE-MARK-MASQ': ['-j MARK --set-xmark 0x4000/0x4000'],
        },
        filter: FILTER,
      },
    };
    expect(problems).to.deep.equal([]);
    expect(state).to.deep.equal(expected);
  });

  it('is deterministic: the order of input objects does not matter', () => {
    const services = [
      service('a', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] }),
      service('b', { clusterIP: '10.96.0.2', ports: [{ port: 80 }] }),
    ];
    const slices = [
      slice('a-1', 'a', [{ port: 8080 }], [{ ip: '10.244.0.1' }, { ip: '10.244.0.2' }]),
      slice('b-1', 'b', [{ port: 8080 }], [{ ip: '10.244.0.3', node: 'node-1' }]),
    ];
    const one = buildDesiredState({ services, endpointSlices: slices, node: node() });
    const two = buildDesiredState({ services: [...services].reverse(), endpointSlices: [...slices].reverse(), node: node() });
    expect(JSON.stringify(two)).to.equal(JSON.stringify(one));
  });
});
