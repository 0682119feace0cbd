// The iptables rules kube-proxy's IPVS mode writes (pkg/proxy/ipvs/proxier.go: iptablesJumpChain,
// iptablesChains, ipsetWithIptablesChain, writeIptablesRules, acceptIPVSTraffic), in iptables-save's
// canonical text: what `iptables-save` prints back, without "-A CHAIN". The printed form of every rule lives
// in RULE below; the rest only decides which rules a table gets, in which order.
import type { Family, Protocol } from '../state/types.js';
import { hostPrefix, type ParsedCidr } from './addresses.js';
import { IPSETS, ipsetName, type IpsetId } from './ipsets.js';

/** --masquerade-bit 14, kube-proxy's default. */
export const MASQUERADE_MARK = 0x4000;

export const CHAIN = {
  services: 'KUBE-SERVICES',
  postrouting: 'KUBE-POSTROUTING',
  nodePort: 'KUBE-NODE-PORT',
  loadBalancer: 'KUBE-LOAD-BALANCER',
  markMasq: 'KUBE-MARK-MASQ',
  forward: 'KUBE-FORWARD',
  proxyFirewall: 'KUBE-PROXY-FIREWALL',
  sourceRangesFirewall: 'KUBE-SOURCE-RANGES-FIREWALL',
  ipvsFilter: 'KUBE-IPVS-FILTER',
  ipvsOutFilter: 'KUBE-IPVS-OUT-FILTER',
} as const;

/**
 * The text of a string argument as iptables-save prints it (libxtables xtables_save_string): bare when it
 * is only [A-Za-z0-9_-], else double-quoted with ", \ and ' backslash-escaped.
 */
export function saveString(value: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const MARK = hex(MASQUERADE_MARK);
const LOOPBACK: Record<Family, string> = { inet: '127.0.0.0/8', inet6: '::1/128' };
const REJECT_WITH: Record<Family, string> = { inet: 'icmp-port-unreachable', inet6: 'icmp6-port-unreachable' };
/** IANA protocol numbers: libxt_ipvs saves --vproto numerically. */
const PROTOCOL_NUMBER: Record<Protocol, number> = { tcp: 6, udp: 17, sctp: 132 };

export interface SetMatch {
  set: string;
  /** "dst", "dst,dst", "src,dst", "dst,dst,src" */
  dirs: string;
  comment?: string;
  protocol?: Protocol;
  /** `! -s CIDR` */
  notSource?: ParsedCidr;
  /** Matches after the set match, already in save form ("-m addrtype --dst-type LOCAL"). */
  more?: string;
  /** "-j ..." target with its options. */
  target: string;
}

/** Rule text builders. Order of parts follows iptables-save: -s, -p, then matches as given, then -j. */
export const RULE = {
  jump: (comment: string, chain: string): string => `-m comment --comment ${saveString(comment)} -j ${chain}`,
  setMatch: (m: SetMatch): string =>
    [
      m.notSource ? `! -s ${m.notSource.text}` : '',
      m.protocol ? `-p ${m.protocol}` : '',
      m.comment !== undefined ? `-m comment --comment ${saveString(m.comment)}` : '',
      `-m set --match-set ${m.set} ${m.dirs}`,
      m.more ?? '',
      m.target,
    ].filter((p) => p !== '').join(' '),
  returnFromLoopback: (family: Family): string => `-s ${LOOPBACK[family]} -j RETURN`,
  jumpLocalToNodePort: (): string => `-m addrtype --dst-type LOCAL -j ${CHAIN.nodePort}`,
  jumpTo: (chain: string): string => `-j ${chain}`,
  drop: (): string => '-j DROP',
  /** --or-mark 0x4000, as saved. */
  markForMasquerade: (): string => `-j MARK --set-xmark ${MARK}/${MARK}`,
  returnUnmarked: (): string => `-m mark ! --mark ${MARK}/${MARK} -j RETURN`,
  /** --xor-mark 0x4000, as saved. */
  clearMark: (): string => `-j MARK --set-xmark ${MARK}/0x0`,
  masquerade: (): string => '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  acceptMarked: (): string => `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${MARK}/${MARK} -j ACCEPT`,
  acceptEstablished: (): string =>
    '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  rejectNewToVips: (family: Family): string =>
    `-m conntrack --ctstate NEW -m set --match-set ${ipsetName('ipvsIPs', family)} dst -j REJECT --reject-with ${REJECT_WITH[family]}`,
  /** IPVS traffic the node itself sends to a VIP has the VIP as source address. */
  dropNodeToLoadBalancer: (family: Family, ip: string, protocol: Protocol, port: number): string =>
    `-s ${ip}/${hostPrefix(family)} -m ipvs --vproto ${PROTOCOL_NUMBER[protocol]} --vaddr ${ip} --vport ${port} -j DROP`,
};

export interface LoadBalancerFrontend {
  address: string;
  protocol: Protocol;
  port: number;
}

export interface IptablesInputs {
  family: Family;
  /** Sets with at least one member: kube-proxy only writes the rules matching them then. */
  nonEmpty: ReadonlySet<IpsetId>;
  masqueradeAll: boolean;
  /** First --cluster-cidr of the family: traffic to cluster IPs from outside it is masqueraded. */
  clusterCIDR?: ParsedCidr;
  /** LoadBalancer frontends with source ranges that do not include the node. */
  lbNoNodeAccess: LoadBalancerFrontend[];
}

export interface FamilyTables {
  nat: Record<string, string[]>;
  filter: Record<string, string[]>;
}

export function buildIptables(inp: IptablesInputs): FamilyTables {
  const { family } = inp;
  const name = (id: IpsetId): string => ipsetName(id, family);
  const has = (id: IpsetId): boolean => inp.nonEmpty.has(id);
  const set = (id: IpsetId, dirs: string, target: string, extra: Partial<SetMatch> = {}): string =>
    RULE.setMatch({ set: name(id), dirs, comment: IPSETS[id].comment, target, ...extra });

  // ---- nat ----
  const services: string[] = [RULE.returnFromLoopback(family)];
  if (has('loadBalancer')) services.push(set('loadBalancer', 'dst,dst', `-j ${CHAIN.loadBalancer}`));
  if (has('clusterIP')) {
    if (inp.masqueradeAll) services.push(set('clusterIP', 'dst,dst', `-j ${CHAIN.markMasq}`));
    else if (inp.clusterCIDR) services.push(set('clusterIP', 'dst,dst', `-j ${CHAIN.markMasq}`, { notSource: inp.clusterCIDR }));
    // No way to tell pod traffic: masquerade node-originated traffic whose source is a VIP of kube-ipvs0.
    else services.push(set('clusterIP', 'src,dst', `-j ${CHAIN.markMasq}`));
  }
  const externalAccept = (id: IpsetId): void => {
    // From off the machine (not bridged, not local), and to addresses that are local anyway (GCE LBs).
    services.push(set(id, 'dst,dst', '-j ACCEPT', { more: '-m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL' }));
    services.push(set(id, 'dst,dst', '-j ACCEPT', { more: '-m addrtype --dst-type LOCAL' }));
  };
  if (has('externalIP')) {
    services.push(set('externalIP', 'dst,dst', `-j ${CHAIN.markMasq}`));
    externalAccept('externalIP');
  }
  if (has('externalIPLocal')) externalAccept('externalIPLocal');
  services.push(RULE.jumpLocalToNodePort());
  // Accept IPVS traffic in case later rules would drop it; must stay last in KUBE-SERVICES.
  if (has('clusterIP')) services.push(RULE.setMatch({ set: name('clusterIP'), dirs: 'dst,dst', target: '-j ACCEPT' }));
  if (has('loadBalancer')) services.push(RULE.setMatch({ set: name('loadBalancer'), dirs: 'dst,dst', target: '-j ACCEPT' }));

  const nodePort: string[] = [];
  // The Local set before the masquerade set of each protocol, so Local node ports keep the client address.
  const nodePortRules: [IpsetId, Protocol, string, string][] = [
    ['nodePortLocalTCP', 'tcp', 'dst', '-j RETURN'],
    ['nodePortTCP', 'tcp', 'dst', `-j ${CHAIN.markMasq}`],
    ['nodePortLocalUDP', 'udp', 'dst', '-j RETURN'],
    ['nodePortUDP', 'udp', 'dst', `-j ${CHAIN.markMasq}`],
    ['nodePortLocalSCTP', 'sctp', 'dst,dst', '-j RETURN'],
    ['nodePortSCTP', 'sctp', 'dst,dst', `-j ${CHAIN.markMasq}`],
  ];
  for (const [id, protocol, dirs, target] of nodePortRules) {
    if (has(id)) nodePort.push(set(id, dirs, target, { protocol }));
  }

  const loadBalancer: string[] = [];
  if (has('loadBalancerLocal')) loadBalancer.push(set('loadBalancerLocal', 'dst,dst', '-j RETURN'));
  loadBalancer.push(RULE.jumpTo(CHAIN.markMasq));

  const postrouting: string[] = [];
  if (has('loopBack')) postrouting.push(set('loopBack', 'dst,dst,src', '-j MASQUERADE'));
  postrouting.push(RULE.returnUnmarked(), RULE.clearMark(), RULE.masquerade());

  const nat: Record<string, string[]> = {
    PREROUTING: [RULE.jump('kubernetes service portals', CHAIN.services)],
    OUTPUT: [RULE.jump('kubernetes service portals', CHAIN.services)],
    POSTROUTING: [RULE.jump('kubernetes postrouting rules', CHAIN.postrouting)],
    [CHAIN.services]: services,
    [CHAIN.postrouting]: postrouting,
    [CHAIN.nodePort]: nodePort,
    [CHAIN.loadBalancer]: loadBalancer,
    [CHAIN.markMasq]: [RULE.markForMasquerade()],
  };

  // ---- filter ----
  const proxyFirewall: string[] = [];
  if (has('loadBalancerFW')) proxyFirewall.push(set('loadBalancerFW', 'dst,dst', `-j ${CHAIN.sourceRangesFirewall}`));
  const sourceRanges: string[] = [];
  if (has('loadBalancerSourceCIDR')) sourceRanges.push(set('loadBalancerSourceCIDR', 'dst,dst,src', '-j RETURN'));
  if (has('loadBalancerSourceIP')) sourceRanges.push(set('loadBalancerSourceIP', 'dst,dst,src', '-j RETURN'));
  sourceRanges.push(RULE.drop());

  // Host ports must not be reachable through VIPs (kubernetes#72236): only the service ports are.
  const ipvsFilter = [
    RULE.setMatch({ set: name('loadBalancer'), dirs: 'dst,dst', target: '-j RETURN' }),
    RULE.setMatch({ set: name('clusterIP'), dirs: 'dst,dst', target: '-j RETURN' }),
    RULE.setMatch({ set: name('externalIP'), dirs: 'dst,dst', target: '-j RETURN' }),
    RULE.setMatch({ set: name('externalIPLocal'), dirs: 'dst,dst', target: '-j RETURN' }),
    RULE.setMatch({ set: name('healthCheckNodePort'), dirs: 'dst', target: '-j RETURN' }),
    RULE.rejectNewToVips(family),
  ];

  const lbDrops = [...inp.lbNoNodeAccess]
    .sort((a, b) => cmp(`${a.address} ${a.protocol} ${a.port}`, `${b.address} ${b.protocol} ${b.port}`))
    .map((f) => RULE.dropNodeToLoadBalancer(family, f.address, f.protocol, f.port));

  // Built-in chains list the jumps in the order kube-proxy leaves them on a fresh node: it prepends each
  // jump (EnsureRule(Prepend)) in iptablesJumpChain order, so the last one ends up first.
  const filter: Record<string, string[]> = {
    INPUT: [
      RULE.jump('kubernetes ipvs access filter', CHAIN.ipvsFilter),
      RULE.jump('kube-proxy firewall rules', CHAIN.proxyFirewall),
      RULE.jump('kubernetes health check rules', CHAIN.nodePort),
    ],
    FORWARD: [
      RULE.jump('kube-proxy firewall rules', CHAIN.proxyFirewall),
      RULE.jump('kubernetes forwarding rules', CHAIN.forward),
    ],
    OUTPUT: [RULE.jump('kubernetes ipvs access filter', CHAIN.ipvsOutFilter)],
    [CHAIN.forward]: [RULE.acceptMarked(), RULE.acceptEstablished()],
    [CHAIN.nodePort]: [set('healthCheckNodePort', 'dst', '-j ACCEPT')],
    [CHAIN.proxyFirewall]: proxyFirewall,
    [CHAIN.sourceRangesFirewall]: sourceRanges,
    [CHAIN.ipvsFilter]: ipvsFilter,
    [CHAIN.ipvsOutFilter]: lbDrops,
  };
  return { nat, filter };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
