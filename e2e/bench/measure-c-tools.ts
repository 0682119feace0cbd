// The C tools on the identical state in a freshly booted guest: `ip -batch` (the dummy link and one address
// per service), `ipset restore` (both sets), `ipvsadm -R` (the -A/-a lines), in the order our plan uses.
// Each runs under /usr/bin/time for its peak RSS; wall time is measured here around the process (spawn
// included, as a sync script would pay it). Input files are written to the guest's tmpfs before timing.
//
// One guest artefact is removed first: the guest's root is the host's / over 9p, and `ipset restore` asks
// glibc for the protocol of every member ("tcp" in 10.96.0.1,tcp:80): per line it opens /etc/protocols and
// stats /etc/nsswitch.conf and /etc/resolv.conf (twice), four 9p round trips that a real node serves from
// its page cache. Measured: 110,002 lines took 690 s that way. The files are copied up into the guest's
// tmpfs overlay (same content) so that those lookups cost what they cost on a node.
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { benchState, ipBatchText, ipsetRestoreText, ipvsadmRestoreText } from './bench-state.js';
import { loadAverage, nowMs, round } from './measure.js';

export interface ToolRun {
  command: string;
  inputLines: number;
  ms: number;
  peakRssMiB: number;
  /** CPU seconds of the process in user space and in the kernel (system: the netlink requests' handling). */
  userS?: number;
  systemS?: number;
  guestLoad: string;
}

export interface CToolsResult {
  services: number;
  ipBatch: ToolRun;
  ipsetRestore: ToolRun;
  ipvsadmRestore: ToolRun;
  /** /etc files copied into the guest's tmpfs before timing (see the header). */
  copiedUp: string[];
  /** What the kernel holds afterwards (checked, not timed). */
  check: { ipvsLines: number; addresses: number; ipsetEntries: Record<string, number> };
}

function run(command: string[], inputFile: string, log: (s: string) => void): ToolRun {
  const rssFile = `/tmp/bench-time-${process.pid}`;
  const guestLoad = loadAverage();
  const t0 = nowMs();
  const p = spawnSync('/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, ...command], { stdio: [openSync(inputFile, 'r'), 'ignore', 'pipe'] });
  const ms = nowMs() - t0;
  if (p.status !== 0) throw new Error(`${command.join(' ')} < ${inputFile}: exit ${p.status}: ${p.stderr.toString().slice(0, 2000)}`);
  const [kb, userS, systemS] = readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number];
  const r: ToolRun = {
    command: `${command.join(' ')} < ${inputFile}`,
    inputLines: readFileSync(inputFile, 'utf8').split('\n').length - 1,
    ms: round(ms, 1),
    peakRssMiB: round(kb / 1024, 1),
    userS,
    systemS,
    guestLoad,
  };
  log(`c-tools: ${r.command}: ${r.ms} ms (user ${userS} s, system ${systemS} s), ${r.inputLines} lines, peak ${r.peakRssMiB} MiB`);
  return r;
}

function sh(cmd: string): string {
  const p = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (p.status !== 0) throw new Error(`${cmd}: exit ${p.status}: ${p.stderr}`);
  return p.stdout;
}

/** Files glibc reads per protocol/service lookup; rewritten in place so the overlay serves them from tmpfs. */
const LOOKUP_FILES = ['/etc/protocols', '/etc/services', '/etc/nsswitch.conf', '/etc/resolv.conf', '/etc/hosts', '/etc/host.conf'];

function rootIsOverlay(): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => {
    const f = l.split(' ');
    return f[4] === '/' && l.includes(' - overlay ');
  });
}

function copyUpLookupFiles(log: (s: string) => void): string[] {
  // Only in the guest: on any other machine this would rewrite the real /etc (with the same bytes).
  if (!rootIsOverlay()) {
    log('c-tools: / is not an overlay (not the e2e guest?): /etc lookup files left alone');
    return [];
  }
  const done: string[] = [];
  for (const f of LOOKUP_FILES) {
    let content: Buffer;
    try {
      content = readFileSync(f);
    } catch {
      continue;
    }
    writeFileSync(f, content);
    done.push(f);
  }
  return done;
}

export function measureCTools(services: number, log: (s: string) => void): CToolsResult {
  const state = benchState(services);
  const copiedUp = copyUpLookupFiles(log);
  log(`c-tools: served from the guest's tmpfs: ${copiedUp.join(' ')}`);
  writeFileSync('/tmp/bench-ip.batch', ipBatchText(state));
  writeFileSync('/tmp/bench-ipset.restore', ipsetRestoreText(state));
  writeFileSync('/tmp/bench-ipvsadm.rules', ipvsadmRestoreText(state));
  const ipBatch = run(['ip', '-batch', '-'], '/tmp/bench-ip.batch', log);
  const ipsetRestore = run(['ipset', 'restore'], '/tmp/bench-ipset.restore', log);
  const ipvsadmRestore = run(['ipvsadm', '-R'], '/tmp/bench-ipvsadm.rules', log);
  const ipsetEntries: Record<string, number> = {};
  for (const m of sh('ipset list -t').matchAll(/^Name: (\S+)[\s\S]*?^Number of entries: (\d+)/gm)) ipsetEntries[m[1]!] = Number(m[2]);
  const check = {
    ipvsLines: Number(sh('ipvsadm -S -n | wc -l').trim()),
    addresses: Number(sh(`ip -o -4 address show dev ${state.interface!.name} | wc -l`).trim()),
    ipsetEntries,
  };
  log(`c-tools ${services}: kernel holds ${JSON.stringify(check)}`);
  const wantIpvs = services * 11;
  if (check.ipvsLines !== wantIpvs || check.addresses !== services) throw new Error(`C tools left ${JSON.stringify(check)}, expected ${wantIpvs} ipvs lines and ${services} addresses`);
  return { services, ipBatch, ipsetRestore, ipvsadmRestore, check, copiedUp };
}
