// Captured conntrack fixtures (test/fixtures/captured/conntrack, see CAPTURED.md) and the byte cleanup the
// tool's requests need before a byte-for-byte comparison.
import { readFileSync, readdirSync } from 'node:fs';
import { fromHex, toHex } from '../../../native-free-netlink/core/bytes.js';
import { zeroAttributePadding } from '../nfnetlink/attribute-padding.js';
import { decodeMessages, encodeMessage, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import { NFNL_SUBSYS_CTNETLINK, nfnlSubsystem } from '../../../native-free-netlink/nfnetlink/nfgenmsg.js';

export interface CapturedFixture {
  name: string;
  command: string;
  requests: NetlinkMessage[];
  replies: NetlinkMessage[];
}

// This file runs as dist/test/native-free-netlink/conntrack/helpers.js, four levels below the repo root.
const FIXTURES = new URL('../../../../test/fixtures/captured/conntrack/', import.meta.url);

export function capturedNames(): string[] {
  return readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export function captured(name: string): CapturedFixture {
  const raw = JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as {
    command: string;
    messages: { direction: 'request' | 'reply'; hex: string }[];
  };
  const of = (d: 'request' | 'reply'): NetlinkMessage[] => raw.messages.filter((m) => m.direction === d).flatMap((m) => decodeMessages(fromHex(m.hex)));
  return { name, command: raw.command, requests: of('request'), replies: of('reply') };
}

/** Requests of the ctnetlink subsystem (the tool sends nothing else, but be explicit). */
export function ctnetlinkRequests(f: CapturedFixture): NetlinkMessage[] {
  return f.requests.filter((m) => nfnlSubsystem(m.type) === NFNL_SUBSYS_CTNETLINK);
}

/**
 * conntrack 1.4.7 (libmnl 1.0.4) leaves stale bytes in attribute padding after a u8 (CTA_PROTO_NUM) or a
 * be16 (CTA_ZONE), as ipset does; the kernel ignores them. Our encoder writes zeros: this zeroes the
 * padding of a ctnetlink request so the rest compares byte for byte.
 */
export function withZeroPadding(m: NetlinkMessage): NetlinkMessage {
  const payload = Uint8Array.from(m.payload);
  zeroAttributePadding(payload, 4, payload.length);
  return { ...m, payload };
}

export function messageHex(m: NetlinkMessage): string {
  return toHex(encodeMessage(m));
}
