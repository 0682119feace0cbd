// What the proxier will do, done by hand with the real tools, for the traffic fixture's self-test: a
// ClusterIP Service (TCP 8080 and UDP 53 on 10.96.0.50, bound to a dummy kube-ipvs0), a NodePort on the
// node IP, IPVS masq to the pods, rr; and kube-proxy's minimal nat/filter rules with its ipsets
// (KUBE-MARK-MASQ / KUBE-POSTROUTING masquerade, KUBE-NODE-PORT, KUBE-LOOP-BACK hairpin), in the
// shapes of /work/shared/reference/kube-proxy-ipvs.md.
import { runCommand } from '../../../e2e/traffic/run-command.js';

export const CLUSTER_IP = '10.96.0.50';
export const CLUSTER_PORT = 8080;
export const CLUSTER_UDP_PORT = 53;
export const NODE_PORT = 31122;
/** kube-proxy --cluster-cidr: traffic from outside it to a ClusterIP is masqueraded. */
export const CLUSTER_CIDR = '10.244.0.0/16';

export interface Backends {
  readonly nodeIp: string;
  readonly podIps: readonly string[];
  /** The pods' HTTP port (targetPort) and UDP port. */
  readonly podPort: number;
  readonly podUdpPort: number;
}

/** `ipvsadm -R` input for the three virtual servers. */
export function ipvsRules(b: Backends): string {
  const vs = (proto: '-t' | '-u', vip: string, vport: number, rport: number): string[] => [
    `-A ${proto} ${vip}:${vport} -s rr`,
    ...b.podIps.map((ip) => `-a ${proto} ${vip}:${vport} -r ${ip}:${rport} -m -w 1`),
  ];
  return [...vs('-t', CLUSTER_IP, CLUSTER_PORT, b.podPort), ...vs('-u', CLUSTER_IP, CLUSTER_UDP_PORT, b.podUdpPort), ...vs('-t', b.nodeIp, NODE_PORT, b.podPort)].join('\n') + '\n';
}

/** The ClusterIP virtual server alone (the stream test removes and restores it). */
export function clusterIpTcpRules(b: Backends): string {
  return ipvsRules(b).split('\n').filter((l) => l.includes(`${CLUSTER_IP}:${CLUSTER_PORT}`)).join('\n') + '\n';
}

function ipsetRules(b: Backends): string {
  return [
    'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536',
    `add KUBE-CLUSTER-IP ${CLUSTER_IP},tcp:${CLUSTER_PORT}`,
    `add KUBE-CLUSTER-IP ${CLUSTER_IP},udp:${CLUSTER_UDP_PORT}`,
    'create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536',
    ...b.podIps.flatMap((ip) => [`add KUBE-LOOP-BACK ${ip},tcp:${b.podPort},${ip}`, `add KUBE-LOOP-BACK ${ip},udp:${b.podUdpPort},${ip}`]),
    'create KUBE-NODE-PORT-TCP bitmap:port range 0-65535',
    `add KUBE-NODE-PORT-TCP ${NODE_PORT}`,
  ].join('\n') + '\n';
}

const IPSETS = ['KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK', 'KUBE-NODE-PORT-TCP'];

const IPTABLES_RULES = `*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A OUTPUT -j KUBE-SERVICES
-A POSTROUTING -j KUBE-POSTROUTING
-A KUBE-SERVICES ! -s ${CLUSTER_CIDR} -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT
-A KUBE-NODE-PORT -p tcp -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -j MASQUERADE --random-fully
COMMIT
*filter
:KUBE-FORWARD - [0:0]
-A FORWARD -j KUBE-FORWARD
-A KUBE-FORWARD -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`;

const IPTABLES_REMOVAL = `*nat
-D PREROUTING -j KUBE-SERVICES
-D OUTPUT -j KUBE-SERVICES
-D POSTROUTING -j KUBE-POSTROUTING
-F KUBE-SERVICES
-F KUBE-NODE-PORT
-F KUBE-MARK-MASQ
-F KUBE-POSTROUTING
-X KUBE-SERVICES
-X KUBE-NODE-PORT
-X KUBE-MARK-MASQ
-X KUBE-POSTROUTING
COMMIT
*filter
-D FORWARD -j KUBE-FORWARD
-F KUBE-FORWARD
-X KUBE-FORWARD
COMMIT
`;

/** Programs kube-ipvs0, IPVS, the ipsets and iptables (ipsets before the rules that reference them). */
export function programByHand(b: Backends): void {
  runCommand(['ip', '-batch', '-'], { input: `link add kube-ipvs0 type dummy\naddr add ${CLUSTER_IP}/32 dev kube-ipvs0\n` });
  runCommand(['ipvsadm', '-R'], { input: ipvsRules(b) });
  runCommand(['ipset', 'restore'], { input: ipsetRules(b) });
  runCommand(['iptables-restore', '--noflush'], { input: IPTABLES_RULES });
}

/**
 * Removes all of it (rules before the ipsets they reference). strict: throw if a step fails (the cleanup
 * check); otherwise go on past what is already gone (the after hook of a failed run).
 */
export function unprogramByHand(strict: boolean): void {
  const allowFailure = !strict;
  runCommand(['iptables-restore', '--noflush'], { input: IPTABLES_REMOVAL, allowFailure });
  for (const set of IPSETS) runCommand(['ipset', 'destroy', set], { allowFailure });
  runCommand(['ipvsadm', '-C'], { allowFailure });
  runCommand(['ip', 'link', 'del', 'kube-ipvs0'], { allowFailure });
}
