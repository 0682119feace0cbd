// CPU time and resident memory of another process, from /proc/<pid>/stat and /proc/<pid>/status: what the
// bench records of the proxier without asking it (its own process metrics would cost it a scrape).
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc's clock ticks per second (100 on every Linux the kernel's ABI promises it to). */
const TICKS_PER_SECOND = 100;

export interface ProcessSample {
  /** utime + stime, seconds. */
  cpuS: number;
  rssMiB: number;
}

/** utime + stime (fields 14 and 15) in seconds; the command name (field 2) may hold spaces and parentheses. */
export function cpuSecondsFromStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`/proc/PID/stat: no utime/stime in "${stat.slice(0, 200)}"`);
  return (utime + stime) / TICKS_PER_SECOND;
}

/** VmRSS of /proc/<pid>/status, in MiB. */
export function rssMiBFromStatus(status: string): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error('/proc/PID/status: no VmRSS line');
  return Number(m[1]) / 1024;
}

export function sampleProcess(pid: number): ProcessSample {
  return {
    cpuS: cpuSecondsFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8')),
    rssMiB: rssMiBFromStatus(readFileSync(`/proc/${pid}/status`, 'utf8')),
  };
}
