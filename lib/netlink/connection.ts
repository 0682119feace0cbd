// The request/reply contract every client is written against. The real implementation is
// socket-transport.ts; unit tests use a message-level fake (message-fake.ts) that maps request messages to
// reply messages, so clients are tested on the bytes they send, never on a fake of our own logic.
import type { NetlinkAck } from '../../native-free-netlink/core/ack.js';
import type { NetlinkMessage } from '../../native-free-netlink/core/message.js';

export interface ExchangeResult {
  request: NetlinkMessage;
  /** Data messages answering the request (a GET's reply, a dump's parts), NLMSG_DONE/ERROR excluded. */
  replies: NetlinkMessage[];
  /** The kernel's NLMSG_ERROR for this request: errno 0 is a plain ACK. Absent for a dump that ended in DONE. */
  ack?: NetlinkAck;
  /** The dump was interrupted by a concurrent change (NLM_F_DUMP_INTR): its replies may be inconsistent. */
  dumpInterrupted: boolean;
}

export interface NetlinkConnection {
  /** Netlink protocol number: 0 route, 12 netfilter, 16 generic. */
  readonly protocol: number;
  /**
   * Sends the requests (batched: many per datagram) and collects each one's replies. The connection assigns
   * sequence numbers itself (the requests' `seq` is overwritten). Kernel errors do not reject: they are in
   * each result's `ack`. Rejects only for transport failures (timeout, socket error, lost replies).
   */
  exchange(requests: readonly NetlinkMessage[], options?: ExchangeOptions): Promise<ExchangeResult[]>;
  close(): void;
}

export interface ExchangeOptions {
  /**
   * Dumps of a whole-kernel read (all virtual servers, all sets, all addresses): run apart from the
   * connection's own socket where the connection can (helper sockets), so the short requests of a sync
   * sent meanwhile do not wait for them. Only a hint: the results are the same either way.
   */
  apart?: boolean;
  /**
   * A few dumps the caller waits on (a sync's connection counts): all at once, each on a socket of its own
   * where the connection can (sockets kept for these, so they never queue behind a read's dumps).
   */
  parallel?: boolean;
}

/** Counts what went over a connection, for benchmarks and metrics. */
export interface TransportCounters {
  messagesSent: number;
  datagramsSent: number;
  datagramsReceived: number;
}

export class NetlinkTransportError extends Error {
  constructor(
    message: string,
    readonly errno?: number,
  ) {
    super(message);
    this.name = 'NetlinkTransportError';
  }
}
