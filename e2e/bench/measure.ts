// Small measuring helpers shared by the bench's modes: wall time, the process's peak RSS, the guest's load.
import { readFileSync } from 'node:fs';
import type { TransportCounters } from '../../lib/netlink/connection.js';

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Peak resident set of this process so far (getrusage ru_maxrss), in MiB. */
export function peakRssMiB(): number {
  return round(process.resourceUsage().maxRSS / 1024, 1);
}

/** Current resident set (VmRSS), in MiB. */
export function currentRssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? round(Number(m[1]) / 1024, 1) : NaN;
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function snapshot(c: TransportCounters): TransportCounters {
  return { ...c };
}

export function delta(after: TransportCounters, before: TransportCounters): TransportCounters {
  return {
    messagesSent: after.messagesSent - before.messagesSent,
    datagramsSent: after.datagramsSent - before.datagramsSent,
    datagramsReceived: after.datagramsReceived - before.datagramsReceived,
  };
}
