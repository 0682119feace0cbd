// Loads the real-kernel captures under test/fixtures/captured/rtnetlink/ (see CAPTURED.md there). Each
// fixture entry is one datagram as nlmon saw it; a datagram may hold several messages, and iproute2's
// address dump request is a 152-byte datagram whose message says 24 (iproute2 sends its whole buffer).
import { readFileSync } from 'node:fs';
import { fromHex, view } from '../../../native-free-netlink/core/bytes.js';
import { decodeMessages, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';

export interface CapturedDatagram {
  direction: 'request' | 'reply';
  bytes: Uint8Array;
  messages: NetlinkMessage[];
}

export interface Capture {
  command: string;
  kernel: string;
  tools: string;
  datagrams: CapturedDatagram[];
}

// From dist/test/native-free-netlink/rtnetlink/ back to the repository's test/fixtures (not copied to dist).
const DIR = new URL('../../../../test/fixtures/captured/rtnetlink/', import.meta.url);

export function loadCapture(name: string): Capture {
  const raw = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as {
    command: string;
    kernel: string;
    tools: string;
    messages: { direction: 'request' | 'reply'; hex: string }[];
  };
  return {
    command: raw.command,
    kernel: raw.kernel,
    tools: raw.tools,
    datagrams: raw.messages.map((m) => {
      const bytes = fromHex(m.hex);
      return { direction: m.direction, bytes, messages: decodeMessages(withoutZeroTail(bytes)) };
    }),
  };
}

/**
 * iproute2's rtnl_addrdump_req sends sizeof(its buffer) = 152 bytes for a 24-byte message. The kernel's
 * netlink_rcv_skb stops at a header whose nlmsg_len is below 16, so the zeros are ignored; core's
 * decodeMessages (rightly strict about replies) would call them a bad header. Cut an all-zero tail that
 * starts at a message boundary.
 */
export function withoutZeroTail(bytes: Uint8Array): Uint8Array {
  const dv = view(bytes);
  let off = 0;
  while (off + 16 <= bytes.length) {
    const len = dv.getUint32(off, true);
    if (len === 0 && bytes.subarray(off).every((b) => b === 0)) return bytes.subarray(0, off);
    if (len < 16) break;
    off += (len + 3) & ~3;
  }
  return bytes;
}

/** Every message in one direction, in capture order. */
export function messagesOf(c: Capture, direction: 'request' | 'reply'): NetlinkMessage[] {
  return c.datagrams.filter((d) => d.direction === direction).flatMap((d) => d.messages);
}
