// What the churn writer changes, decided without I/O: which Service, which of its endpoints, which new pod
// IP, and when each change is due. Seeded, so a run's sequence of changes can be repeated.
import { ENDPOINTS_PER_SERVICE } from '../bench-state.js';
import { initialPodIps, replacementPodIp } from './cluster-objects.js';

export interface Change {
  /** 0, 1, 2, ... in the order written. */
  seq: number;
  service: number;
  endpoint: number;
  oldIp: string;
  newIp: string;
  /** The Service's pod IPs after the change (the slice's endpoints, in order). */
  podIps: readonly string[];
}

/** mulberry32, the property tests' generator of floats in [0, 1): the same seed, the same changes. */
export { prng as seededRandom } from '../../../test/native-free-netlink/ipvs/helpers.js';

/** When change `seq` is due, `rate` changes per second from `startMs` on (an open loop: lateness is not made up by spacing). */
export function dueAt(startMs: number, seq: number, rate: number): number {
  return startMs + (seq * 1000) / rate;
}

/**
 * The pod IPs of every Service as the writer last wrote them, and the next change: a random Service whose
 * previous change is not yet seen in the kernel (two changes to one Service in flight could not be told
 * apart by the observer), one of its endpoints at random, moved to a pod IP never used before.
 */
export class ChangeSource {
  private readonly ips: string[][] = [];
  private seq = 0;

  constructor(
    readonly services: number,
    private readonly random: () => number,
  ) {
    for (let i = 0; i < services; i++) this.ips.push(initialPodIps(i));
  }

  /** Undefined when every Service has a change in flight. */
  next(busy: (service: number) => boolean): Change | undefined {
    const service = this.pickService(busy);
    if (service === undefined) return undefined;
    const endpoint = Math.floor(this.random() * ENDPOINTS_PER_SERVICE);
    const seq = this.seq++;
    const ips = this.ips[service]!;
    const oldIp = ips[endpoint]!;
    const newIp = replacementPodIp(this.services, seq);
    ips[endpoint] = newIp;
    return { seq, service, endpoint, oldIp, newIp, podIps: [...ips] };
  }

  private pickService(busy: (service: number) => boolean): number | undefined {
    const first = Math.floor(this.random() * this.services);
    // Few Services are ever busy (the changes of about one second at most); past a busy one, the next free.
    for (let k = 0; k < this.services; k++) {
      const i = (first + k) % this.services;
      if (!busy(i)) return i;
    }
    return undefined;
  }
}
