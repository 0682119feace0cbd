// Hands out node ports (and health-check node ports) from the
// --service-node-port-range. Sequential with a moving cursor; the real
// allocator picks randomly, which only matters for tests that guess numbers.

import type { ReserveResult } from './ip-allocator.js';

export interface PortRange {
  base: number;
  size: number;
}

export function parsePortRange(text: string): PortRange {
  const match = /^(\d+)-(\d+)$/.exec(text.trim());
  if (match === null) throw new Error(`invalid port range "${text}" (want FROM-TO, e.g. 30000-32767)`);
  const from = Number(match[1]);
  const to = Number(match[2]);
  if (from < 1 || to > 65535 || from > to) throw new Error(`invalid port range "${text}"`);
  return { base: from, size: to - from + 1 };
}

export function formatPortRange(range: PortRange): string {
  return `${range.base}-${range.base + range.size - 1}`;
}

export class PortAllocator {
  private readonly allocated = new Set<number>();
  private cursor: number;

  constructor(readonly range: PortRange) {
    this.cursor = range.base;
  }

  reserve(port: number): ReserveResult {
    if (!Number.isInteger(port)) return { ok: false, reason: 'invalid' };
    if (port < this.range.base || port >= this.range.base + this.range.size) return { ok: false, reason: 'out-of-range' };
    if (this.allocated.has(port)) return { ok: false, reason: 'allocated' };
    this.allocated.add(port);
    return { ok: true };
  }

  allocateNext(): number | undefined {
    if (this.allocated.size >= this.range.size) return undefined;
    let candidate = this.cursor;
    for (;;) {
      if (candidate >= this.range.base + this.range.size) candidate = this.range.base;
      if (!this.allocated.has(candidate)) break;
      candidate += 1;
    }
    this.allocated.add(candidate);
    this.cursor = candidate + 1;
    return candidate;
  }

  release(port: number): void {
    this.allocated.delete(port);
  }

  isAllocated(port: number): boolean {
    return this.allocated.has(port);
  }
}
