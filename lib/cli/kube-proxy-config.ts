// kube-proxy's configuration file (`kube-proxy --config`, the `config.conf` key of kubeadm's kube-proxy
// ConfigMap): a KubeProxyConfiguration of kubeproxy.config.k8s.io/v1alpha1, YAML or JSON, read into the
// proxier's settings. Pure: text in, settings and warnings out, or a KubeProxyConfigError naming the field.
//
// Field names, types and defaults are v1alpha1's (k8s.io/kube-proxy/config/v1alpha1 types.go, kube-proxy's
// defaults.go and validation.go). Every field falls in one of four groups:
// - honoured: mode, clientConnection.kubeconfig, hostnameOverride, bindAddress (as the family of the
//   default server addresses), healthzBindAddress, metricsBindAddress, clusterCIDR, detectLocalMode
//   (ClusterCIDR), nodePortAddresses, iptables.masqueradeAll, iptables.masqueradeBit (14), ipvs.*,
//   logging.verbosity;
// - not applicable to a proxy in IPVS mode, read for their type and ignored (kube-proxy ignores them in
//   IPVS mode too, or they tune machinery we do not have): iptables.syncPeriod/minSyncPeriod/
//   localhostNodePorts, nftables.*, winkernel.*, windowsRunAsService, detectLocal.*, portRange,
//   configSyncPeriod, bindAddressHardFail (a bind failure is always fatal here), clientConnection
//   .contentType/acceptContentTypes, logging.format/flushFrequency/options;
// - unsupported: kube-proxy would act on the value and we do not. Each is a warning naming the field and
//   its value, and only when the value would make kube-proxy do something (set, non-zero, non-default):
//   conntrack.* (kube-proxy's sysctls), oomScoreAdj, featureGates.*, enableProfiling,
//   showHiddenMetricsForVersion, bindAddress (a node IP override), clientConnection.qps/burst,
//   iptables.snatNodeInternalIP, logging.vmodule; and the fields kube-proxy itself removed
//   (udpIdleTimeout, resourceContainer, conntrack.max);
// - refused, an error: a value kube-proxy would refuse, a mode other than ipvs, a detectLocalMode other
//   than ClusterCIDR, an iptables.masqueradeBit other than 14 (masquerading would silently differ).
// A key that is none of these is a warning naming its path (a typo such as `ipvs.schedular` is then in the
// log at start): kube-proxy's strict decoding reports it too and then retries v1alpha1 leniently, and a
// field that a newer Kubernetes adds to the ConfigMap must not stop the proxier on every node.
// YAML is read as YAML 1.1, as Kubernetes' YAML decoder does (`strictARP: yes` is true); duplicate keys
// are errors (kube-proxy's strict decoding refuses them too).
import { parseAllDocuments } from 'yaml';
import { parseIp } from '../proxier/addresses.js';
import { formatDuration } from './duration.js';
import {
  bindAddress, clusterCidrs, cidrList, durationMs, InvalidValue, ipvsScheduler, nodePortAddresses, splitList,
  type BindAddress,
} from './flag-values.js';
import type { ProxierFlags } from './flags.js';

export const API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';
export const KIND = 'KubeProxyConfiguration';

/** What the file sets: only the settings it gives a value (defaults stay the command line's). */
export interface KubeProxyConfigSettings {
  flags: Partial<ProxierFlags>;
  /** Unsupported or ignored-but-meaningful fields, each naming its path: "conntrack.maxPerCore (32768) ...". */
  warnings: string[];
}

/** The file is not a configuration we run with; `field` is the path ("ipvs.syncPeriod", "nodePortAddresses[1]"). */
export class KubeProxyConfigError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(field === '' ? problem : `${field}: ${problem}`);
    this.name = 'KubeProxyConfigError';
  }
}

// ---- the schema: every v1alpha1 field, by JSON name, with its type ----------------------------------

type Leaf = 'string' | 'bool' | 'int' | 'number' | 'duration' | 'strings' | 'boolMap' | 'opaque' | 'removed';
interface Section {
  [key: string]: Leaf | Section;
}

const SCHEMA: Section = {
  apiVersion: 'string',
  kind: 'string',
  featureGates: 'boolMap',
  clientConnection: { kubeconfig: 'string', acceptContentTypes: 'string', contentType: 'string', qps: 'number', burst: 'int' },
  // component-base's LoggingConfiguration; its options grow with every release and none apply here.
  logging: { format: 'string', flushFrequency: 'opaque', verbosity: 'int', vmodule: 'opaque', options: 'opaque' },
  hostnameOverride: 'string',
  bindAddress: 'string',
  healthzBindAddress: 'string',
  metricsBindAddress: 'string',
  bindAddressHardFail: 'bool',
  enableProfiling: 'bool',
  showHiddenMetricsForVersion: 'string',
  mode: 'string',
  iptables: {
    masqueradeBit: 'int', masqueradeAll: 'bool', localhostNodePorts: 'bool', snatNodeInternalIP: 'bool',
    syncPeriod: 'duration', minSyncPeriod: 'duration',
  },
  ipvs: {
    syncPeriod: 'duration', minSyncPeriod: 'duration', scheduler: 'string', excludeCIDRs: 'strings', strictARP: 'bool',
    tcpTimeout: 'duration', tcpFinTimeout: 'duration', udpTimeout: 'duration',
  },
  nftables: { masqueradeBit: 'int', masqueradeAll: 'bool', syncPeriod: 'duration', minSyncPeriod: 'duration' },
  winkernel: { networkName: 'string', sourceVip: 'string', enableDSR: 'bool', rootHnsEndpointName: 'string', forwardHealthCheckVip: 'bool' },
  detectLocalMode: 'string',
  detectLocal: { bridgeInterface: 'string', interfaceNamePrefix: 'string' },
  clusterCIDR: 'string',
  nodePortAddresses: 'strings',
  oomScoreAdj: 'int',
  conntrack: {
    maxPerCore: 'int', min: 'int', tcpEstablishedTimeout: 'duration', tcpCloseWaitTimeout: 'duration', tcpBeLiberal: 'bool',
    udpTimeout: 'duration', udpStreamTimeout: 'duration',
    max: 'removed',
  },
  configSyncPeriod: 'duration',
  portRange: 'string',
  windowsRunAsService: 'bool',
  // Removed from v1alpha1 (userspace mode, resource containers) but still found in ConfigMaps kubeadm
  // wrote for older clusters.
  udpIdleTimeout: 'removed',
  resourceContainer: 'removed',
};

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** The file after type checks: nulls dropped (Go leaves the zero value), durations in ms. */
type Checked = Map<string, unknown>;

function checkSection(raw: unknown, schema: Section, path: string, out: Checked, removed: string[], unknown: string[]): void {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new KubeProxyConfigError(path, `must be a mapping (got ${describe(raw)})`);
  for (const [key, value] of Object.entries(raw)) {
    const at = path === '' ? key : `${path}.${key}`;
    const type = schema[key];
    // A key we do not know is a warning, not an error: kube-proxy itself falls back to lenient decoding
    // for v1alpha1, and a field a newer Kubernetes adds to the ConfigMap must not stop every node's proxier.
    // (Its value is not checked: we do not know its type.)
    if (type === undefined) {
      unknown.push(`${at} is not a ${KIND} field ipvs-proxier knows and is ignored (a typo? known here: ${Object.keys(schema).filter((k) => schema[k] !== 'removed').join(', ')})`);
      continue;
    }
    if (value === null) continue;
    if (type === 'removed') {
      removed.push(at);
      continue;
    }
    if (typeof type === 'object') checkSection(value, type, at, out, removed, unknown);
    else out.set(at, checkLeaf(value, type, at));
  }
}

function checkLeaf(value: unknown, type: Leaf, at: string): unknown {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw new KubeProxyConfigError(at, `must be a string (got ${describe(value)})`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new KubeProxyConfigError(at, `must be true or false (got ${describe(value)})`);
      return value;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < INT32.min || value > INT32.max) {
        throw new KubeProxyConfigError(at, `must be an integer (got ${describe(value)})`);
      }
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new KubeProxyConfigError(at, `must be a number (got ${describe(value)})`);
      return value;
    case 'duration':
      // metav1.Duration: a string only ("30s", "1m0s"); a bare number is refused by kube-proxy's decoder too.
      if (typeof value !== 'string') throw new KubeProxyConfigError(at, `must be a duration string such as "30s" or "1m0s" (got ${describe(value)})`);
      return valueAt(at, () => durationMs(value));
    case 'strings':
      if (!Array.isArray(value)) throw new KubeProxyConfigError(at, `must be a list of strings (got ${describe(value)})`);
      value.forEach((v, i) => {
        if (typeof v !== 'string') throw new KubeProxyConfigError(`${at}[${i}]`, `must be a string (got ${describe(v)})`);
      });
      return value;
    case 'boolMap':
      if (typeof value !== 'object' || Array.isArray(value)) throw new KubeProxyConfigError(at, `must be a mapping of names to true/false (got ${describe(value)})`);
      for (const [k, v] of Object.entries(value as object)) {
        if (typeof v !== 'boolean') throw new KubeProxyConfigError(`${at}.${k}`, `must be true or false (got ${describe(v)})`);
      }
      return value;
    case 'opaque':
    case 'removed':
      return value;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return `a date (${value.toISOString().slice(0, 10)})`;
  if (typeof value === 'object' && value !== null) return 'a mapping';
  return JSON.stringify(value) ?? String(value);
}

function valueAt<T>(at: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InvalidValue) throw new KubeProxyConfigError(at, err.message);
    throw err;
  }
}

// ---- reading ----------------------------------------------------------------------------------------

/** The YAML (or JSON) text of one KubeProxyConfiguration to the settings it gives. */
export function parseKubeProxyConfig(text: string): KubeProxyConfigSettings {
  const docs = parseAllDocuments(text, { version: '1.1' });
  if (!Array.isArray(docs)) throw new KubeProxyConfigError('', 'not YAML or JSON: no document');
  const nonEmpty = docs.filter((d) => d.contents !== null || d.errors.length > 0);
  if (nonEmpty.length === 0) throw new KubeProxyConfigError('', `the file is empty (want a ${KIND})`);
  if (nonEmpty.length > 1) throw new KubeProxyConfigError('', `holds ${nonEmpty.length} YAML documents (want one ${KIND})`);
  const doc = nonEmpty[0]!;
  if (doc.errors.length > 0) throw new KubeProxyConfigError('', `not valid YAML or JSON: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}`);
  const raw: unknown = doc.toJS();

  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new KubeProxyConfigError('', `must be a ${KIND} mapping (got ${describe(raw)})`);
  // apiVersion and kind first: a file of another kind is "not this", before any of its keys is "unknown".
  const typeMeta = raw as { apiVersion?: unknown; kind?: unknown };
  if (typeMeta.apiVersion !== API_VERSION) {
    throw new KubeProxyConfigError('apiVersion', typeMeta.apiVersion === undefined ? `missing (want ${API_VERSION})` : `${describe(typeMeta.apiVersion)} is not supported (want ${API_VERSION})`);
  }
  if (typeMeta.kind !== KIND) {
    throw new KubeProxyConfigError('kind', typeMeta.kind === undefined ? `missing (want ${KIND})` : `${describe(typeMeta.kind)} is not supported (want ${KIND})`);
  }

  const fields: Checked = new Map();
  const removed: string[] = [];
  const unknown: string[] = [];
  checkSection(raw, SCHEMA, '', fields, removed, unknown);
  const settings = interpret(fields, removed);
  return { ...settings, warnings: [...unknown, ...settings.warnings] };
}

function interpret(fields: Checked, removed: string[]): KubeProxyConfigSettings {
  const str = (p: string): string | undefined => fields.get(p) as string | undefined;
  const bool = (p: string): boolean | undefined => fields.get(p) as boolean | undefined;
  const int = (p: string): number | undefined => fields.get(p) as number | undefined;
  const ms = (p: string): number | undefined => fields.get(p) as number | undefined;
  const list = (p: string): string[] | undefined => fields.get(p) as string[] | undefined;
  const flags: Partial<ProxierFlags> = {};
  const warnings: string[] = [];
  const unsupported = (field: string, value: unknown, why: string): void => {
    warnings.push(`${field} (${typeof value === 'string' ? value : JSON.stringify(value)}) is not supported and is ignored: ${why}`);
  };

  // mode
  const mode = str('mode') ?? '';
  if (mode === '') {
    warnings.push('mode is empty (kube-proxy would run its default, iptables); ipvs-proxier runs IPVS and reads the ipvs section');
  } else if (mode !== 'ipvs') {
    throw new KubeProxyConfigError('mode', `"${mode}" is not supported: ipvs-proxier does what kube-proxy's IPVS mode does (set mode: ipvs, or leave it empty)`);
  }

  // The API server.
  const kubeconfig = str('clientConnection.kubeconfig');
  if (kubeconfig) flags.kubeconfig = kubeconfig;
  const qps = fields.get('clientConnection.qps') as number | undefined;
  if (qps !== undefined && qps !== 0 && qps !== 5) unsupported('clientConnection.qps', qps, "ipvs-proxier's API client is not rate-limited (one list and one watch per resource)");
  const burst = int('clientConnection.burst');
  if (burst !== undefined && burst < 0) throw new KubeProxyConfigError('clientConnection.burst', `must be greater than or equal to 0 (got ${burst})`);
  if (burst !== undefined && burst !== 0 && burst !== 10) unsupported('clientConnection.burst', burst, "ipvs-proxier's API client is not rate-limited (one list and one watch per resource)");

  // This node.
  const hostnameOverride = (str('hostnameOverride') ?? '').trim();
  if (hostnameOverride !== '') flags.hostname = hostnameOverride.toLowerCase();
  const bindText = (str('bindAddress') ?? '').trim();
  const bindIp = bindText === '' ? undefined : parseIp(bindText);
  if (bindText !== '' && !bindIp) throw new KubeProxyConfigError('bindAddress', `"${bindText}" is not an IP address`);
  if (bindIp && bindIp.ip !== '0.0.0.0' && bindIp.ip !== '::') {
    unsupported('bindAddress', bindText, "kube-proxy's override of the node IP; ipvs-proxier takes the node IPs from the Node's InternalIPs");
  }
  // kube-proxy's default server addresses follow bindAddress's family.
  const v6 = bindIp?.family === 'inet6';
  const healthz = serverAddress('healthzBindAddress', str('healthzBindAddress'), 10256, v6 ? '::' : undefined);
  if (healthz) flags.healthzBindAddress = healthz;
  const metrics = serverAddress('metricsBindAddress', str('metricsBindAddress'), 10249, v6 ? '::1' : undefined);
  if (metrics) flags.metricsBindAddress = metrics;

  // Which traffic is local, masquerading.
  const detectLocalMode = str('detectLocalMode') ?? '';
  if (!['', 'ClusterCIDR'].includes(detectLocalMode)) {
    const known = ['NodeCIDR', 'BridgeInterface', 'InterfaceNamePrefix'].includes(detectLocalMode);
    throw new KubeProxyConfigError(
      'detectLocalMode',
      known
        ? `"${detectLocalMode}" is not supported: ipvs-proxier tells pod traffic by clusterCIDR only (detectLocalMode: ClusterCIDR)`
        : `"${detectLocalMode}" is not a detectLocalMode (ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix)`,
    );
  }
  const clusterCIDR = str('clusterCIDR');
  if (clusterCIDR !== undefined && clusterCIDR.trim() !== '') flags.clusterCIDRs = valueAt('clusterCIDR', () => clusterCidrs(splitList(clusterCIDR)));
  const masqueradeAll = bool('iptables.masqueradeAll');
  if (masqueradeAll !== undefined) flags.masqueradeAll = masqueradeAll;
  const masqueradeBit = int('iptables.masqueradeBit');
  if (masqueradeBit !== undefined && (masqueradeBit < 0 || masqueradeBit > 31)) {
    throw new KubeProxyConfigError('iptables.masqueradeBit', `must be within the range [0, 31] (got ${masqueradeBit})`);
  }
  if (masqueradeBit !== undefined && masqueradeBit !== 14) {
    throw new KubeProxyConfigError(
      'iptables.masqueradeBit',
      `${masqueradeBit} is not supported: ipvs-proxier marks packets to masquerade with bit 14 (0x4000), kube-proxy's default; another bit would collide with whatever made you move it`,
    );
  }
  if (bool('iptables.snatNodeInternalIP')) unsupported('iptables.snatNodeInternalIP', true, 'masqueraded traffic leaves with the address of its egress interface');

  // IPVS.
  const syncPeriod = ms('ipvs.syncPeriod');
  if (syncPeriod !== undefined && syncPeriod < 0) throw new KubeProxyConfigError('ipvs.syncPeriod', `must be greater than 0 (got ${formatDuration(syncPeriod)})`);
  // 0 is "unset": kube-proxy's defaulting gives 30s.
  if (syncPeriod) flags.syncPeriodMs = syncPeriod;
  const minSyncPeriod = ms('ipvs.minSyncPeriod');
  if (minSyncPeriod !== undefined) {
    if (minSyncPeriod < 0) throw new KubeProxyConfigError('ipvs.minSyncPeriod', `must be greater than or equal to 0 (got ${formatDuration(minSyncPeriod)})`);
    const effectiveSync = syncPeriod || 30_000;
    if (minSyncPeriod > effectiveSync) {
      throw new KubeProxyConfigError('ipvs.minSyncPeriod', `${formatDuration(minSyncPeriod)} must not exceed ipvs.syncPeriod (${formatDuration(effectiveSync)})`);
    }
    flags.minSyncPeriodMs = minSyncPeriod;
  }
  const scheduler = str('ipvs.scheduler') ?? '';
  if (scheduler !== '') flags.scheduler = valueAt('ipvs.scheduler', () => ipvsScheduler(scheduler));
  const excludeCIDRs = list('ipvs.excludeCIDRs');
  if (excludeCIDRs !== undefined) flags.excludeCIDRs = excludeCIDRs.map((c, i) => valueAt(`ipvs.excludeCIDRs[${i}]`, () => cidrList([c])[0]!.text));
  const strictARP = bool('ipvs.strictARP');
  if (strictARP !== undefined) flags.strictARP = strictARP;
  for (const [field, key] of [['tcpTimeout', 'tcpTimeoutMs'], ['tcpFinTimeout', 'tcpFinTimeoutMs'], ['udpTimeout', 'udpTimeoutMs']] as const) {
    const value = ms(`ipvs.${field}`);
    if (value === undefined) continue;
    if (value < 0) throw new KubeProxyConfigError(`ipvs.${field}`, `must be greater than or equal to 0 (got ${formatDuration(value)})`);
    flags[key] = value;
  }

  // NodePorts.
  const nodePorts = list('nodePortAddresses');
  if (nodePorts !== undefined && nodePorts.length > 0) {
    nodePorts.forEach((item, i) => {
      if (item === 'all' || item === 'localhost') {
        throw new KubeProxyConfigError(
          `nodePortAddresses[${i}]`,
          `"${item}" is not supported (${item === 'all' ? 'leave nodePortAddresses empty for every local address' : 'IPVS mode never serves NodePorts on loopback'})`,
        );
      }
      if (item === 'primary' && nodePorts.length > 1) throw new KubeProxyConfigError(`nodePortAddresses[${i}]`, '"primary" cannot be combined with CIDRs');
      if (item !== 'primary') valueAt(`nodePortAddresses[${i}]`, () => cidrList([item]));
    });
    flags.nodePortAddresses = nodePortAddresses(nodePorts);
  }

  // Logging.
  const verbosity = int('logging.verbosity');
  if (verbosity !== undefined) {
    if (verbosity < 0) throw new KubeProxyConfigError('logging.verbosity', `must not be negative (got ${verbosity})`);
    flags.verbosity = verbosity;
  }
  const vmodule = fields.get('logging.vmodule');
  if (vmodule !== undefined && !(Array.isArray(vmodule) && vmodule.length === 0)) {
    unsupported('logging.vmodule', vmodule, 'one verbosity for the whole process (logging.verbosity, -v)');
  }

  // What kube-proxy would do and we do not.
  for (const [gate, on] of Object.entries((fields.get('featureGates') as Record<string, boolean> | undefined) ?? {})) {
    unsupported(`featureGates.${gate}`, on, 'ipvs-proxier has no feature gates');
  }
  if (bool('enableProfiling')) unsupported('enableProfiling', true, 'no /debug/pprof handlers are served');
  const hidden = str('showHiddenMetricsForVersion');
  if (hidden) unsupported('showHiddenMetricsForVersion', hidden, 'ipvs-proxier has no hidden metrics');
  const oomScoreAdj = int('oomScoreAdj');
  if (oomScoreAdj !== undefined) {
    if (oomScoreAdj < -1000 || oomScoreAdj > 1000) throw new KubeProxyConfigError('oomScoreAdj', `must be within the range [-1000, 1000] (got ${oomScoreAdj})`);
    unsupported('oomScoreAdj', oomScoreAdj, 'ipvs-proxier does not change its OOM score (the chart runs it as a system-node-critical pod)');
  }
  conntrackWarnings(fields, unsupported);
  for (const field of removed) warnings.push(`${field} was removed from kube-proxy's configuration and is ignored`);

  return { flags, warnings };
}

/** kube-proxy writes these through sysctls at start (nf_conntrack_max, nf_conntrack_tcp_timeout_*, ...); we do not. */
function conntrackWarnings(fields: Checked, unsupported: (field: string, value: unknown, why: string) => void): void {
  for (const field of ['maxPerCore', 'min'] as const) {
    const value = fields.get(`conntrack.${field}`) as number | undefined;
    if (value === undefined) continue;
    if (value < 0) throw new KubeProxyConfigError(`conntrack.${field}`, `must be greater than or equal to 0 (got ${value})`);
    if (value > 0) unsupported(`conntrack.${field}`, value, 'ipvs-proxier does not set nf_conntrack_max (set it on the node)');
  }
  const sysctlOf = {
    tcpEstablishedTimeout: 'nf_conntrack_tcp_timeout_established',
    tcpCloseWaitTimeout: 'nf_conntrack_tcp_timeout_close_wait',
    udpTimeout: 'nf_conntrack_udp_timeout',
    udpStreamTimeout: 'nf_conntrack_udp_timeout_stream',
  } as const;
  for (const [field, sysctl] of Object.entries(sysctlOf)) {
    const value = fields.get(`conntrack.${field}`) as number | undefined;
    if (value === undefined) continue;
    if (value < 0) throw new KubeProxyConfigError(`conntrack.${field}`, `must be greater than or equal to 0 (got ${formatDuration(value)})`);
    if (value > 0) unsupported(`conntrack.${field}`, formatDuration(value), `ipvs-proxier does not set ${sysctl} (set it on the node)`);
  }
  if (fields.get('conntrack.tcpBeLiberal') === true) unsupported('conntrack.tcpBeLiberal', true, 'ipvs-proxier does not set nf_conntrack_tcp_be_liberal (set it on the node)');
}

/**
 * healthzBindAddress / metricsBindAddress as kube-proxy reads them: "" is the default (never "disabled",
 * unlike the flags), a bare IP gets the default port, and the host must be an IP.
 */
function serverAddress(field: string, text: string | undefined, defaultPort: number, defaultHost: string | undefined): BindAddress | undefined {
  const t = (text ?? '').trim();
  if (t === '') return defaultHost === undefined ? undefined : { host: defaultHost, port: defaultPort };
  const bareIp = parseIp(t.replace(/^\[(.*)\]$/, '$1'));
  const address = bareIp ? { host: bareIp.ip, port: defaultPort } : valueAt(field, () => bindAddress(t));
  if (!parseIp(address.host)) throw new KubeProxyConfigError(field, `"${t}": the host must be an IP address (e.g. 0.0.0.0:${defaultPort}, [::]:${defaultPort})`);
  if (address.port < 1) throw new KubeProxyConfigError(field, `"${t}": the port must be 1-65535`);
  return address;
}
