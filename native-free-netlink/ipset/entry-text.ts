// Member text in the ipset tool's own syntax, both ways: "10.96.0.10,tcp:80", "31122",
// "10.244.1.5,tcp:8080,10.244.1.5", "203.0.113.5,tcp:80,198.51.100.0/24", "fd00::1,udp:53".
// formatEntry prints exactly what `ipset save` / `ipset list` print for the element (lib/print.c:
// ipset_print_elem, _ip, _proto_port; extensions such as timeout/comment are not part of the text).
// parseEntry accepts that output and the common input forms (default protocol tcp, "/32" on a net,
// host bits in a net, upper case), returning the entry exactly as the kernel will list it, so that
// parseEntry(text) deep-equals the entry decoded from a dump of that member.
import { NLA_TYPE_MASK } from '../core/attributes.js';
import { ipv4Text, plainIpv4Number } from '../core/ip.js';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from '../nfnetlink/nfgenmsg.js';
import { addressBits, formatAddress, maskAddress, parseAddress, type AddressFamilyNumber } from './address.js';
import {
  formatIcmp,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  parseIcmp,
  protocolHasPorts,
  protocolName,
  protocolNumber,
} from './protocols.js';
import {
  IPSET_ATTR_BYTES, IPSET_ATTR_CADT_FLAGS, IPSET_ATTR_CADT_LINENO, IPSET_ATTR_CIDR, IPSET_ATTR_CIDR2, IPSET_ATTR_COMMENT, IPSET_ATTR_IP,
  IPSET_ATTR_IP2, IPSET_ATTR_IPADDR_IPV4, IPSET_ATTR_IPADDR_IPV6, IPSET_ATTR_PACKETS, IPSET_ATTR_PORT, IPSET_ATTR_PROTO, IPSET_ATTR_TIMEOUT,
} from './constants.js';
import { isIpsetTypeName, type IpsetEntry } from './types.js';

/** Bad member text: names the text, the set type and why. */
export class IpsetEntryTextError extends Error {
  override readonly name = 'IpsetEntryTextError';
  constructor(
    readonly text: string,
    readonly typeName: string,
    readonly reason: string,
  ) {
    super(`invalid ${typeName} entry "${text}": ${reason}`);
  }
}

function familyName(family: number): string {
  return family === NFPROTO_IPV4 ? 'inet' : family === NFPROTO_IPV6 ? 'inet6' : `family ${family}`;
}

function addressFamily(family: number, typeName: string): AddressFamilyNumber {
  if (family === NFPROTO_IPV4 || family === NFPROTO_IPV6) return family;
  throw new Error(`${typeName} sets are inet (${NFPROTO_IPV4}) or inet6 (${NFPROTO_IPV6}), not ${family}`);
}

/** Thrown inside the parsers; turned into IpsetEntryTextError with the whole text. */
class Reason extends Error {}

function parseNumber(s: string, what: string, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(s)) throw new Reason(`${what} "${s}" is not a decimal number`);
  const v = Number(s);
  if (v > max) throw new Reason(`${what} ${s} is out of range 0-${max}`);
  return v;
}

function refuseRange(s: string, what: string): void {
  if (s.includes('-')) throw new Reason(`${what} "${s}" is a range; give one entry per member`);
}

function parseIp(s: string, family: AddressFamilyNumber, what: string): Uint8Array {
  refuseRange(s, what);
  if (s.includes('/')) throw new Reason(`${what} "${s}" has a prefix length; this part takes a single address`);
  const b = parseAddress(s, family);
  if (!b) throw new Reason(`${what} "${s}" is not an ${familyName(family)} address`);
  return b;
}

/** "a.b.c.d[/len]" -> masked address and prefix (the host prefix when omitted). Prefix 0 is refused, as by the kernel. */
function parseNet(s: string, family: AddressFamilyNumber, what: string): { ip: string; cidr: number } {
  refuseRange(s, what);
  const slash = s.indexOf('/');
  const bits = addressBits(family);
  const cidr = slash < 0 ? bits : parseNumber(s.slice(slash + 1), `prefix length of ${what}`, bits);
  if (cidr === 0) throw new Reason(`${what} "${s}": prefix length 0 is not allowed (IPSET_ERR_INVALID_CIDR)`);
  const b = parseAddress(slash < 0 ? s : s.slice(0, slash), family);
  if (!b) throw new Reason(`${what} "${s}" is not an ${familyName(family)} network`);
  return { ip: formatAddress(maskAddress(b, cidr)), cidr };
}

/** "[proto:]port" (proto defaults to tcp, as in ipset); ICMP takes "name" or "type/code". */
function parseProtoPort(s: string, family: AddressFamilyNumber): { proto: number; port: number } {
  const colon = s.indexOf(':');
  const protoText = colon < 0 ? 'tcp' : s.slice(0, colon);
  const portText = colon < 0 ? s : s.slice(colon + 1);
  const proto = protocolNumber(protoText);
  if (proto === undefined) throw new Reason(`unknown protocol "${protoText}"`);
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    const wanted = proto === IPPROTO_ICMP ? NFPROTO_IPV4 : NFPROTO_IPV6;
    if (family !== wanted) throw new Reason(`protocol ${protocolName(proto)} can be used with family ${familyName(wanted)} only`);
    const port = parseIcmp(proto, portText);
    if (port === undefined) throw new Reason(`"${portText}" is not an ${protocolName(proto)} type name or TYPE/CODE`);
    return { proto, port };
  }
  refuseRange(portText, 'port');
  if (protocolHasPorts(proto)) return { proto, port: parseNumber(portText, 'port', 65535) };
  if (portText !== '0') throw new Reason(`protocol ${protocolName(proto)} can be used with pseudo port value 0 only`);
  return { proto, port: 0 };
}

/** bitmap:port: "port", also "tcp:port"/"udp:port" as ipset accepts (the set stores only the port). */
function parseBitmapPort(s: string): number {
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const proto = protocolNumber(s.slice(0, colon));
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) throw new Reason(`bitmap:port takes "PORT" or "tcp|udp:PORT"`);
    s = s.slice(colon + 1);
  }
  refuseRange(s, 'port');
  return parseNumber(s, 'port', 65535);
}

function parts(text: string, n: number): string[] {
  const p = text.split(',');
  if (p.length !== n) throw new Reason(`expected ${n} comma-separated part${n === 1 ? '' : 's'}, found ${p.length}`);
  return p;
}

/** Parses ipset member text of a set of type `typeName` and family `family` (ignored for bitmap:port). */
export function parseEntry(typeName: string, family: number, text: string): IpsetEntry {
  if (!isIpsetTypeName(typeName)) throw new IpsetEntryTextError(text, typeName, 'unsupported set type');
  try {
    const t = text.trim();
    if (typeName === 'bitmap:port') return { port: parseBitmapPort(parts(t, 1)[0]!) };
    const fam = addressFamily(family, typeName);
    switch (typeName) {
      case 'hash:ip': {
        const [ip] = parts(t, 1);
        return { ip: formatAddress(parseIp(ip!, fam, 'address')) };
      }
      case 'hash:net': {
        const [net] = parts(t, 1);
        const n = parseNet(net!, fam, 'network');
        return { ip: n.ip, cidr: n.cidr };
      }
      case 'hash:ip,port': {
        const [ip, pp] = parts(t, 2);
        return { ip: formatAddress(parseIp(ip!, fam, 'address')), ...parseProtoPort(pp!, fam) };
      }
      case 'hash:ip,port,ip': {
        const [ip, pp, ip2] = parts(t, 3);
        return {
          ip: formatAddress(parseIp(ip!, fam, 'address')),
          ...parseProtoPort(pp!, fam),
          ip2: formatAddress(parseIp(ip2!, fam, 'second address')),
        };
      }
      case 'hash:ip,port,net': {
        const [ip, pp, net] = parts(t, 3);
        const n = parseNet(net!, fam, 'network');
        return { ip: formatAddress(parseIp(ip!, fam, 'address')), ...parseProtoPort(pp!, fam), ip2: n.ip, cidr2: n.cidr };
      }
    }
  } catch (err) {
    if (err instanceof Reason) throw new IpsetEntryTextError(text, typeName, err.message);
    if (err instanceof Error) throw new IpsetEntryTextError(text, typeName, err.message);
    throw err;
  }
}

function need<T>(v: T | undefined, what: string, typeName: string): T {
  if (v === undefined) throw new Error(`${typeName} entry has no ${what}`);
  return v;
}

function ipText(ip: string | undefined, family: AddressFamilyNumber, typeName: string, what: string): string {
  const s = need(ip, what, typeName);
  // A plain dotted quad is already what inet_ntop prints (the form every listed IPv4 member comes in).
  if (family === NFPROTO_IPV4 && plainIpv4Number(s) >= 0) return s;
  const b = parseAddress(s, family);
  if (!b) throw new Error(`${typeName} entry ${what} "${s}" is not an ${familyName(family)} address`);
  return formatAddress(b);
}

function netText(ip: string | undefined, cidr: number | undefined, family: AddressFamilyNumber, typeName: string): string {
  const addr = ipText(ip, family, typeName, 'network address');
  // ipset prints the prefix only when it is not the host prefix (print.c SNPRINTF_IP).
  return cidr === undefined || cidr === addressBits(family) ? addr : `${addr}/${cidr}`;
}

function protoPortText(e: IpsetEntry, typeName: string): string {
  const proto = need(e.proto, 'protocol', typeName);
  const port = need(e.port, 'port', typeName);
  const name = protocolName(proto);
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) return `${name}:${formatIcmp(proto, port)}`;
  return `${name}:${port}`;
}

/** Prints an entry as `ipset save` prints the element (without extensions such as timeout or comment). */
export function formatEntry(typeName: string, family: number, e: IpsetEntry): string {
  if (!isIpsetTypeName(typeName)) throw new Error(`cannot print members of set type ${typeName}`);
  if (typeName === 'bitmap:port') return String(need(e.port, 'port', typeName));
  const fam = addressFamily(family, typeName);
  switch (typeName) {
    case 'hash:ip':
      return ipText(e.ip, fam, typeName, 'address');
    case 'hash:net':
      return netText(e.ip, e.cidr, fam, typeName);
    // join() builds one flat string; a template literal of 13 or more characters is a tree of V8 cons
    // strings, about three times the memory, and hashed more slowly (a listing of 100,000 members is held
    // and diffed through a Set).
    case 'hash:ip,port':
      return [ipText(e.ip, fam, typeName, 'address'), protoPortText(e, typeName)].join(',');
    case 'hash:ip,port,ip':
      return [ipText(e.ip, fam, typeName, 'address'), protoPortText(e, typeName), ipText(e.ip2, fam, typeName, 'second address')].join(',');
    case 'hash:ip,port,net':
      return [ipText(e.ip, fam, typeName, 'address'), protoPortText(e, typeName), netText(e.ip2, e.cidr2, fam, typeName)].join(',');
  }
}

/**
 * formatEntry(typeName, family, decodeEntryAttributes(decodeAttributes(data)).entry), read straight from the
 * bytes of one IPSET_ATTR_DATA nest for the members a kube-proxy node lists by the 100,000: IPv4 members of
 * hash:ip, hash:ip,port, hash:ip,port,ip, hash:ip,port,net and hash:net, and bitmap:port. No Attribute
 * objects, no decoded entry. Returns undefined for anything else (IPv6, ICMP, extensions such as timeouts,
 * counters or comments, bytes the general decoder would refuse): the caller then takes the general path.
 */
export function formatIpv4EntryData(typeName: string, family: number, data: Uint8Array, from = 0, to = data.length): string | undefined {
  let ip: string | undefined;
  let ip2: string | undefined;
  let port: number | undefined;
  let proto: number | undefined;
  let cidr: number | undefined;
  let cidr2: number | undefined;
  let off = from;
  while (off + 4 <= to) {
    const len = data[off]! | (data[off + 1]! << 8);
    if (len < 4 || off + len > to) return undefined;
    const type = (data[off + 2]! | (data[off + 3]! << 8)) & NLA_TYPE_MASK;
    const start = off + 4;
    const size = len - 4;
    switch (type) {
      case IPSET_ATTR_IP:
      case IPSET_ATTR_IP2: {
        const text = nestedIpv4(data, start, off + len);
        if (text === undefined) return undefined;
        if (type === IPSET_ATTR_IP) ip = text;
        else ip2 = text;
        break;
      }
      case IPSET_ATTR_PORT:
        if (size < 2) return undefined;
        port = (data[start]! << 8) | data[start + 1]!;
        break;
      case IPSET_ATTR_PROTO:
      case IPSET_ATTR_CIDR:
      case IPSET_ATTR_CIDR2:
        if (size < 1) return undefined;
        if (type === IPSET_ATTR_PROTO) proto = data[start]!;
        else if (type === IPSET_ATTR_CIDR) cidr = data[start]!;
        else cidr2 = data[start]!;
        break;
      case IPSET_ATTR_TIMEOUT:
      case IPSET_ATTR_BYTES:
      case IPSET_ATTR_PACKETS:
      case IPSET_ATTR_COMMENT:
      case IPSET_ATTR_CADT_FLAGS:
      case IPSET_ATTR_CADT_LINENO:
        return undefined;
      default:
        break; // ignored, as decodeEntryAttributes ignores it
    }
    off += (len + 3) & ~3;
  }
  for (let i = off; i < to; i++) if (data[i] !== 0) return undefined;
  if (typeName === 'bitmap:port') return port === undefined ? undefined : String(port);
  if (family !== NFPROTO_IPV4 || ip === undefined) return undefined;
  // No closures per member: this runs for each of 100,000 members of a kernel read. join() as formatEntry.
  if (typeName === 'hash:ip') return ip;
  if (typeName === 'hash:net') return netPart(ip, cidr);
  if (typeName !== 'hash:ip,port' && typeName !== 'hash:ip,port,ip' && typeName !== 'hash:ip,port,net') return undefined;
  if (proto === undefined || port === undefined || proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) return undefined;
  const pp = `${protocolName(proto)}:${port}`;
  if (typeName === 'hash:ip,port') return [ip, pp].join(',');
  if (ip2 === undefined) return undefined;
  return [ip, pp, typeName === 'hash:ip,port,ip' ? ip2 : netPart(ip2, cidr2)].join(',');
}

function netPart(a: string, c: number | undefined): string {
  return c === undefined || c === 32 ? a : `${a}/${c}`;
}

/**
 * The IPv4 address of an IPSET_ATTR_IP-style nest (data[start, end)) when decodeIpAttribute would read one:
 * the whole nest well framed, and its first IPv4 or IPv6 address an IPv4 one.
 */
function nestedIpv4(data: Uint8Array, start: number, end: number): string | undefined {
  let found: string | null | undefined;
  let off = start;
  while (off + 4 <= end) {
    const len = data[off]! | (data[off + 1]! << 8);
    if (len < 4 || off + len > end) return undefined;
    const type = (data[off + 2]! | (data[off + 3]! << 8)) & NLA_TYPE_MASK;
    if (found === undefined && type === IPSET_ATTR_IPADDR_IPV4 && len - 4 >= 4) {
      const p = off + 4;
      found = ipv4Text(data, p);
    } else if (found === undefined && type === IPSET_ATTR_IPADDR_IPV6 && len - 4 >= 16) {
      found = null;
    }
    off += (len + 3) & ~3;
  }
  for (let i = off; i < end; i++) if (data[i] !== 0) return undefined;
  return found ?? undefined;
}
