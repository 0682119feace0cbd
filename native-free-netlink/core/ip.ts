// IP address <-> bytes, with canonical text (RFC 5952 for IPv6) so decoded addresses compare as strings.
import ipaddr from 'ipaddr.js';

export const AF_INET = 2;
export const AF_INET6 = 10;

export type AddressFamily = typeof AF_INET | typeof AF_INET6;

export function isIPv6Text(s: string): boolean {
  return s.includes(':');
}

// Plain dotted-quad IPv4 without leading zeros: by far the most common text at scale (every pod IP), so it
// skips ipaddr.js. Anything else takes the full parser.
const PLAIN_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function plainIpv4(s: string): Uint8Array | undefined {
  const m = PLAIN_IPV4.exec(s);
  return m ? Uint8Array.of(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])) : undefined;
}

/** Parses an address (no prefix); throws with the offending text when invalid. */
export function ipToBytes(s: string): { family: AddressFamily; bytes: Uint8Array } {
  const fast = plainIpv4(s);
  if (fast) return { family: AF_INET, bytes: fast };
  if (!ipaddr.isValid(s)) throw new Error(`invalid IP address "${s}"`);
  const a = ipaddr.parse(s);
  if (a.kind() === 'ipv4') {
    // ipaddr.js also accepts non-canonical IPv4 forms ("10.1", "0x0a.0.0.1"): refuse them, they are typos.
    if (!ipaddr.IPv4.isValidFourPartDecimal(s)) throw new Error(`invalid IPv4 address "${s}"`);
    return { family: AF_INET, bytes: Uint8Array.from(a.toByteArray()) };
  }
  return { family: AF_INET6, bytes: Uint8Array.from(a.toByteArray()) };
}

/** Text of a 4- or 16-byte address. The kernel returns IPv4 addresses in 16 bytes for IPVS: pass `family`. */
export function bytesToIp(bytes: Uint8Array, family: AddressFamily): string {
  if (family === AF_INET) {
    if (bytes.length < 4) throw new Error(`IPv4 address needs 4 bytes, got ${bytes.length}`);
    return ipaddr.fromByteArray(Array.from(bytes.subarray(0, 4))).toString();
  }
  if (bytes.length < 16) throw new Error(`IPv6 address needs 16 bytes, got ${bytes.length}`);
  return (ipaddr.fromByteArray(Array.from(bytes.subarray(0, 16))) as ipaddr.IPv6).toRFC5952String();
}

/** Canonical text of an address: "10.96.0.10", "fd00:10:96::a". Throws on invalid input. */
export function canonicalIp(s: string): string {
  if (PLAIN_IPV4.test(s)) return s;
  const { family, bytes } = ipToBytes(s);
  return bytesToIp(bytes, family);
}

/** Orders addresses: IPv4 before IPv6, then numerically. */
export function compareIp(a: string, b: string): number {
  const x = ipToBytes(a);
  const y = ipToBytes(b);
  if (x.family !== y.family) return x.family === AF_INET ? -1 : 1;
  for (let i = 0; i < x.bytes.length; i++) {
    const d = x.bytes[i]! - y.bytes[i]!;
    if (d !== 0) return d;
  }
  return 0;
}
