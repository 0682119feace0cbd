// Address and CIDR parsing for API object fields: never throws, returns canonical text (what the kernel
// and the dump print back) or undefined.
import ipaddr from 'ipaddr.js';
import { AF_INET, canonicalIp, ipToBytes } from '../../native-free-netlink/core/ip.js';
import type { Family } from '../state/types.js';

export interface ParsedIp {
  ip: string;
  family: Family;
}

export interface ParsedCidr {
  /** Network address with host bits cleared, canonical text. */
  network: string;
  prefix: number;
  family: Family;
  /** "10.244.0.0/16" */
  text: string;
}

/** Canonical dotted quad: 0-255, no leading zeros. Such text is its own canonical form. */
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** An IP address (no prefix) or undefined. IPv4 must be four-part decimal, as the API server requires. */
export function parseIp(text: string | undefined): ParsedIp | undefined {
  if (typeof text !== 'string') return undefined;
  // ipaddr.js reads "fe80::1%eth0" as fe80::1; the API server refuses zones, and a VIP has none.
  if (text.includes('%')) return undefined;
  // Fast path: endpoint addresses are almost all plain IPv4, and full parsing dominates large syncs.
  if (DOTTED_QUAD.test(text)) return { ip: text, family: 'inet' };
  try {
    const { family } = ipToBytes(text);
    return { ip: canonicalIp(text), family: family === AF_INET ? 'inet' : 'inet6' };
  } catch {
    return undefined;
  }
}

const SPECIAL_IPV6: Readonly<Record<string, string>> = { unspecified: 'unspecified', loopback: 'loopback', linkLocal: 'link-local', multicast: 'multicast' };

/**
 * Why an address can be neither a Service's address nor an endpoint, or undefined. What the API server's
 * ValidateNonSpecialIP refuses in externalIPs and endpoints (unspecified, loopback, link-local, link-local
 * multicast), plus what the kernel itself refuses and would fail the whole sync over: every multicast
 * address and the IPv4 broadcast address as a real server (EINVAL, "address not unicast"), IPv6
 * unspecified, loopback and multicast addresses on kube-ipvs0 (EADDRNOTAVAIL). An older API server or a
 * status writer (load balancer IPs are not checked) can still hand us any of them.
 */
export function specialAddress(ip: ParsedIp): string | undefined {
  if (ip.family === 'inet6') return SPECIAL_IPV6[ipaddr.IPv6.parse(ip.ip).range()];
  if (ip.ip === '0.0.0.0') return 'unspecified';
  if (ip.ip === '255.255.255.255') return 'broadcast';
  const dot = ip.ip.indexOf('.');
  const first = Number(ip.ip.slice(0, dot));
  if (first === 127) return 'loopback';
  if (first >= 224 && first <= 239) return 'multicast';
  if (first === 169 && ip.ip.startsWith('169.254.')) return 'link-local';
  return undefined;
}

/** "a.b.c.d/n" or "x::/n" (host bits allowed and cleared, as iptables and ipset do), or undefined. */
export function parseCidr(text: string | undefined): ParsedCidr | undefined {
  if (typeof text !== 'string') return undefined;
  const t = text.trim();
  if (t.includes('%')) return undefined;
  const slash = t.indexOf('/');
  if (slash < 0) return undefined;
  const prefixText = t.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  let parsed;
  try {
    parsed = ipToBytes(t.slice(0, slash));
  } catch {
    return undefined;
  }
  const bits = parsed.bytes.length * 8;
  if (prefix > bits) return undefined;
  const network = maskBytes(parsed.bytes, prefix);
  const family: Family = parsed.family === AF_INET ? 'inet' : 'inet6';
  const networkText = bytesToText(network, family);
  return { network: networkText, prefix, family, text: `${networkText}/${prefix}` };
}

export function cidrContains(cidr: ParsedCidr, ip: ParsedIp): boolean {
  if (cidr.family !== ip.family) return false;
  const a = maskBytes(ipToBytes(ip.ip).bytes, cidr.prefix);
  const n = ipToBytes(cidr.network).bytes;
  return a.every((b, i) => b === n[i]);
}

/** Full-length prefix of a family: 32 or 128. */
export function hostPrefix(family: Family): number {
  return family === 'inet' ? 32 : 128;
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

function bytesToText(bytes: Uint8Array, family: Family): string {
  if (family === 'inet') return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return canonicalIp(groups.join(':'));
}
