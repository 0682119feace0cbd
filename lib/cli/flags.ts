// The proxier's command line, with kube-proxy's flag names and defaults (cmd/kube-proxy/app/options.go) so
// a DaemonSet written for kube-proxy --proxy-mode=ipvs carries over. Accepted forms, as Go's pflag accepts
// them: `--flag=value`, `--flag value`, bare booleans (`--masquerade-all`) and `--flag=true|false`,
// `-v N`, `-v=N`, `-vN`, `--v=N`. Every error names the flag it is about.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { parseBindAddress } from '../health/health-server.js';
import { parseCidr, type ParsedCidr } from '../proxier/addresses.js';
import { DEFAULT_SCHEDULER, isKnownScheduler, KNOWN_SCHEDULERS } from '../proxier/scheduling.js';
import { formatDuration, parseDuration } from './duration.js';

export interface BindAddress {
  host: string;
  port: number;
}

export interface ProxierFlags {
  kubeconfig?: string;
  master?: string;
  /** --hostname-override, or the host name: the Node whose endpoints are local and whose object we watch. */
  hostname: string;
  /** --cluster-cidr, canonical, at most one per family. */
  clusterCIDRs: string[];
  masqueradeAll: boolean;
  scheduler: string;
  syncPeriodMs: number;
  minSyncPeriodMs: number;
  /** --ipvs-exclude-cidrs, canonical. */
  excludeCIDRs: string[];
  strictARP: boolean;
  /** --ipvs-tcp-timeout, --ipvs-tcpfin-timeout, --ipvs-udp-timeout; 0 = leave the kernel's value. */
  tcpTimeoutMs: number;
  tcpFinTimeoutMs: number;
  udpTimeoutMs: number;
  /** --nodeport-addresses: canonical CIDRs, or the single keyword "primary" (the Node's own IPs). */
  nodePortAddresses: string[];
  /** undefined: the server is disabled (flag set to ""). */
  healthzBindAddress?: BindAddress;
  metricsBindAddress?: BindAddress;
  cleanup: boolean;
  verbosity: number;
}

export type ParsedCommandLine = { kind: 'run'; flags: ProxierFlags } | { kind: 'help'; text: string };

/** A bad command line: `flag` is the flag as the user wrote it ("--ipvs-sync-period"). */
export class FlagError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message);
    this.name = 'FlagError';
  }
}

export const DEFAULTS = {
  scheduler: DEFAULT_SCHEDULER,
  syncPeriod: '30s',
  // kube-proxy's default for IPVS mode. Changes that arrive during a sync coalesce into one follow-up sync
  // anyway (the runner), and a partial sync touches only what changed, so there is nothing to gain from
  // holding changes back by default.
  minSyncPeriod: '0s',
  healthzBindAddress: '0.0.0.0:10256',
  metricsBindAddress: '127.0.0.1:10249',
} as const;

const STRING_FLAGS = [
  'kubeconfig', 'master', 'hostname-override', 'cluster-cidr', 'ipvs-scheduler', 'ipvs-sync-period',
  'ipvs-min-sync-period', 'ipvs-exclude-cidrs', 'ipvs-tcp-timeout', 'ipvs-tcpfin-timeout', 'ipvs-udp-timeout',
  'nodeport-addresses', 'healthz-bind-address', 'metrics-bind-address',
] as const;
const BOOLEAN_FLAGS = ['masquerade-all', 'ipvs-strict-arp', 'cleanup', 'help'] as const;

export const USAGE = `Usage: ipvs-proxier [run] [flags]

Programs this node's IPVS virtual servers, ipsets, iptables rules and kube-ipvs0 addresses from the
cluster's Services and EndpointSlices, as kube-proxy --proxy-mode=ipvs does.

Flags (kube-proxy's names):
  --kubeconfig PATH              kubeconfig file (default: in-cluster service account)
  --master URL                   API server address; overrides the kubeconfig's
  --hostname-override NAME       this node's name (default: the host name)
  --cluster-cidr CIDR[,CIDR]     pod CIDR(s); traffic to ClusterIPs from outside is masqueraded
  --masquerade-all               masquerade all traffic to ClusterIPs
  --ipvs-scheduler NAME          ${KNOWN_SCHEDULERS.join(', ')} (default ${DEFAULTS.scheduler})
  --ipvs-sync-period DURATION    longest time between full syncs that re-read the kernel (default ${DEFAULTS.syncPeriod})
  --ipvs-min-sync-period DUR     shortest time between syncs (default ${DEFAULTS.minSyncPeriod})
  --ipvs-exclude-cidrs CIDRs     our virtual servers in these CIDRs are never deleted (others' never are)
  --ipvs-strict-arp              arp_ignore=1, arp_announce=2 on all interfaces
  --ipvs-tcp-timeout DURATION    IPVS timeout for idle TCP connections (0: keep the kernel's)
  --ipvs-tcpfin-timeout DURATION IPVS timeout for TCP connections after FIN (0: keep the kernel's)
  --ipvs-udp-timeout DURATION    IPVS timeout for UDP packets (0: keep the kernel's)
  --nodeport-addresses CIDRs     NodePorts listen on local addresses in these CIDRs, or "primary"
                                 (default: every local address but kube-ipvs0's, loopback, IPv6 link-local)
  --healthz-bind-address H:P     /healthz and /livez ("" disables; default ${DEFAULTS.healthzBindAddress})
  --metrics-bind-address H:P     /metrics ("" disables; default ${DEFAULTS.metricsBindAddress})
  --cleanup                      remove everything ipvs-proxier programmed, then exit
  -v, --v N                      log verbosity (0 info, 2 sync summaries, 4 kernel operations)
  --help                         this text
`;

export function parseProxierFlags(argv: readonly string[], defaultHostname: () => string = hostname): ParsedCommandLine {
  const args = normalizeArgs(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }])),
        ...Object.fromEntries(BOOLEAN_FLAGS.map((f) => [f, { type: 'boolean' as const }])),
        v: { type: 'string', short: 'v' },
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
    throw new FlagError(flag, `${message.replace(/\.$/, '')}; see --help`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const positionals = parsed.positionals[0] === 'run' ? parsed.positionals.slice(1) : parsed.positionals;
  if (positionals.length > 0) throw new FlagError(positionals[0]!, `unexpected argument "${positionals[0]}"; see --help`);
  if (v['help']) return { kind: 'help', text: USAGE };

  const str = (name: string): string | undefined => v[name] as string | undefined;
  const bool = (name: string): boolean => v[name] === true;

  const syncPeriodMs = duration('--ipvs-sync-period', str('ipvs-sync-period') ?? DEFAULTS.syncPeriod);
  if (syncPeriodMs <= 0) throw new FlagError('--ipvs-sync-period', `--ipvs-sync-period must be greater than 0 (got ${str('ipvs-sync-period')})`);
  const minSyncPeriodMs = duration('--ipvs-min-sync-period', str('ipvs-min-sync-period') ?? DEFAULTS.minSyncPeriod);
  if (minSyncPeriodMs > syncPeriodMs) {
    throw new FlagError(
      '--ipvs-min-sync-period',
      `--ipvs-min-sync-period (${formatDuration(minSyncPeriodMs)}) must not exceed --ipvs-sync-period (${formatDuration(syncPeriodMs)})`,
    );
  }

  const scheduler = str('ipvs-scheduler') || DEFAULTS.scheduler;
  if (!isKnownScheduler(scheduler)) {
    throw new FlagError('--ipvs-scheduler', `--ipvs-scheduler "${scheduler}" is not an IPVS scheduler (one of ${KNOWN_SCHEDULERS.join(', ')})`);
  }

  const verbosityText = str('v') ?? '0';
  if (!/^\d+$/.test(verbosityText)) throw new FlagError('-v', `-v must be a non-negative integer (got "${verbosityText}")`);

  const host = (str('hostname-override') ?? '').trim() || defaultHostname();
  // kube-proxy lowercases the name (Node names are DNS-1123 subdomains).
  const nodeName = host.trim().toLowerCase();
  if (nodeName === '') throw new FlagError('--hostname-override', '--hostname-override is empty and the host has no name');

  const flags: ProxierFlags = {
    hostname: nodeName,
    clusterCIDRs: clusterCidrs(str('cluster-cidr')),
    masqueradeAll: bool('masquerade-all'),
    scheduler,
    syncPeriodMs,
    minSyncPeriodMs,
    excludeCIDRs: cidrList('--ipvs-exclude-cidrs', str('ipvs-exclude-cidrs')).map((c) => c.text),
    strictARP: bool('ipvs-strict-arp'),
    tcpTimeoutMs: nonNegativeDuration('--ipvs-tcp-timeout', str('ipvs-tcp-timeout')),
    tcpFinTimeoutMs: nonNegativeDuration('--ipvs-tcpfin-timeout', str('ipvs-tcpfin-timeout')),
    udpTimeoutMs: nonNegativeDuration('--ipvs-udp-timeout', str('ipvs-udp-timeout')),
    nodePortAddresses: nodePortAddresses(str('nodeport-addresses')),
    cleanup: bool('cleanup'),
    verbosity: Number(verbosityText),
  };
  const kubeconfig = str('kubeconfig');
  if (kubeconfig) flags.kubeconfig = kubeconfig;
  const master = str('master');
  if (master) flags.master = masterUrl(master);
  const healthz = bindAddress('--healthz-bind-address', str('healthz-bind-address') ?? DEFAULTS.healthzBindAddress);
  if (healthz) flags.healthzBindAddress = healthz;
  const metrics = bindAddress('--metrics-bind-address', str('metrics-bind-address') ?? DEFAULTS.metricsBindAddress);
  if (metrics) flags.metricsBindAddress = metrics;
  return { kind: 'run', flags };
}

/**
 * Rewrites pflag forms node:util's parseArgs does not know: `--bool=true|false`, `-v=N`. A `--bool=false`
 * is dropped (every boolean defaults to false); any other value for a boolean flag is an error here.
 */
function normalizeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const bool = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (bool && (BOOLEAN_FLAGS as readonly string[]).includes(bool[1]!)) {
      const value = bool[2]!.toLowerCase();
      if (value === 'true' || value === '1' || value === 't') out.push(`--${bool[1]}`);
      else if (value !== 'false' && value !== '0' && value !== 'f') {
        throw new FlagError(`--${bool[1]}`, `--${bool[1]} takes true or false (got "${bool[2]}")`);
      }
      continue;
    }
    const short = /^-v=(.*)$/.exec(arg);
    out.push(...(short ? ['-v', short[1]!] : [arg]));
  }
  return out;
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text.trim());
  } catch (err) {
    throw new FlagError(flag, `${flag}: ${(err as Error).message} (Go syntax: 30s, 1m, 500ms, 1h30m)`);
  }
}

function nonNegativeDuration(flag: string, text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 0;
  const ms = duration(flag, text);
  if (ms < 0) throw new FlagError(flag, `${flag} must not be negative (got ${text})`);
  return ms;
}

function cidrList(flag: string, text: string | undefined): ParsedCidr[] {
  if (text === undefined) return [];
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return items.map((item) => {
    const cidr = parseCidr(item);
    if (!cidr) throw new FlagError(flag, `${flag}: "${item}" is not a CIDR (e.g. 10.244.0.0/16 or fd00::/64)`);
    return cidr;
  });
}

/** kube-proxy allows one cluster CIDR, or a dual-stack pair (one per family). */
function clusterCidrs(text: string | undefined): string[] {
  const cidrs = cidrList('--cluster-cidr', text);
  if (cidrs.length > 2 || (cidrs.length === 2 && cidrs[0]!.family === cidrs[1]!.family)) {
    throw new FlagError('--cluster-cidr', `--cluster-cidr takes one CIDR or one IPv4 and one IPv6 CIDR (got "${text}")`);
  }
  return cidrs.map((c) => c.text);
}

function nodePortAddresses(text: string | undefined): string[] {
  if (text === undefined) return [];
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.includes('primary')) {
    if (items.length > 1) throw new FlagError('--nodeport-addresses', '--nodeport-addresses: "primary" cannot be combined with CIDRs');
    return ['primary'];
  }
  return cidrList('--nodeport-addresses', text).map((c) => c.text);
}

function bindAddress(flag: string, text: string): BindAddress | undefined {
  if (text.trim() === '') return undefined;
  try {
    return parseBindAddress(text.trim());
  } catch (err) {
    throw new FlagError(flag, `${flag}: ${(err as Error).message} (e.g. 0.0.0.0:10256, [::]:10256; "" disables)`);
  }
}

/** kube-proxy accepts a bare host:port for --master; client-node wants a URL. */
function masterUrl(text: string): string {
  const t = text.trim();
  const url = /^[a-z]+:\/\//i.test(t) ? t : `https://${t}`;
  try {
    new URL(url);
  } catch {
    throw new FlagError('--master', `--master: "${text}" is not a URL (e.g. https://10.0.0.10:6443)`);
  }
  return url.replace(/\/+$/, '');
}
