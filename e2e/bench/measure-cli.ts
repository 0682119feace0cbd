// The whole CLI once, in a freshly booted guest: `ipvs-proxier apply -f STATE.json` from empty, wall time of
// the process (Node start, module loading, JSON parse and validation, kernel open, apply, 130k output lines
// to a file), peak RSS from /usr/bin/time. Node and node_modules reach the guest over 9p: a dry run of an
// empty state first (timed separately, changes nothing) loads every module once, so the measured run reads
// them from the guest's page cache as a node reads them from its disk cache.
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchState } from './bench-state.js';
import { loadAverage, nowMs, round } from './measure.js';

export interface CliResult {
  services: number;
  command: string;
  /** The warm-up dry run of an empty state (module loading over 9p dominates it). */
  warmupMs: number;
  ms: number;
  peakRssMiB: number;
  lastLine: string;
  guestLoad: string;
}

export function measureCli(services: number, log: (s: string) => void): CliResult {
  const file = '/tmp/bench-state.json';
  writeFileSync(file, JSON.stringify(benchState(services)));
  const cli = fileURLToPath(new URL('../../../lib/cli/ipvs-proxier', import.meta.url));
  writeFileSync('/tmp/bench-empty.json', JSON.stringify({ virtualServers: [], ipsets: [] }));
  const w0 = nowMs();
  const warm = spawnSync(cli, ['apply', '--dry-run', '-f', '/tmp/bench-empty.json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const warmupMs = round(nowMs() - w0, 1);
  if (warm.status !== 0) throw new Error(`${cli} apply --dry-run (warm-up): exit ${warm.status}: ${warm.stderr.toString().slice(0, 2000)}`);
  const guestLoad = loadAverage();
  const out = '/tmp/bench-cli.out';
  const t0 = nowMs();
  const p = spawnSync('/usr/bin/time', ['-f', '%M', '-o', '/tmp/bench-cli.time', cli, 'apply', '-f', file], { stdio: ['ignore', openSync(out, 'w'), 'pipe'] });
  const ms = nowMs() - t0;
  if (p.status !== 0) throw new Error(`${cli} apply: exit ${p.status}: ${p.stderr.toString().slice(0, 2000)}`);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  const kb = Number(readFileSync('/tmp/bench-cli.time', 'utf8').trim().split('\n').pop());
  const r: CliResult = { services, command: `ipvs-proxier apply -f STATE.json > FILE`, warmupMs, ms: round(ms, 1), peakRssMiB: round(kb / 1024, 1), lastLine: lines[lines.length - 1]!, guestLoad };
  log(`cli ${services}: ${r.ms} ms (warm-up dry run ${warmupMs} ms), peak ${r.peakRssMiB} MiB, "${r.lastLine}"`);
  return r;
}
