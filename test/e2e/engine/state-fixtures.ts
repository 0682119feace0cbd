// The states and foreign objects the engine e2e suites apply, and what the real tools must print for them.
// Rules are written in iptables-save's canonical form (what the planner compares with).
import { createHash } from 'node:crypto';
import type { RealServer, State } from '../../../lib/state/types.js';
import { run, tryRun } from '../netlink/kernel-tools.js';

export const PORTALS = '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES';
export const IPVS_FILTER_JUMP = '-m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER';
/** A rule of ours in a built-in chain that jumps to no chain of ours: recorded by its hash in the ledger. */
export const LOOP_BACK = '-m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE';
export const CLUSTER_IP_ACCEPT = '-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT';
export const EXTERNAL_IP_MASQ = '-m set --match-set KUBE-EXTERNAL-IP dst -j KUBE-MARK-MASQ';
export const TO_NODE_PORT = '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT';
export const NODE_PORT_TCP = '-p tcp -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ';
export const MARK_MASQ = '-j MARK --set-xmark 0x4000/0x4000';
export const FILTER_CLUSTER_IP = '-m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN';

export const masq = (address: string, port: number, weight = 1): RealServer => ({ address, port, weight, forward: 'masq' });

/** Node addresses live on node0 (NodePort virtual servers use them); pod addresses are routed into it. */
export function addNodeNetwork(): void {
  run('ip', ['link', 'add', 'node0', 'type', 'dummy']);
  run('ip', ['link', 'set', 'node0', 'up']);
  run('ip', ['addr', 'add', '192.168.122.10/24', 'dev', 'node0']);
  // Connections to a virtual server then get a route to their real server (the packets vanish in the
  // dummy link, but IPVS has scheduled the connection and counts it).
  run('ip', ['route', 'add', '10.244.0.0/16', 'dev', 'node0']);
}

/** The ledger entry of a rule in a built-in chain (lib/engine/OWNERSHIP.md): sha1 of the text, 16 hex digits. */
export function ruleLedgerEntry(chain: string, rule: string): string {
  return `-m comment --comment "rule ${chain} ${createHash('sha1').update(rule).digest('hex').slice(0, 16)}" -j RETURN`;
}

export function chainLedgerEntry(chain: string): string {
  return `-m comment --comment "chain ${chain}" -j RETURN`;
}

/** State A: ClusterIPs v4/v6, a NodePort, persistence, sh flags, fwmark services (inet, inet6), five set kinds, iptables. */
export function stateA(): State {
  return {
    interface: { name: 'kube-ipvs0', addresses: ['10.96.0.10/32', '10.96.0.20/32', 'fd00:10:96::a/128'] },
    virtualServers: [
      { protocol: 'tcp', address: '10.96.0.10', port: 80, scheduler: 'rr', flags: [], realServers: [masq('10.244.1.2', 8080), masq('10.244.1.3', 8080)] },
      { protocol: 'udp', address: '10.96.0.10', port: 53, scheduler: 'sh', flags: ['sh-fallback', 'sh-port'], realServers: [masq('10.244.1.4', 53)] },
      { protocol: 'tcp', address: '10.96.0.20', port: 443, scheduler: 'wlc', flags: ['persistent'], timeout: 10800, realServers: [masq('10.244.1.5', 8443)] },
      { protocol: 'tcp', address: '192.168.122.10', port: 31122, scheduler: 'rr', flags: [], realServers: [masq('10.244.1.2', 8080)] },
      { protocol: 'tcp', address: 'fd00:10:96::a', port: 443, scheduler: 'lc', flags: [], realServers: [masq('fd00:244::5', 8443)] },
      { fwmark: 10, family: 'inet', scheduler: 'rr', flags: [], realServers: [masq('10.244.1.6', 0)] },
      { fwmark: 11, family: 'inet6', scheduler: 'rr', flags: [], realServers: [masq('fd00:244::8', 0)] },
    ],
    ipsets: [
      { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.10,tcp:80', '10.96.0.10,udp:53', '10.96.0.20,tcp:443'] },
      { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', family: 'inet', entries: ['10.244.1.2,tcp:8080,10.244.1.2'] },
      { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: 'inet', entries: ['31122'] },
      { name: 'KUBE-EXTERNAL-IP', type: 'hash:ip', family: 'inet', entries: ['203.0.113.10'] },
      { name: 'KUBE-6-CLUSTER-IP', type: 'hash:ip,port', family: 'inet6', entries: ['fd00:10:96::a,tcp:443'] },
    ],
    iptables: {
      nat: {
        PREROUTING: [PORTALS],
        OUTPUT: [PORTALS],
        POSTROUTING: [LOOP_BACK],
        'KUBE-SERVICES': [CLUSTER_IP_ACCEPT, EXTERNAL_IP_MASQ, TO_NODE_PORT],
        'KUBE-MARK-MASQ': [MARK_MASQ],
        'KUBE-NODE-PORT': [NODE_PORT_TCP],
      },
      filter: {
        INPUT: [IPVS_FILTER_JUMP],
        'KUBE-IPVS-FILTER': [FILTER_CLUSTER_IP],
      },
    },
  };
}

/** `ipvsadm -Sn` lines of state A's virtual servers. */
export const IPVSADM_A = [
  '-A -t 10.96.0.10:80 -s rr',
  '-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1',
  '-a -t 10.96.0.10:80 -r 10.244.1.3:8080 -m -w 1',
  '-A -u 10.96.0.10:53 -s sh -b sh-fallback,sh-port',
  '-a -u 10.96.0.10:53 -r 10.244.1.4:53 -m -w 1',
  '-A -t 10.96.0.20:443 -s wlc -p 10800',
  '-a -t 10.96.0.20:443 -r 10.244.1.5:8443 -m -w 1',
  '-A -t 192.168.122.10:31122 -s rr',
  '-a -t 192.168.122.10:31122 -r 10.244.1.2:8080 -m -w 1',
  '-A -t [fd00:10:96::a]:443 -s lc',
  '-a -t [fd00:10:96::a]:443 -r [fd00:244::5]:8443 -m -w 1',
  '-A -f 10 -s rr',
  '-a -f 10 -r 10.244.1.6:0 -m -w 1',
  '-A -f 11 -6 -s rr',
  '-a -f 11 -6 -r [fd00:244::8]:0 -m -w 1',
];

const HASH = 'hashsize 1024 maxelem 65536 bucketsize 12';

/** `ipset save` lines (initval removed) of state A's sets. */
export const IPSET_A = [
  `create KUBE-CLUSTER-IP hash:ip,port family inet ${HASH}`,
  'add KUBE-CLUSTER-IP 10.96.0.10,tcp:80',
  'add KUBE-CLUSTER-IP 10.96.0.10,udp:53',
  'add KUBE-CLUSTER-IP 10.96.0.20,tcp:443',
  `create KUBE-LOOP-BACK hash:ip,port,ip family inet ${HASH}`,
  'add KUBE-LOOP-BACK 10.244.1.2,tcp:8080,10.244.1.2',
  'create KUBE-NODE-PORT-TCP bitmap:port range 0-65535',
  'add KUBE-NODE-PORT-TCP 31122',
  `create KUBE-EXTERNAL-IP hash:ip family inet ${HASH}`,
  'add KUBE-EXTERNAL-IP 203.0.113.10',
  `create KUBE-6-CLUSTER-IP hash:ip,port family inet6 ${HASH}`,
  'add KUBE-6-CLUSTER-IP fd00:10:96::a,tcp:443',
];

/** The ledger sets (OWNERSHIP.md) after state A: every virtual server and set of ours, by kind. */
export const LEDGER_A = [
  `create IPVS-PROXIER-VS hash:ip,port family inet ${HASH}`,
  'add IPVS-PROXIER-VS 10.96.0.10,tcp:80',
  'add IPVS-PROXIER-VS 10.96.0.10,udp:53',
  'add IPVS-PROXIER-VS 10.96.0.20,tcp:443',
  'add IPVS-PROXIER-VS 192.168.122.10,tcp:31122',
  `create IPVS-PROXIER-VS6 hash:ip,port family inet6 ${HASH}`,
  'add IPVS-PROXIER-VS6 fd00:10:96::a,tcp:443',
  `create IPVS-PROXIER-FWM hash:ip family inet ${HASH}`,
  'add IPVS-PROXIER-FWM 0.0.0.10',
  // inet6 fwmark services have their own ledger set, of family inet too: a mark is written as an IPv4 address.
  `create IPVS-PROXIER-FWM6 hash:ip family inet ${HASH}`,
  'add IPVS-PROXIER-FWM6 0.0.0.11',
  'create IPVS-PROXIER-SETS list:set size 1024',
  'add IPVS-PROXIER-SETS KUBE-6-CLUSTER-IP',
  'add IPVS-PROXIER-SETS KUBE-CLUSTER-IP',
  'add IPVS-PROXIER-SETS KUBE-EXTERNAL-IP',
  'add IPVS-PROXIER-SETS KUBE-LOOP-BACK',
  'add IPVS-PROXIER-SETS KUBE-NODE-PORT-TCP',
];

// ---- Someone else's objects: they must survive every apply and the cleanup ----

/** A keepalived-like virtual server (direct routing to two nodes) and a fwmark service. */
export const FOREIGN_IPVSADM = [
  '-A -t 192.168.122.100:80 -s wrr',
  '-a -t 192.168.122.100:80 -r 192.168.122.11:80 -g -w 2',
  '-a -t 192.168.122.100:80 -r 192.168.122.12:80 -g -w 1',
  '-A -f 1 -s rr',
  '-a -f 1 -r 192.168.122.13:0 -g -w 1',
];
export const FOREIGN_SERVICES = [['-t', '192.168.122.100:80'], ['-f', '1']];

/** A firewall's set, and a kube-proxy leftover with a name like ours that no state here names. */
export const FOREIGN_IPSET = [
  `create FOREIGN-ALLOW hash:net family inet ${HASH}`,
  'add FOREIGN-ALLOW 10.10.0.0/16',
  `create KUBE-LOAD-BALANCER hash:ip,port family inet ${HASH}`,
  'add KUBE-LOAD-BALANCER 203.0.113.50,tcp:80',
];
export const FOREIGN_SETS = ['FOREIGN-ALLOW', 'KUBE-LOAD-BALANCER'];

export const FOREIGN_INPUT = ['-j FOREIGN-FW', '-m set --match-set FOREIGN-ALLOW src -j ACCEPT'];
export const FOREIGN_FW = ['-s 192.168.0.0/16 -j RETURN'];
export const FOREIGN_PREROUTING = '-s 192.168.0.0/16 -j RETURN';

export function addForeignObjects(): void {
  run('ipvsadm', ['-R'], FOREIGN_IPVSADM.join('\n') + '\n');
  run('ipset', ['restore'], FOREIGN_IPSET.map((l) => l.replace(' bucketsize 12', '')).join('\n') + '\n');
  run(
    'iptables-restore',
    ['--noflush'],
    [
      '*filter',
      ':FOREIGN-FW - [0:0]',
      ...FOREIGN_FW.map((r) => `-A FOREIGN-FW ${r}`),
      ...FOREIGN_INPUT.map((r) => `-A INPUT ${r}`),
      'COMMIT',
      '*nat',
      `-A PREROUTING ${FOREIGN_PREROUTING}`,
      'COMMIT',
      '',
    ].join('\n'),
  );
}

/** Removes the foreign iptables rules and chain (whatever of them is still there). */
export function removeForeignObjects(): void {
  // Rule texts without quotes: split on spaces they are iptables' own arguments.
  const del = (args: string[]) => void tryRun('iptables', args);
  del(['-t', 'nat', '-D', 'PREROUTING', ...FOREIGN_PREROUTING.split(' ')]);
  for (const r of FOREIGN_INPUT) del(['-t', 'filter', '-D', 'INPUT', ...r.split(' ')]);
  del(['-t', 'filter', '-F', 'FOREIGN-FW']);
  del(['-t', 'filter', '-X', 'FOREIGN-FW']);
}
