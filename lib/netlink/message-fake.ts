// A NetlinkConnection answered by a function from request messages to reply messages: the message-level
// fake of style.md (like mdlayher/netlink's nltest.Func). Clients are tested on the exact messages they
// send and on how they read the kernel's replies, with no socket and no root.
import type { NetlinkMessage } from '../../native-free-netlink/core/message.js';
import type { ExchangeOptions, ExchangeResult, NetlinkConnection } from './connection.js';
import { ReplyCollector } from './reply-collector.js';

/** Gets one request (seq already assigned) and returns the kernel's reply messages for it. */
export type MessageHandler = (request: NetlinkMessage) => NetlinkMessage[];

export class MessageFake implements NetlinkConnection {
  /** Every request received, in order: for request-shape assertions. */
  readonly requests: NetlinkMessage[] = [];
  /** How many exchange() calls were made (each is one or more datagrams on a real socket). */
  exchanges = 0;
  /** The options each request's exchange was asked with, parallel to `requests`. */
  readonly options: ExchangeOptions[] = [];
  private seq = 1000;

  constructor(
    readonly protocol: number,
    private readonly handler: MessageHandler,
  ) {}

  async exchange(requests: readonly NetlinkMessage[], options: ExchangeOptions = {}): Promise<ExchangeResult[]> {
    this.exchanges++;
    const numbered = requests.map((r) => ({ ...r, seq: ++this.seq, pid: 0 }));
    const collector = new ReplyCollector(numbered);
    for (const r of numbered) {
      this.requests.push(r);
      this.options.push(options);
      for (const reply of this.handler(r)) collector.accept({ ...reply, seq: r.seq });
    }
    if (!collector.complete) throw new Error(`fake handler left seq ${collector.waiting().join(',')} unanswered`);
    return collector.results;
  }

  close(): void {}
}
