// The churn observer: outside the proxier, reads the kernel for each changed Service until it shows the
// change, and records the time from the API write's answer to then. One GET_DEST dump per pending virtual
// server (its 10 destinations, not a full dump), up to DUMPS_PER_ROUND pending ones in one netlink exchange
// per round (spread over parallel sockets), the least recently read first, rounds POLL_MS apart. A latency is known to within the time
// since that Service was read before (recorded per observation as its resolution): one round while few
// changes are pending; when the proxier falls behind and thousands are, the observer's cost stays bounded
// (it would otherwise take the guest's CPU from the proxier it measures) and the resolution coarsens.
// In-process over our IPVS client: spawning ipvsadm costs hundreds of ms in the emulated guest.
import { setTimeout as sleep } from 'node:timers/promises';
import { AF_INET } from '../../../native-free-netlink/core/ip.js';
import { IPPROTO_TCP } from '../../../native-free-netlink/ipvs/constants.js';
import type { IpvsDestinationEntry, IpvsServiceKey } from '../../../native-free-netlink/ipvs/types.js';
import { IpvsClient } from '../../../lib/kernel/ipvs-client.js';
import { NETLINK_GENERIC_PROTOCOL } from '../../../lib/netlink/protocols.js';
import { SocketTransport } from '../../../lib/netlink/socket-transport.js';
import type { Change } from './changes.js';
import { SERVICE_PORT, serviceIp } from './cluster-objects.js';

export const POLL_MS = 20;
export const DUMPS_PER_ROUND = 100;
/** A change not seen within this long is reported as lost, not waited for. */
export const GIVE_UP_MS = 120_000;

export interface Observation {
  seq: number;
  service: number;
  /** Write answered -> kernel shows the change (ms). */
  latencyMs: number;
  /** Since the read before, which did not show it yet (or since the write's answer): the latency's uncertainty (ms). */
  resolutionMs: number;
}

export interface ObserverStats {
  observations: Observation[];
  /** Changes not seen within GIVE_UP_MS, or still pending when the observer stopped. */
  lost: number;
  rounds: number;
  /** Duration of each round's exchange (ms). */
  roundMs: number[];
  readErrors: number;
  firstError?: string;
}

/** Whether the destinations show the change: the new pod has weight, the old one is gone or drained (weight 0). */
export function showsChange(dests: readonly IpvsDestinationEntry[], change: Pick<Change, 'oldIp' | 'newIp'>): boolean {
  const added = dests.some((d) => d.destination.address === change.newIp && d.destination.weight > 0);
  const removed = !dests.some((d) => d.destination.address === change.oldIp && d.destination.weight > 0);
  return added && removed;
}

export function serviceKey(service: number): IpvsServiceKey {
  return { family: AF_INET, protocol: IPPROTO_TCP, address: serviceIp(service), port: SERVICE_PORT, fwmark: 0 };
}

export class KernelObserver {
  private readonly pending = new Map<number, { change: Change; answeredAt: number; readAt: number }>();
  private stopping = false;
  readonly stats: ObserverStats = { observations: [], lost: 0, rounds: 0, roundMs: [], readErrors: 0 };

  private constructor(
    private readonly transport: SocketTransport,
    readonly ipvs: IpvsClient,
    private readonly now: () => number,
  ) {}

  static async open(now: () => number): Promise<KernelObserver> {
    const transport = new SocketTransport(NETLINK_GENERIC_PROTOCOL);
    try {
      return new KernelObserver(transport, await IpvsClient.open(transport), now);
    } catch (e) {
      transport.close();
      throw e;
    }
  }

  watch(change: Change, answeredAt: number): void {
    this.pending.set(change.service, { change, answeredAt, readAt: answeredAt });
  }

  isPending(service: number): boolean {
    return this.pending.has(service);
  }

  /** Polls until stop() and then until nothing is pending (each change at most GIVE_UP_MS). */
  async run(): Promise<void> {
    while (!this.stopping || this.pending.size > 0) {
      if (this.pending.size === 0) {
        await sleep(POLL_MS);
        continue;
      }
      // The Map's order is the reading order: an entry read and not yet showing goes to the back.
      const entries: { change: Change; answeredAt: number; readAt: number }[] = [];
      for (const e of this.pending.values()) {
        if (entries.length >= DUMPS_PER_ROUND) break;
        entries.push(e);
      }
      const t0 = this.now();
      let dests: IpvsDestinationEntry[][];
      try {
        // All at once, on sockets of their own (one after another, a round of 30 took 30 round trips).
        dests = await this.ipvs.listDestinations(entries.map((e) => serviceKey(e.change.service)), { counters: false, parallel: true });
      } catch (e) {
        // Not expected (every virtual server exists from the first sync on); counted, and the round retried.
        this.stats.readErrors++;
        this.stats.firstError ??= e instanceof Error ? e.message : String(e);
        dests = [];
      }
      const t1 = this.now();
      this.stats.rounds++;
      this.stats.roundMs.push(t1 - t0);
      entries.forEach((e, i) => {
        const { change, answeredAt } = e;
        this.pending.delete(change.service);
        if (dests[i] && showsChange(dests[i], change)) {
          this.stats.observations.push({ seq: change.seq, service: change.service, latencyMs: t1 - answeredAt, resolutionMs: t1 - e.readAt });
        } else if (t1 - answeredAt > GIVE_UP_MS) {
          this.stats.lost++;
        } else {
          this.pending.set(change.service, { ...e, readAt: t1 });
        }
      });
      await sleep(Math.max(0, POLL_MS - (this.now() - t0)));
    }
  }

  stop(): void {
    this.stopping = true;
  }

  close(): void {
    this.transport.close();
  }
}
