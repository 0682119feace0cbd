// What the traffic self-test may change in the VM, read back so that "teardown leaves the VM clean" can
// be checked by comparing a snapshot taken before setup with one taken after teardown.
import { readdirSync, readFileSync } from 'node:fs';
import { listLinks, listNamespaces } from '../../../e2e/traffic/node-network.js';
import { runCommand } from '../../../e2e/traffic/run-command.js';

export interface VmNetworkState {
  readonly links: string[];
  readonly netns: string[];
  readonly ipvs: string;
  readonly ipsets: string[];
  /** iptables-save's rules and user chains (empty built-in tables and counters left out). */
  readonly iptables: string[];
  readonly sysctls: Record<string, string>;
  /** Processes whose command line mentions this directory's scripts. */
  readonly trafficProcesses: string[];
}

const SYSCTLS = ['net/ipv4/ip_forward', 'net/bridge/bridge-nf-call-iptables', 'net/ipv4/vs/conntrack'];

export function snapshotVmNetworkState(): VmNetworkState {
  return {
    links: listLinks(),
    netns: listNamespaces(),
    ipvs: runCommand(['ipvsadm', '-Sn']).stdout,
    ipsets: lines(runCommand(['ipset', 'list', '-n']).stdout),
    iptables: lines(runCommand(['iptables-save']).stdout).filter((l) => l.startsWith('-A') || (l.startsWith(':') && !/^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) /.test(l))),
    sysctls: Object.fromEntries(SYSCTLS.map((k) => [k, readFileSync(`/proc/sys/${k}`, 'utf8').trim()])),
    trafficProcesses: trafficProcesses(),
  };
}

/** "PID ARGS" of every process running one of e2e/traffic's scripts. */
function trafficProcesses(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let args: string;
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    if (/\/(pod-server|http-get|http-stream|udp-get)\.js( |$)/.test(args)) found.push(`${pid} ${args}`);
  }
  return found;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
