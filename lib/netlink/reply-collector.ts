// Pure bookkeeping of a batch in flight: which requests still wait for what. Kept apart from the socket so
// the matching rules (acks by seq, dumps end at DONE, DUMP_INTR) are unit-tested without a kernel.
import { decodeAck } from '../../native-free-netlink/core/ack.js';
import { getI32le } from '../../native-free-netlink/core/bytes.js';
import {
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  type NetlinkMessage,
} from '../../native-free-netlink/core/message.js';
import type { ExchangeResult } from './connection.js';

function isDump(m: NetlinkMessage): boolean {
  return (m.flags & NLM_F_DUMP) === NLM_F_DUMP;
}

interface Entry {
  result: ExchangeResult;
  done: boolean;
  index: number;
}

export class ReplyCollector {
  private readonly bySeq = new Map<number, Entry>();
  private readonly entries: Entry[];
  private readonly quiet: ReadonlySet<number>;
  /** Quiet requests before this index are settled. */
  private swept = 0;
  private pending: number;
  readonly results: ExchangeResult[];

  /**
   * `quiet`: indexes of requests sent without NLM_F_ACK although the caller asked for one (the transport
   * asks only the last request of a datagram for an ack). The kernel answers such a request only when it
   * fails, and handles a datagram's requests in order, so once a later request of the batch is answered
   * every quiet one before it that got no error has succeeded: it is given a plain ACK (errno 0).
   */
  constructor(requests: readonly NetlinkMessage[], quiet: ReadonlySet<number> = new Set()) {
    this.results = requests.map((request) => ({ request, replies: [], dumpInterrupted: false }));
    this.entries = this.results.map((result, index) => ({ result, done: false, index }));
    for (const e of this.entries) this.bySeq.set(e.result.request.seq, e);
    this.quiet = quiet;
    // A GET without NLM_F_ACK ends at its single reply (or an error); a change request without it would
    // never be answered on success, so the builders always ask for acks on changes.
    this.pending = requests.length;
  }

  get complete(): boolean {
    return this.pending === 0;
  }

  /** Whether requests from..to-1 are all answered (the transport then sends its next datagram). */
  settled(from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (!this.entries[i]!.done) return false;
    return true;
  }

  /** Feeds one received message; returns false when it belongs to no request of this batch. */
  accept(m: NetlinkMessage): boolean {
    if (m.type === NLMSG_NOOP || m.type === NLMSG_OVERRUN) return true;
    const entry = this.bySeq.get(m.seq);
    if (!entry || entry.done) return false;
    const { result } = entry;
    if (m.flags & NLM_F_DUMP_INTR) result.dumpInterrupted = true;
    if (m.type === NLMSG_ERROR) {
      result.ack = decodeAck(m);
      this.finish(entry);
    } else if (m.type === NLMSG_DONE) {
      // A dump that fails after starting reports a negative errno in DONE's payload.
      const err = m.payload.length >= 4 ? getI32le(m.payload, 0) : 0;
      if (err < 0) result.ack = { errno: -err, request: { type: result.request.type, flags: result.request.flags, seq: m.seq, pid: m.pid } };
      this.finish(entry);
    } else {
      result.replies.push(m);
      // A non-dump GET with NLM_F_ACK still ends with an ACK; without it the single reply would end it.
      if (!isDump(result.request) && !(result.request.flags & NLM_F_ACK)) this.finish(entry);
    }
    return true;
  }

  private finish(entry: Entry): void {
    if (!entry.done) {
      entry.done = true;
      this.pending--;
    }
    for (; this.swept < entry.index; this.swept++) {
      const e = this.entries[this.swept]!;
      if (e.done || !this.quiet.has(e.index)) continue;
      const r = e.result.request;
      e.result.ack = { errno: 0, request: { type: r.type, flags: r.flags, seq: r.seq, pid: r.pid } };
      e.done = true;
      this.pending--;
    }
  }

  /** Sequence numbers still waiting, for error messages. */
  waiting(): number[] {
    return [...this.bySeq.entries()].filter(([, e]) => !e.done).map(([s]) => s);
  }
}
