// Loads the real-kernel captures under test/fixtures/captured/rtnetlink/ (see CAPTURED.md there). Each
// fixture entry is one datagram as nlmon saw it; a datagram may hold several messages, and iproute2's
// address dump request is a 152-byte datagram whose message says 24 (iproute2 sends its whole buffer).
import { readFileSync } from 'node:fs';
import { fromHex } from '../../../native-free-netlink/core/bytes.js';
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
      return { direction: m.direction, bytes, messages: decodeMessages(bytes) };
    }),
  };
}

/** Every message in one direction, in capture order. */
export function messagesOf(c: Capture, direction: 'request' | 'reply'): NetlinkMessage[] {
  return c.datagrams.filter((d) => d.direction === direction).flatMap((d) => d.messages);
}
