// The only module that opens a netlink socket. Sends batches of requests in one datagram each (the kernel
// processes every message of a datagram in turn), waits for all replies of a batch, then sends the next.
// Only the last request of a datagram asks for an ACK: the kernel answers the others only if they fail
// (netlink_rcv_skb acks when NLM_F_ACK is set or on error), and because it handles them in order, the
// last one's ACK means every earlier one without an error succeeded (ReplyCollector's "quiet" requests).
// One ACK per request would be one received datagram per request: 130,000 of them for 10,000 services,
// the largest single cost of a big apply in the VM. A datagram is bounded in requests and in the receive
// buffer its replies may take if every request fails (reply-budget.ts), against the buffer the kernel
// actually granted: an overrun (ENOBUFS) aborts the process inside the socket binding, so the onError path
// below (NetlinkTransportError: the caller re-reads the kernel and re-plans) is only a second line.
// The package's raw-socket module only: its index also loads the generated structures of every family it
// knows (rtnetlink, genl, nl80211, WireGuard) that this codebase never uses (their own codec is
// native-free-netlink/), about 7 MiB of RSS in every process.
import { RawNetlinkSocket } from 'netlink/dist/raw.js';
import { isLittleEndianHost, setU16le } from '../../native-free-netlink/core/bytes.js';
import { ENOBUFS } from '../../native-free-netlink/core/errno.js';
import { decodeMessages, encodeMessage, NLM_F_ACK, NLM_F_DUMP, type NetlinkMessage } from '../../native-free-netlink/core/message.js';
import { NetlinkTransportError, type ExchangeOptions, type ExchangeResult, type NetlinkConnection, type TransportCounters } from './connection.js';
import { ReplyCollector } from './reply-collector.js';
import { worstReplyBytes } from './reply-budget.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SocketTransportOptions {
  /** Requests per datagram (and per wait): 200 measured well on the VM; acks of 200 fit a 4 MiB buffer. */
  batchSize?: number;
  /** Ask every request for an ACK instead of only each datagram's last one (for comparison). */
  ackEveryRequest?: boolean;
  /** Bytes per datagram at most; the kernel refuses datagrams larger than the send buffer. */
  maxDatagramBytes?: number;
  /** Milliseconds to wait for one batch's replies. */
  timeoutMs?: number;
  /** Socket buffer sizes; the kernel caps them at net.core.[rw]mem_max. */
  receiveBufferBytes?: number;
  sendBufferBytes?: number;
  timers?: Timers;
  counters?: TransportCounters;
  /**
   * Sockets an exchange of many dump requests is spread over (default 4). The kernel runs one dump at a
   * time per socket and refuses a second dump request in the same datagram (EBUSY, checked on Linux 6.1),
   * and an IPVS read is one GET_DEST dump per service: 10,000 round trips for 10,000 services, which
   * overlap on several sockets. 1 keeps every dump on this socket. More than 1: they are helper sockets
   * only, so this one stays free for the changes a sync sends while the periodic read dumps everything
   * (an exchange waits for the one before it on its socket: a 25-dump share of the read, each time).
   */
  dumpSockets?: number;
}

/** Requests [from, to) of an exchange, encoded for one sendmsg. */
interface Datagram {
  from: number;
  to: number;
  encoded: Uint8Array[];
  bytes: number;
}

export function newCounters(): TransportCounters {
  return { messagesSent: 0, datagramsSent: 0, datagramsReceived: 0 };
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Fewer dumps than this stay on this socket unless asked apart or in parallel: a few dumps would queue
 * behind the periodic read's shares on the helper sockets (the connection counts a sync reads took 0.5-1 s
 * of a 1 s sync there in the churn benchmark; they now go in parallel, on sockets of their own).
 */
const SPREAD_MIN_DUMPS = 64;

/**
 * Sockets for ExchangeOptions.parallel, opened as needed. The dumps of a sync's connection counts went one
 * round trip after another on this socket: 300-900 ms for the 5-20 of a sync in the churn benchmark while a
 * periodic read kept the event loop busy between the round trips (3.1 s for one sync), ~50 ms alone.
 */
const QUICK_SOCKETS = 8;

export class SocketTransport implements NetlinkConnection {
  private readonly socket: RawNetlinkSocket;
  private seq: number;
  private busy: Promise<unknown> = Promise.resolve();
  private readonly batchSize: number;
  private readonly ackEveryRequest: boolean;
  private readonly maxDatagramBytes: number;
  private readonly timeoutMs: number;
  /** Worst-case reply bytes one datagram may provoke: part of the receive buffer the kernel granted. */
  private readonly replyBudget: number;
  private readonly timers: Timers;
  readonly counters: TransportCounters;
  private readonly options: SocketTransportOptions;
  /** Extra sockets for parallel dumps, opened on first use. */
  private helpers: SocketTransport[] | undefined;
  /** Sockets for the few dumps a sync waits on (ExchangeOptions.parallel), kept apart from `helpers`. */
  private quick: SocketTransport[] | undefined;
  private onMessage: ((buf: Buffer) => void) | undefined;
  private onError: ((err: Error & { errno?: number; code?: string }) => void) | undefined;
  private closed = false;
  /** Settles the batch in flight, if any: close() must not leave a reply timer keeping the process alive. */
  private abortInFlight: ((err: Error) => void) | undefined;

  constructor(
    readonly protocol: number,
    options: SocketTransportOptions = {},
  ) {
    if (!isLittleEndianHost()) throw new NetlinkTransportError('ipvs-proxier supports little-endian hosts only');
    this.batchSize = options.batchSize ?? 200;
    this.ackEveryRequest = options.ackEveryRequest ?? false;
    this.maxDatagramBytes = options.maxDatagramBytes ?? 128 * 1024;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.timers = options.timers ?? defaultTimers;
    this.counters = options.counters ?? newCounters();
    this.options = options;
    this.socket = new RawNetlinkSocket(protocol, {
      recvBufferSize: options.receiveBufferBytes ?? 4 * 1024 * 1024,
      sendBufferSize: options.sendBufferBytes ?? 1024 * 1024,
    });
    // What the kernel granted (twice the request, capped by net.core.rmem_max: 416 KiB on a default node
    // although 4 MiB was asked for); a quarter is kept free for the replies of helpers' dumps and slack.
    this.replyBudget = Math.floor((this.socket.getRecvBufferSize() * 3) / 4);
    // Sequence numbers start from a time-derived value so replies to a previous process's requests on a
    // recycled port id can't be mistaken for ours.
    this.seq = (Date.now() & 0x7fffffff) >>> 0;
    this.socket.on('message', (buf) => this.onMessage?.(buf));
    this.socket.on('error', (err) => this.onError?.(err));
    // The socket must not keep the process alive between syncs.
    this.socket.unref();
  }

  exchange(requests: readonly NetlinkMessage[], options: ExchangeOptions = {}): Promise<ExchangeResult[]> {
    const parallel = this.options.dumpSockets ?? 4;
    const dumps = requests.length > 0 && requests.every((r) => (r.flags & NLM_F_DUMP) === NLM_F_DUMP);
    if (parallel > 1 && dumps && options.parallel === true) return this.exchangeSpread(requests, (this.quick ??= []), QUICK_SOCKETS);
    if (parallel > 1 && dumps && (options.apart === true || requests.length >= SPREAD_MIN_DUMPS)) return this.exchangeSpread(requests, (this.helpers ??= []), parallel);
    return this.exchangeHere(requests);
  }

  /** Helper sockets opened so far, of both pools (0 until an exchange is spread, run apart or in parallel). */
  get helperSockets(): number {
    return (this.helpers?.length ?? 0) + (this.quick?.length ?? 0);
  }

  /** Contiguous shares of the dumps on sockets of the pool (not this one); results in request order. */
  private async exchangeSpread(requests: readonly NetlinkMessage[], pool: SocketTransport[], max: number): Promise<ExchangeResult[]> {
    if (this.closed) throw new NetlinkTransportError('netlink connection is closed');
    // Only as many as the dumps need: a whole-table dump run apart is one request, on one helper.
    const count = Math.min(max, requests.length);
    while (pool.length < count) pool.push(new SocketTransport(this.protocol, { ...this.options, counters: this.counters, dumpSockets: 1 }));
    const share = Math.ceil(requests.length / count);
    const parts = await Promise.all(
      pool.slice(0, count).map((t, i) => {
        const mine = requests.slice(i * share, (i + 1) * share);
        return mine.length === 0 ? Promise.resolve([]) : t.exchange(mine);
      }),
    );
    return parts.flat();
  }

  private exchangeHere(requests: readonly NetlinkMessage[]): Promise<ExchangeResult[]> {
    // One exchange at a time per socket: the kernel runs one dump per socket, and replies are matched by seq.
    const run = this.busy.then(() => this.exchangeNow(requests));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async exchangeNow(requests: readonly NetlinkMessage[]): Promise<ExchangeResult[]> {
    if (this.closed) throw new NetlinkTransportError('netlink connection is closed');
    const numbered = requests.map((r) => ({ ...r, seq: this.nextSeq(), pid: 0 }));
    const datagrams: Datagram[] = [];
    const quiet = new Set<number>();
    let i = 0;
    while (i < numbered.length) {
      // Dumps go alone: a second dump on the same socket while one runs is refused with EBUSY.
      const from = i;
      const encoded: Uint8Array[] = [];
      let bytes = 0;
      let replyBytes = 0;
      while (i < numbered.length && i - from < this.batchSize) {
        const m = numbered[i]!;
        const isDump = (m.flags & NLM_F_DUMP) === NLM_F_DUMP;
        if (isDump && i > from) break;
        const e = encodeMessage(m);
        if (i > from && bytes + e.length > this.maxDatagramBytes) break;
        // Even if every request fails, their replies must fit the receive buffer (reply-budget.ts: an
        // overrun aborts the process inside the socket binding).
        if (i > from && replyBytes + worstReplyBytes(e.length) > this.replyBudget) break;
        encoded.push(e);
        bytes += e.length;
        replyBytes += worstReplyBytes(e.length);
        i++;
        if (isDump) break;
      }
      if (!this.ackEveryRequest) {
        // Every request but the last: drop NLM_F_ACK in the bytes (flags are bytes 6-7 of nlmsghdr, host order).
        for (let j = from; j < i - 1; j++) {
          const flags = numbered[j]!.flags;
          if (!(flags & NLM_F_ACK) || (flags & NLM_F_DUMP) === NLM_F_DUMP) continue;
          setU16le(encoded[j - from]!, 6, flags & ~NLM_F_ACK);
          quiet.add(j);
        }
      }
      datagrams.push({ from, to: i, encoded, bytes });
    }
    return this.sendDatagrams(numbered, datagrams, quiet);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1;
    return this.seq;
  }

  /**
   * Sends the datagrams one after the other, each as soon as every request of the previous one is
   * answered, from inside the receive callback: no promise or timer per datagram (an IPVS read is 10,000
   * one-dump datagrams), and the next dump's first replies are often read in the same wake-up. A watchdog
   * fails the exchange when nothing arrives for timeoutMs.
   */
  private sendDatagrams(requests: NetlinkMessage[], datagrams: Datagram[], quiet: ReadonlySet<number>): Promise<ExchangeResult[]> {
    const collector = new ReplyCollector(requests, quiet);
    return new Promise<ExchangeResult[]>((resolve, reject) => {
      let settled = false;
      let current = -1;
      let progressed = false;
      let timer: unknown;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        this.timers.clearTimeout(timer);
        this.onMessage = undefined;
        this.onError = undefined;
        this.abortInFlight = undefined;
        if (!this.closed) this.socket.unref();
        if (err) reject(err);
        else resolve(collector.results);
      };
      const watchdog = (): void => {
        if (settled) return;
        if (!progressed) {
          finish(new NetlinkTransportError(`no reply from the kernel within ${this.timeoutMs} ms for seq ${collector.waiting().slice(0, 5).join(',')}`));
          return;
        }
        progressed = false;
        timer = this.timers.setTimeout(watchdog, this.timeoutMs);
      };
      const sendNext = (): void => {
        const d = datagrams[++current]!;
        this.counters.messagesSent += d.to - d.from;
        this.counters.datagramsSent++;
        this.socket.send(d.encoded, {}, (err) => {
          if (err) finish(new NetlinkTransportError(`sendmsg: ${err.code} (${d.to - d.from} messages, ${d.bytes} bytes)`, Math.abs(err.errno)));
        });
      };
      this.onMessage = (buf) => {
        this.counters.datagramsReceived++;
        progressed = true;
        let messages: NetlinkMessage[];
        try {
          messages = decodeMessages(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        } catch (e) {
          finish(e as Error);
          return;
        }
        for (const m of messages) collector.accept(m); // stray replies of an abandoned batch are ignored
        if (collector.complete) finish();
        else if (collector.settled(datagrams[current]!.from, datagrams[current]!.to)) sendNext();
      };
      this.onError = (err) => {
        const errno = err.errno !== undefined ? Math.abs(err.errno) : undefined;
        const what = errno === ENOBUFS
          ? 'the kernel dropped replies (ENOBUFS: receive buffer overrun); re-read and retry'
          : `socket error ${err.code ?? ''}: ${err.message}`;
        finish(new NetlinkTransportError(what, errno));
      };
      this.abortInFlight = finish;
      if (datagrams.length === 0) {
        finish();
        return;
      }
      timer = this.timers.setTimeout(watchdog, this.timeoutMs);
      this.socket.ref();
      sendNext();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of [...(this.helpers ?? []), ...(this.quick ?? [])]) h.close();
    this.abortInFlight?.(new NetlinkTransportError('netlink connection closed while waiting for replies'));
    this.socket.close();
  }
}
