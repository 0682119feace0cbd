// Protocol and ICMP names the ipset tool uses in member text ("tcp:80", "icmp:echo-request").
// ipset prints protocols with getprotobynumber(), i.e. the first name in /etc/protocols: the table below
// is Debian netbase's. ICMP names come from ipset's lib/icmp.c and lib/icmpv6.c (first name per type/code
// is the one printed; later ones are accepted aliases).

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;
export const IPPROTO_UDPLITE = 136;

const PROTOCOLS: ReadonlyArray<readonly [number, string]> = [
  [1, 'icmp'], [2, 'igmp'], [3, 'ggp'], [4, 'ipencap'], [5, 'st'], [6, 'tcp'], [8, 'egp'], [9, 'igp'],
  [12, 'pup'], [17, 'udp'], [20, 'hmp'], [22, 'xns-idp'], [27, 'rdp'], [29, 'iso-tp4'], [33, 'dccp'],
  [36, 'xtp'], [37, 'ddp'], [38, 'idpr-cmtp'], [41, 'ipv6'], [43, 'ipv6-route'], [44, 'ipv6-frag'],
  [45, 'idrp'], [46, 'rsvp'], [47, 'gre'], [50, 'esp'], [51, 'ah'], [57, 'skip'], [58, 'ipv6-icmp'],
  [59, 'ipv6-nonxt'], [60, 'ipv6-opts'], [73, 'rspf'], [81, 'vmtp'], [88, 'eigrp'], [89, 'ospf'],
  [93, 'ax.25'], [94, 'ipip'], [97, 'etherip'], [98, 'encap'], [103, 'pim'], [108, 'ipcomp'], [112, 'vrrp'],
  [115, 'l2tp'], [124, 'isis'], [132, 'sctp'], [133, 'fc'], [135, 'mobility-header'], [136, 'udplite'],
  [137, 'mpls-in-ip'], [138, 'manet'], [139, 'hip'], [140, 'shim6'], [141, 'wesp'], [142, 'rohc'],
  [143, 'ethernet'],
];

const NAME_BY_NUMBER = new Map(PROTOCOLS);
const NUMBER_BY_NAME = new Map<string, number>([...PROTOCOLS.map(([n, s]) => [s, n] as const), ['icmpv6', IPPROTO_ICMPV6]]);

/** "tcp", "ipv6-icmp", or the number for protocols without a name. */
export function protocolName(proto: number): string {
  return NAME_BY_NUMBER.get(proto) ?? String(proto);
}

/** Protocol by name (case-insensitive, "icmpv6" accepted as ipset does) or decimal number 1-255. */
export function protocolNumber(text: string): number | undefined {
  const byName = NUMBER_BY_NAME.get(text.toLowerCase());
  if (byName !== undefined) return byName;
  if (/^[1-9][0-9]{0,2}$/.test(text) && Number(text) <= 255) return Number(text);
  return undefined;
}

/** Protocols whose second element is a real port (ip_set_proto_with_ports in the kernel). */
export function protocolHasPorts(proto: number): boolean {
  return proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP || proto === IPPROTO_UDPLITE;
}

type IcmpName = readonly [string, number, number];

const ICMP: readonly IcmpName[] = [
  ['echo-reply', 0, 0], ['pong', 0, 0], ['network-unreachable', 3, 0], ['host-unreachable', 3, 1],
  ['protocol-unreachable', 3, 2], ['port-unreachable', 3, 3], ['fragmentation-needed', 3, 4],
  ['source-route-failed', 3, 5], ['network-unknown', 3, 6], ['host-unknown', 3, 7],
  ['network-prohibited', 3, 9], ['host-prohibited', 3, 10], ['TOS-network-unreachable', 3, 11],
  ['TOS-host-unreachable', 3, 12], ['communication-prohibited', 3, 13], ['host-precedence-violation', 3, 14],
  ['precedence-cutoff', 3, 15], ['source-quench', 4, 0], ['network-redirect', 5, 0], ['host-redirect', 5, 1],
  ['TOS-network-redirect', 5, 2], ['TOS-host-redirect', 5, 3], ['echo-request', 8, 0], ['ping', 8, 0],
  ['router-advertisement', 9, 0], ['router-solicitation', 10, 0], ['ttl-zero-during-transit', 11, 0],
  ['ttl-zero-during-reassembly', 11, 1], ['ip-header-bad', 12, 0], ['required-option-missing', 12, 1],
  ['timestamp-request', 13, 0], ['timestamp-reply', 14, 0], ['address-mask-request', 17, 0],
  ['address-mask-reply', 18, 0],
];

const ICMPV6: readonly IcmpName[] = [
  ['no-route', 1, 0], ['communication-prohibited', 1, 1], ['address-unreachable', 1, 3],
  ['port-unreachable', 1, 4], ['packet-too-big', 2, 0], ['ttl-zero-during-transit', 3, 0],
  ['ttl-zero-during-reassembly', 3, 1], ['bad-header', 4, 0], ['unknown-header-type', 4, 1],
  ['unknown-option', 4, 2], ['echo-request', 128, 0], ['ping', 128, 0], ['echo-reply', 129, 0], ['pong', 129, 0],
  ['router-solicitation', 133, 0], ['router-advertisement', 134, 0], ['neighbour-solicitation', 135, 0],
  ['neigbour-solicitation', 135, 0], ['neighbour-advertisement', 136, 0], ['neigbour-advertisement', 136, 0],
  ['redirect', 137, 0],
];

function table(proto: number): readonly IcmpName[] {
  return proto === IPPROTO_ICMPV6 ? ICMPV6 : ICMP;
}

/** ICMP (proto 1) or ICMPv6 (58) type/code as ipset prints it: a name, else "type/code". */
export function formatIcmp(proto: number, typeCode: number): string {
  const type = typeCode >> 8;
  const code = typeCode & 0xff;
  const named = table(proto).find(([, t, c]) => t === type && c === code);
  return named ? named[0] : `${type}/${code}`;
}

/**
 * "echo-request" or "8/0" -> (type << 8) | code. Names match whole and case-insensitively (ipset also
 * accepts any prefix, "echo" = echo-reply: too surprising to copy).
 */
export function parseIcmp(proto: number, text: string): number | undefined {
  const named = table(proto).find(([n]) => n.toLowerCase() === text.toLowerCase());
  if (named) return (named[1] << 8) | named[2];
  const m = /^(0|[1-9][0-9]{0,2})\/(0|[1-9][0-9]{0,2})$/.exec(text);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) return undefined;
  return (Number(m[1]) << 8) | Number(m[2]);
}
