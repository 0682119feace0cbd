// The proxier's command line, with kube-proxy's flag names and defaults (cmd/kube-proxy/app/options.go) so
// a DaemonSet written for kube-proxy --proxy-mode=ipvs carries over. Accepted forms, as Go's pflag accepts
// them: `--flag=value`, `--flag value`, bare booleans (`--masquerade-all`) and `--flag=true|false`,
// `-v N`, `-v=N`, `-vN`, `--v=N`. Every error names the flag it is about.
//
// --config FILE reads kube-proxy's KubeProxyConfiguration (kube-proxy-config.ts). Each setting then comes
// from the command line if the flag was given there, else from the file if it sets it, else from the
// default. That differs from kube-proxy, which ignores most flags once --config is given: here a flag
// given next to the file is never silently dropped, and the run logs which flags replaced file values.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_SCHEDULER, KNOWN_SCHEDULERS } from '../proxier/scheduling.js';
import { formatDuration } from './duration.js';
import {
  bindAddress, clusterCidrs, cidrList, durationMs, InvalidValue, ipvsScheduler, nodePortAddresses, nonNegativeDurationMs, splitList,
  type BindAddress,
} from './flag-values.js';
import { KubeProxyConfigError, parseKubeProxyConfig, type KubeProxyConfigSettings } from './kube-proxy-config.js';

export type { BindAddress } from './flag-values.js';

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

/** What --config contributed, for the log. */
export interface ConfigFileReport {
  file: string;
  /** The file's unsupported fields, each naming its path. */
  warnings: string[];
  /** Flags given on the command line that replaced a value the file sets ("--ipvs-scheduler"). */
  overriddenBy: string[];
}

export type ParsedCommandLine = { kind: 'run'; flags: ProxierFlags; config?: ConfigFileReport } | { kind: 'help'; text: string };

/**
 * A bad command line: `flag` is the flag as the user wrote it ("--ipvs-sync-period"); for a bad --config
 * file it is "--config" and `field` is the path in the file ("ipvs.syncPeriod").
 */
export class FlagError extends Error {
  constructor(
    readonly flag: string,
    message: string,
    readonly field?: string,
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
  'config', 'kubeconfig', 'master', 'hostname-override', 'cluster-cidr', 'ipvs-scheduler', 'ipvs-sync-period',
  'ipvs-min-sync-period', 'ipvs-exclude-cidrs', 'ipvs-tcp-timeout', 'ipvs-tcpfin-timeout', 'ipvs-udp-timeout',
  'nodeport-addresses', 'healthz-bind-address', 'metrics-bind-address',
] as const;
const BOOLEAN_FLAGS = ['masquerade-all', 'ipvs-strict-arp', 'cleanup', 'help'] as const;

/** The flag behind each setting a --config file can also give (for "overridden by" and error labels). */
const FLAG_OF: { [K in keyof ProxierFlags]-?: string } = {
  kubeconfig: '--kubeconfig',
  master: '--master',
  hostname: '--hostname-override',
  clusterCIDRs: '--cluster-cidr',
  masqueradeAll: '--masquerade-all',
  scheduler: '--ipvs-scheduler',
  syncPeriodMs: '--ipvs-sync-period',
  minSyncPeriodMs: '--ipvs-min-sync-period',
  excludeCIDRs: '--ipvs-exclude-cidrs',
  strictARP: '--ipvs-strict-arp',
  tcpTimeoutMs: '--ipvs-tcp-timeout',
  tcpFinTimeoutMs: '--ipvs-tcpfin-timeout',
  udpTimeoutMs: '--ipvs-udp-timeout',
  nodePortAddresses: '--nodeport-addresses',
  healthzBindAddress: '--healthz-bind-address',
  metricsBindAddress: '--metrics-bind-address',
  cleanup: '--cleanup',
  verbosity: '-v',
};

export const USAGE = `Usage: ipvs-proxier [run] [flags]

Programs this node's IPVS virtual servers, ipsets, iptables rules and kube-ipvs0 addresses from the
cluster's Services and EndpointSlices, as kube-proxy --proxy-mode=ipvs does.

Flags (kube-proxy's names):
  --config FILE                  kube-proxy's KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1,
                                 YAML or JSON; kubeadm's config.conf); flags given here win over it
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

/** Reads --config's file; replaceable in tests. */
export type ConfigFileReader = (path: string) => string;

export function parseProxierFlags(
  argv: readonly string[],
  defaultHostname: () => string = hostname,
  readConfigFile: ConfigFileReader = (path) => readFileSync(path, 'utf8'),
): ParsedCommandLine {
  const args = normalizeArgs(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      // Only for the `--bool=false` forms normalizeArgs rewrites: an explicit false must be seen as given,
      // so that it wins over a --config file's true.
      allowNegative: true,
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

  const given = settingsFromFlags(v);
  const configPath = ((v['config'] as string | undefined) ?? '').trim();
  const file = configPath === '' ? undefined : readConfig(configPath, readConfigFile);
  const fromFile: Partial<ProxierFlags> = file?.flags ?? {};
  /** The command line's value if the flag was given, else the file's, else the default. */
  const pick = <K extends keyof ProxierFlags>(key: K, fallback: () => ProxierFlags[K]): ProxierFlags[K] => {
    if (key in given) return given[key] as ProxierFlags[K];
    if (key in fromFile) return fromFile[key] as ProxierFlags[K];
    return fallback();
  };

  const flags: ProxierFlags = {
    hostname: pick('hostname', () => {
      const name = defaultHostname().trim().toLowerCase();
      if (name === '') throw new FlagError('--hostname-override', '--hostname-override is empty and the host has no name');
      return name;
    }),
    clusterCIDRs: pick('clusterCIDRs', () => []),
    masqueradeAll: pick('masqueradeAll', () => false),
    scheduler: pick('scheduler', () => DEFAULTS.scheduler),
    syncPeriodMs: pick('syncPeriodMs', () => durationMs(DEFAULTS.syncPeriod)),
    minSyncPeriodMs: pick('minSyncPeriodMs', () => durationMs(DEFAULTS.minSyncPeriod)),
    excludeCIDRs: pick('excludeCIDRs', () => []),
    strictARP: pick('strictARP', () => false),
    tcpTimeoutMs: pick('tcpTimeoutMs', () => 0),
    tcpFinTimeoutMs: pick('tcpFinTimeoutMs', () => 0),
    udpTimeoutMs: pick('udpTimeoutMs', () => 0),
    nodePortAddresses: pick('nodePortAddresses', () => []),
    cleanup: v['cleanup'] === true,
    verbosity: pick('verbosity', () => 0),
  };
  const kubeconfig = pick('kubeconfig', () => undefined);
  if (kubeconfig) flags.kubeconfig = kubeconfig;
  if (given.master) flags.master = given.master;
  const healthz = pick('healthzBindAddress', () => bindAddress(DEFAULTS.healthzBindAddress));
  if (healthz) flags.healthzBindAddress = healthz;
  const metrics = pick('metricsBindAddress', () => bindAddress(DEFAULTS.metricsBindAddress));
  if (metrics) flags.metricsBindAddress = metrics;

  if (flags.minSyncPeriodMs > flags.syncPeriodMs) {
    // Both from the file was refused while reading it; here at least one is a flag or a default.
    const source = (key: 'minSyncPeriodMs' | 'syncPeriodMs', field: string): string =>
      !(key in given) && key in fromFile ? `${field} of --config ${configPath}` : FLAG_OF[key];
    const flag = 'minSyncPeriodMs' in given || !('syncPeriodMs' in given) ? FLAG_OF.minSyncPeriodMs : FLAG_OF.syncPeriodMs;
    throw new FlagError(
      flag,
      `${source('minSyncPeriodMs', 'ipvs.minSyncPeriod')} (${formatDuration(flags.minSyncPeriodMs)}) must not exceed ` +
        `${source('syncPeriodMs', 'ipvs.syncPeriod')} (${formatDuration(flags.syncPeriodMs)})`,
    );
  }

  if (!file) return { kind: 'run', flags };
  const overriddenBy = (Object.keys(given) as (keyof ProxierFlags)[]).filter((k) => k in fromFile).map((k) => FLAG_OF[k]);
  return { kind: 'run', flags, config: { file: configPath, warnings: file.warnings, overriddenBy } };
}

/** The settings of the flags given on the command line, each checked; a flag not given has no key. */
function settingsFromFlags(v: Record<string, string | boolean | undefined>): Partial<ProxierFlags> {
  const out: Partial<ProxierFlags> = {};
  const str = (name: string): string | undefined => v[name] as string | undefined;

  const sync = str('ipvs-sync-period');
  if (sync !== undefined) {
    const ms = at('--ipvs-sync-period', () => durationMs(sync));
    if (ms <= 0) throw new FlagError('--ipvs-sync-period', `--ipvs-sync-period must be greater than 0 (got ${sync})`);
    out.syncPeriodMs = ms;
  }
  const minSync = str('ipvs-min-sync-period');
  if (minSync !== undefined) out.minSyncPeriodMs = at('--ipvs-min-sync-period', () => nonNegativeDurationMs(minSync));
  const scheduler = str('ipvs-scheduler');
  // An empty --ipvs-scheduler is kube-proxy's "default" (rr), not a flag left out.
  if (scheduler !== undefined) out.scheduler = scheduler === '' ? DEFAULTS.scheduler : at('--ipvs-scheduler', () => ipvsScheduler(scheduler));

  const verbosity = str('v');
  if (verbosity !== undefined) {
    if (!/^\d+$/.test(verbosity)) throw new FlagError('-v', `-v must be a non-negative integer (got "${verbosity}")`);
    out.verbosity = Number(verbosity);
  }
  // kube-proxy lowercases the name (Node names are DNS-1123 subdomains); an empty one means "not given".
  const host = (str('hostname-override') ?? '').trim();
  if (host !== '') out.hostname = host.toLowerCase();

  const clusterCIDR = str('cluster-cidr');
  if (clusterCIDR !== undefined) out.clusterCIDRs = at('--cluster-cidr', () => clusterCidrs(splitList(clusterCIDR)));
  const exclude = str('ipvs-exclude-cidrs');
  if (exclude !== undefined) out.excludeCIDRs = at('--ipvs-exclude-cidrs', () => cidrList(splitList(exclude)).map((c) => c.text));
  const nodePorts = str('nodeport-addresses');
  if (nodePorts !== undefined) out.nodePortAddresses = at('--nodeport-addresses', () => nodePortAddresses(splitList(nodePorts)));
  for (const [flag, key] of [['ipvs-tcp-timeout', 'tcpTimeoutMs'], ['ipvs-tcpfin-timeout', 'tcpFinTimeoutMs'], ['ipvs-udp-timeout', 'udpTimeoutMs']] as const) {
    const text = str(flag);
    if (text !== undefined) out[key] = text.trim() === '' ? 0 : at(`--${flag}`, () => nonNegativeDurationMs(text));
  }
  for (const [flag, key] of [['masquerade-all', 'masqueradeAll'], ['ipvs-strict-arp', 'strictARP']] as const) {
    if (v[flag] !== undefined) out[key] = v[flag] === true;
  }

  const kubeconfig = str('kubeconfig');
  if (kubeconfig !== undefined) out.kubeconfig = kubeconfig;
  const master = str('master');
  if (master) out.master = masterUrl(master);
  // "" disables a server: the key is present with no value.
  for (const [flag, key] of [['healthz-bind-address', 'healthzBindAddress'], ['metrics-bind-address', 'metricsBindAddress']] as const) {
    const text = str(flag);
    if (text === undefined) continue;
    out[key] = text.trim() === '' ? undefined : at(`--${flag}`, () => bindAddress(text), '; "" disables');
  }
  return out;
}

/** Runs a value rule for a flag; its InvalidValue becomes a FlagError naming the flag. */
function at<T>(flag: string, check: () => T, hint = ''): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof InvalidValue) throw new FlagError(flag, `${flag}: ${err.message}${hint}`);
    throw err;
  }
}

function readConfig(path: string, read: ConfigFileReader): KubeProxyConfigSettings {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    throw new FlagError('--config', `--config ${path}: cannot read it: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseKubeProxyConfig(text);
  } catch (err) {
    if (err instanceof KubeProxyConfigError) throw new FlagError('--config', `--config ${path}: ${err.message}`, err.field);
    throw err;
  }
}

/**
 * Rewrites pflag forms node:util's parseArgs does not know: `--bool=true|false`, `-v=N`. `--bool=false`
 * becomes parseArgs' `--no-bool` (an explicit false); any other value for a boolean flag is an error here,
 * and so is a `--no-...` typed by the user (pflag has no such form).
 */
function normalizeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, arg] of argv.entries()) {
    // After "--" everything is a positional argument (and refused as one).
    if (arg === '--') return [...out, ...argv.slice(i)];
    if (arg.startsWith('--no-')) throw new FlagError(arg.replace(/=.*$/, ''), `Unknown option '${arg.replace(/=.*$/, '')}'; see --help`);
    const bool = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (bool && (BOOLEAN_FLAGS as readonly string[]).includes(bool[1]!)) {
      const value = bool[2]!.toLowerCase();
      if (value === 'true' || value === '1' || value === 't') out.push(`--${bool[1]}`);
      else if (value === 'false' || value === '0' || value === 'f') out.push(`--no-${bool[1]}`);
      else throw new FlagError(`--${bool[1]}`, `--${bool[1]} takes true or false (got "${bool[2]}")`);
      continue;
    }
    const short = /^-v=(.*)$/.exec(arg);
    out.push(...(short ? ['-v', short[1]!] : [arg]));
  }
  return out;
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
