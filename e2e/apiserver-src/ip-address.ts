// IP addresses and CIDRs as BigInts, so IPv4 and IPv6 ranges share one
// allocator implementation.

import ipaddr from 'ipaddr.js';

export type IpFamily = 'IPv4' | 'IPv6';

export interface ParsedIp {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  network: bigint;
  prefixLength: number;
  /** Number of addresses in the block, including network (and broadcast) addresses. */
  size: bigint;
  text: string;
}

function bitsOf(family: IpFamily): number {
  return family === 'IPv4' ? 32 : 128;
}

function bytesToBigInt(bytes: number[]): bigint {
  return bytes.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
}

/** Parses a plain IPv4 (dotted quad only) or IPv6 address; undefined when it is not one. */
export function parseIp(text: string): ParsedIp | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { family: 'IPv4', value: bytesToBigInt(ipaddr.IPv4.parse(text).toByteArray()) };
  }
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) {
    const parsed = ipaddr.IPv6.parse(text);
    if (parsed.isIPv4MappedAddress()) return undefined;
    return { family: 'IPv6', value: bytesToBigInt(parsed.toByteArray()) };
  }
  return undefined;
}

/** Canonical text form (RFC 5952 for IPv6), which is what the API server stores. */
export function formatIp(family: IpFamily, value: bigint): string {
  const byteCount = bitsOf(family) / 8;
  const bytes: number[] = [];
  for (let i = byteCount - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`invalid CIDR "${text}": missing prefix length`);
  const address = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^\d{1,3}$/.test(prefixText)) throw new Error(`invalid CIDR "${text}"`);
  const prefixLength = Number(prefixText);
  const bits = bitsOf(address.family);
  if (prefixLength > bits) throw new Error(`invalid CIDR "${text}": prefix length over ${bits}`);
  const hostBits = BigInt(bits - prefixLength);
  const network = (address.value >> hostBits) << hostBits;
  return {
    family: address.family,
    network,
    prefixLength,
    size: 1n << hostBits,
    text: `${formatIp(address.family, network)}/${prefixLength}`,
  };
}

export function cidrContains(cidr: Cidr, ip: ParsedIp): boolean {
  return ip.family === cidr.family && ip.value >= cidr.network && ip.value < cidr.network + cidr.size;
}
