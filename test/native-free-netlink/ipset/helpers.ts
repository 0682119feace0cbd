// Shared test helpers: hex literals, a seeded PRNG, captured fixtures, and ipset-specific byte cleanup.
import { readFileSync, readdirSync } from 'node:fs';
import { fromHex, toHex, view } from '../../../native-free-netlink/core/bytes.js';
import { zeroAttributePadding } from '../nfnetlink/attribute-padding.js';
import { decodeMessages, encodeMessage, NLMSG_ERROR, NLMSG_HDRLEN, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import { NFNL_SUBSYS_IPSET } from '../../../native-free-netlink/nfnetlink/nfgenmsg.js';

export { fromHex as hex, toHex };

/** Mulberry32: small, seeded, good enough to generate test values reproducibly. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(0, 255));
  }
}

export interface CapturedDatagram {
  direction: 'request' | 'reply';
  bytes: Uint8Array;
  messages: NetlinkMessage[];
}

export interface CapturedFixture {
  name: string;
  command: string;
  kernel: string;
  tools?: string;
  datagrams: CapturedDatagram[];
}

// This file runs as dist/test/native-free-netlink/ipset/helpers.js, four levels below the repo root.
const FIXTURES = new URL('../../../../test/fixtures/captured/ipset/', import.meta.url);

export function capturedNames(): string[] {
  try {
    return readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

export function captured(name: string): CapturedFixture {
  const raw = JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as {
    command: string;
    kernel: string;
    tools?: string;
    messages: { direction: 'request' | 'reply'; hex: string }[];
  };
  return {
    name,
    command: raw.command,
    kernel: raw.kernel,
    ...(raw.tools !== undefined ? { tools: raw.tools } : {}),
    datagrams: raw.messages.map((m) => {
      const bytes = fromHex(m.hex);
      return { direction: m.direction, bytes, messages: decodeMessages(bytes) };
    }),
  };
}

export function requestsOf(f: CapturedFixture): NetlinkMessage[] {
  return f.datagrams.filter((d) => d.direction === 'request').flatMap((d) => d.messages);
}

export function repliesOf(f: CapturedFixture): NetlinkMessage[] {
  return f.datagrams.filter((d) => d.direction === 'reply').flatMap((d) => d.messages);
}

/** ipset messages (not NLMSG_ERROR/DONE) of one command. */
export function ipsetMessages(ms: readonly NetlinkMessage[], cmd: number): NetlinkMessage[] {
  return ms.filter((m) => m.type === ((NFNL_SUBSYS_IPSET << 8) | cmd));
}

/**
 * The ipset tool (7.17 with libmnl 1.0.4) does not clear attribute padding: after an earlier message in
 * the same buffer, the 1-3 bytes after a u8 or an odd-length string hold stale data (the kernel ignores
 * them). Our encoder writes zeros. This zeroes the padding of an ipset message (and of the request an
 * NLMSG_ERROR echoes) so that the rest can be compared byte for byte.
 */
export function withZeroPadding(m: NetlinkMessage): NetlinkMessage {
  const payload = Uint8Array.from(m.payload);
  if (m.type >> 8 === NFNL_SUBSYS_IPSET) zeroAttributePadding(payload, 4, payload.length);
  else if (m.type === NLMSG_ERROR && payload.length >= 4 + NLMSG_HDRLEN) {
    const echoedLen = view(payload).getUint32(4, true);
    const echoedType = view(payload).getUint16(8, true);
    if (echoedType >> 8 === NFNL_SUBSYS_IPSET && payload.length >= 4 + echoedLen) zeroAttributePadding(payload, 4 + NLMSG_HDRLEN + 4, 4 + echoedLen);
  }
  return { ...m, payload };
}

export function messageHex(m: NetlinkMessage): string {
  return toHex(encodeMessage(m));
}
