// The real tools as the e2e suites' independent witnesses: ipvsadm, ipset, ip and iptables-save are run as
// child processes (never our code) to set up kernel state and to read back what our code did. Also the
// `ipvs-proxier` CLI itself, started as its own Node process (costly in the VM: use it sparingly).
// Used by test/e2e/netlink/ and test/e2e/engine/; runs only inside the e2e VM (root, IPVS, dummy links).
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool; never throws (the caller asserts on status). */
export function tryRun(command: string, args: readonly string[], input?: string): ToolResult {
  const r = spawnSync(command, args, { encoding: 'utf8', input: input ?? '', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${command} could not be started: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a tool that must succeed, without blocking (several at once finish sooner in the 2-CPU VM); its stdout. */
export function runAsync(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message} ${stderr.trim()}`));
      else resolve(stdout);
    });
  });
}

/** Runs a tool that must succeed; its stdout. */
export function run(command: string, args: readonly string[], input?: string): string {
  const r = tryRun(command, args, input);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** `ipvsadm -Sn`, one rule per line, sorted (the kernel lists services in hash order). */
export function ipvsadmSave(text = run('ipvsadm', ['-Sn'])): string[] {
  return lines(text).sort();
}

/**
 * `ipset save`, sorted, with each hash set's random `initval 0x...` removed (the kernel picks it at
 * creation; it is no setting of ours). Everything else as printed.
 */
export function ipsetSave(text = run('ipset', ['save'])): string[] {
  return lines(text)
    .map((l) => l.replace(/ initval 0x[0-9a-f]+/, ''))
    .sort();
}

/** `ipset list -n`: the names of every set. */
export function ipsetNames(): string[] {
  return lines(run('ipset', ['list', '-n'])).sort();
}

/** "ADDR/PREFIX" of every address on a link, from `ip -j addr show dev NAME`, sorted; undefined when there is no such link. */
export function linkAddresses(name: string): string[] | undefined {
  const r = tryRun('ip', ['-j', 'addr', 'show', 'dev', name]);
  if (r.status !== 0) return undefined;
  const [link] = JSON.parse(r.stdout) as { addr_info: { family: string; local: string; prefixlen: number; scope: string }[] }[];
  // Links that are up get an IPv6 link-local address of the kernel's choosing: not what is compared.
  return link!.addr_info.filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`).sort();
}

export interface LinkDetails {
  kind: string | undefined;
  operstate: string;
  up: boolean;
}

/** `ip -j -d link show NAME`: the link's kind ("dummy") and whether it is up. */
export function linkDetails(name: string): LinkDetails | undefined {
  const r = tryRun('ip', ['-j', '-d', 'link', 'show', 'dev', name]);
  if (r.status !== 0) return undefined;
  const [link] = JSON.parse(r.stdout) as { flags: string[]; operstate: string; linkinfo?: { info_kind?: string } }[];
  return { kind: link!.linkinfo?.info_kind, operstate: link!.operstate, up: link!.flags.includes('UP') };
}

/**
 * `iptables-save` / `ip6tables-save` of every table: comment lines (they carry a timestamp) dropped and the
 * built-in chains' packet counters (`:INPUT ACCEPT [12:720]`, they move with any traffic) zeroed. A table
 * with nothing in it (built-in chains only, policy ACCEPT, no rules) is left out: iptables-nft keeps such a
 * table after its last rule is deleted, and "no rules" is what matters. Order kept: rule order matters.
 */
export function iptablesSave(family: 'ip4' | 'ip6' = 'ip4', text = run(family === 'ip6' ? 'ip6tables-save' : 'iptables-save', [])): string[] {
  const out: string[] = [];
  let table: string[] = [];
  for (const l of lines(text).filter((x) => !x.startsWith('#'))) {
    table.push(l.replace(/\[\d+:\d+\]$/, '[0:0]'));
    if (l !== 'COMMIT') continue;
    const empty = table.every((x) => x.startsWith('*') || x === 'COMMIT' || / ACCEPT \[0:0\]$/.test(x));
    if (!empty) out.push(...table);
    table = [];
  }
  return out;
}

/** One table of iptables-save, parsed: the declared chains (sorted) and each chain's rules in order. */
export interface SavedTable {
  chains: string[];
  rules: Record<string, string[]>;
}

/** iptables-save's tables (only those with something in them, see iptablesSave), parsed. */
export function iptablesTables(family: 'ip4' | 'ip6' = 'ip4'): Record<string, SavedTable> {
  const out: Record<string, SavedTable> = {};
  let current: SavedTable | undefined;
  for (const l of iptablesSave(family)) {
    if (l.startsWith('*')) out[l.slice(1)] = current = { chains: [], rules: {} };
    else if (l.startsWith(':')) current!.chains.push(l.slice(1).split(' ')[0]!);
    else if (l.startsWith('-A ')) {
      const [, chain, ...rest] = l.split(' ');
      (current!.rules[chain!] ??= []).push(rest.join(' '));
    }
  }
  for (const t of Object.values(out)) t.chains.sort();
  return out;
}

/** Every kernel object these suites may touch, as the real tools print it. */
export interface KernelSnapshot {
  ipvs: string[];
  ipsets: string[];
  iptables: string[];
  ip6tables: string[];
  links: string[];
}

/** Reads everything at once (five tools run concurrently). */
export async function snapshot(): Promise<KernelSnapshot> {
  const [ipvs, ipsets, iptables, ip6tables, addresses] = await Promise.all([
    runAsync('ipvsadm', ['-Sn']),
    runAsync('ipset', ['save']),
    runAsync('iptables-save', []),
    runAsync('ip6tables-save', []),
    runAsync('ip', ['-j', 'addr', 'show']),
  ]);
  const links = (JSON.parse(addresses) as { ifname: string; addr_info: { local: string; prefixlen: number; scope: string }[] }[])
    .map((l) => `${l.ifname} ${l.addr_info.filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`).sort().join(' ')}`.trim())
    .sort();
  return { ipvs: ipvsadmSave(ipvs), ipsets: ipsetSave(ipsets), iptables: iptablesSave('ip4', iptables), ip6tables: iptablesSave('ip6', ip6tables), links };
}

/**
 * Why these suites cannot run here (not root, not the e2e VM), or undefined. They need a kernel with IPVS
 * and dummy links: the host's kernel has neither.
 */
export function whyNotRunnable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: run through e2e/run-in-vm';
  notRunnable ??= [probeTools()];
  return notRunnable[0];
}

let notRunnable: [string | undefined] | undefined;

function probeTools(): string | undefined {
  for (const [tool, ...args] of [['ipset', '--version'], ['ip', '-V'], ['iptables-save', '--version']] as const) {
    const r = spawnSync(tool, args);
    if (r.error || r.status !== 0) return `${tool} is not installed`;
  }
  const ipvs = spawnSync('ipvsadm', ['-Ln']);
  if (ipvs.error) return 'ipvsadm is not installed';
  if (ipvs.status !== 0) return 'the kernel has no IPVS: run through e2e/run-in-vm';
  return undefined;
}

/**
 * Fails unless nothing of what a suite compares exactly is there yet: no IPVS service, no ipset, no
 * kube-ipvs0. The VM is fresh, so something here means an earlier test file did not clean up.
 */
export function assertCleanKernel(interfaceName = 'kube-ipvs0'): void {
  const leftovers = [
    ...ipvsadmSave().map((l) => `ipvs: ${l}`),
    ...ipsetNames().map((n) => `ipset: ${n}`),
    ...(linkDetails(interfaceName) ? [`link: ${interfaceName}`] : []),
  ];
  if (leftovers.length > 0) throw new Error(`the kernel is not clean (left over by an earlier test?):\n  ${leftovers.join('\n  ')}`);
}

/**
 * How every real-kernel suite starts: skipped (saying why) where it cannot run, failed on an earlier
 * suite's leftovers, and the kernel's state returned for its after() to compare against.
 */
export async function cleanKernelOrSkip(suite: Mocha.Context): Promise<KernelSnapshot> {
  const why = whyNotRunnable();
  if (why) {
    console.log(`    skipped: ${why}`);
    suite.skip();
  }
  assertCleanKernel();
  return snapshot();
}

/** Creates a dummy link (up) with addresses, as a node's own interface (NodePort addresses live there). */
export function addNodeLink(name: string, cidrs: readonly string[]): void {
  run('ip', ['link', 'add', name, 'type', 'dummy']);
  run('ip', ['link', 'set', name, 'up']);
  for (const c of cidrs) run('ip', ['addr', 'add', c, 'dev', name, ...(c.includes(':') ? ['nodad'] : [])]);
}

/** Deletes a link if it exists. */
export function deleteLink(name: string): void {
  if (linkDetails(name)) run('ip', ['link', 'del', name]);
}

/** Deletes IPVS services by their ipvsadm service arguments (["-t", "10.96.0.10:80"]) if they exist. */
export function deleteServices(services: readonly (readonly string[])[]): void {
  const present = ipvsadmSave().filter((l) => l.startsWith('-A '));
  for (const s of services) {
    if (present.some((l) => l.startsWith(`-A ${s.join(' ')} `))) run('ipvsadm', ['-D', ...s]);
  }
}

/** Destroys sets by name, in the order given, if they exist (a list:set before the sets it holds). */
export function destroySets(names: readonly string[]): void {
  const present = new Set(ipsetNames());
  for (const n of names) if (present.has(n)) run('ipset', ['destroy', n]);
}

/** The CLI's entry point in dist/, next to this compiled file (dist/test/e2e/netlink/). */
export const CLI_MAIN = fileURLToPath(new URL('../../../lib/cli/main.js', import.meta.url));

/** Runs `ipvs-proxier ARGS...` as its own process (several seconds in the VM). */
export function runCli(args: readonly string[]): ToolResult {
  return tryRun(process.execPath, [CLI_MAIN, ...args]);
}
