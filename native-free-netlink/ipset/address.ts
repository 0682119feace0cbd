// Address text exactly as the ipset tool prints it. ipset formats with glibc's inet_ntop: RFC 5952 for
// IPv6 (lowercase, longest zero run compressed, a single zero group not compressed) except that an
// address whose first 96 bits are zero, or an IPv4-mapped one, ends in dotted quad ("::ffff:1.2.3.4",
// "::0.1.0.0"). Parsing follows inet_pton (strict: no leading zeros in IPv4, four parts).
//
// Not core/ip.ts: ipaddr.js reads "::1.2.3.4" as "::ffff:1.2.3.4" and prints mapped addresses in hex.
import { plainIpv4Number } from '../core/ip.js';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from '../nfnetlink/nfgenmsg.js';

export type AddressFamilyNumber = typeof NFPROTO_IPV4 | typeof NFPROTO_IPV6;

function parseIPv4(s: string): Uint8Array | undefined {
  // inet_pton's strict dotted quad (four parts 0-255, no leading zeros) is exactly core's plain IPv4.
  const v = plainIpv4Number(s);
  return v < 0 ? undefined : Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function parseIPv6(s: string): Uint8Array | undefined {
  let text = s;
  let tail: Uint8Array | undefined;
  // An embedded IPv4 address may only take the last 32 bits.
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > lastColon) {
    tail = parseIPv4(text.slice(lastColon + 1));
    if (!tail) return undefined;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] | undefined => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const all = [...head, ...rest];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  if (halves.length === 1 ? all.length !== 8 : all.length > 7) return undefined;
  const words = [...head, ...Array(8 - all.length).fill('0'), ...rest].map((g) => parseInt(g, 16));
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

/** Parses an address of the given family; undefined when the text is not one. */
export function parseAddress(s: string, family: AddressFamilyNumber): Uint8Array | undefined {
  return family === NFPROTO_IPV4 ? parseIPv4(s) : parseIPv6(s);
}

/** Parses an address of either family (a ':' means IPv6). */
export function parseAnyAddress(s: string): { family: AddressFamilyNumber; bytes: Uint8Array } | undefined {
  const family = s.includes(':') ? NFPROTO_IPV6 : NFPROTO_IPV4;
  const bytes = parseAddress(s, family);
  return bytes ? { family, bytes } : undefined;
}

function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  // Longest (first longest) run of zero words; runs of one are not compressed.
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** Text of a 4- or 16-byte address, as ipset prints it. */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length === 16) return formatIPv6(bytes);
  throw new Error(`an address has 4 or 16 bytes, not ${bytes.length}`);
}

/** Clears the host bits beyond `prefix` (the kernel stores networks masked). */
export function maskAddress(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

export function addressBits(family: AddressFamilyNumber): number {
  return family === NFPROTO_IPV4 ? 32 : 128;
}
