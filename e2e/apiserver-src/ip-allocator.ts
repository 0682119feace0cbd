// Hands out Service cluster IPs from one CIDR, the way the API server's
// allocator does: the network address (and for IPv4 the broadcast address) are
// never used, and the first usable address is kept for the `kubernetes`
// Service. Unlike the real allocator (random) this one is sequential with a
// moving cursor, so runs are reproducible and a just-released IP is not
// handed out again right away.

import { cidrContains, formatIp, parseIp, type Cidr, type IpFamily } from './ip-address.js';

export type ReserveResult = { ok: true } | { ok: false; reason: 'invalid' | 'out-of-range' | 'allocated' };

export class IpAllocator {
  readonly family: IpFamily;
  private readonly first: bigint;
  private readonly last: bigint;
  private readonly reservedForKubernetes: bigint;
  private readonly allocated = new Set<bigint>();
  private cursor: bigint;

  constructor(readonly cidr: Cidr) {
    this.family = cidr.family;
    const end = cidr.network + cidr.size - 1n;
    this.first = cidr.network + 1n;
    this.last = cidr.family === 'IPv4' ? end - 1n : end;
    if (this.last - this.first < 1n) throw new Error(`service CIDR ${cidr.text} is too small`);
    this.reservedForKubernetes = this.first;
    this.cursor = this.first + 1n;
  }

  /** Claims a specific address (a Service that asks for spec.clusterIP). */
  reserve(text: string): ReserveResult {
    const ip = parseIp(text);
    if (ip === undefined) return { ok: false, reason: 'invalid' };
    if (!cidrContains(this.cidr, ip) || ip.value < this.first || ip.value > this.last) return { ok: false, reason: 'out-of-range' };
    if (ip.value === this.reservedForKubernetes || this.allocated.has(ip.value)) return { ok: false, reason: 'allocated' };
    this.allocated.add(ip.value);
    return { ok: true };
  }

  /** Claims the next free address; undefined when the range is full. */
  allocateNext(): string | undefined {
    const usable = this.last - this.first; // every usable address except the reserved one
    if (BigInt(this.allocated.size) >= usable) return undefined;
    let candidate = this.cursor;
    for (;;) {
      if (candidate > this.last) candidate = this.first + 1n;
      if (candidate !== this.reservedForKubernetes && !this.allocated.has(candidate)) break;
      candidate += 1n;
    }
    this.allocated.add(candidate);
    this.cursor = candidate + 1n;
    return formatIp(this.family, candidate);
  }

  release(text: string): void {
    const ip = parseIp(text);
    if (ip !== undefined && ip.family === this.family) this.allocated.delete(ip.value);
  }

  isAllocated(text: string): boolean {
    const ip = parseIp(text);
    return ip !== undefined && ip.family === this.family && this.allocated.has(ip.value);
  }
}
