// The command line the chart's DaemonSet gives the proxier, from `helm template` output, with what the
// kubelet would fill in ($(VAR) references, the node name from the downward API). Running the proxier with
// exactly these flags makes the alert checks exercise the sync period, metrics address and environment the
// chart really renders, not a copy of them. The process runs on the node itself, not in the container, so
// IPVS_PROXIER_PROC_SYS, which points at the container's mount of the node's /proc/sys/net, is left out:
// on the node the proxier's default, /proc/sys, is that same directory.
import { parseAllDocuments } from 'yaml';
import { PROC_SYS_ENV } from '../../lib/proxier/sysctls.js';
// The kubelet's $(VAR) expansion, shared with the pod suite's translation for podman.
import { expandEnvReferences } from '../pod/pod-manifests.js';

export interface ProxierCommand {
  command: string[];
  args: string[];
  /** The container's env (name -> value), after the downward API; without PROC_SYS_ENV (see the top). */
  env: Record<string, string>;
  /** --metrics-bind-address as rendered. */
  metricsBindAddress: string;
  /** --healthz-bind-address as rendered. */
  healthzBindAddress: string;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
}

/** The DaemonSet's first container, as the kubelet on node `nodeName` would start it. */
export function proxierCommandFromManifests(manifests: string, nodeName: string): ProxierCommand {
  const daemonSets = parseAllDocuments(manifests)
    .map((d) => d.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Container[] } } } } | null)
    .filter((o) => o?.kind === 'DaemonSet');
  if (daemonSets.length !== 1) throw new Error(`expected one DaemonSet in the rendered manifests, found ${daemonSets.length}`);
  const container = daemonSets[0]!.spec?.template?.spec?.containers?.[0];
  if (!container) throw new Error('the DaemonSet has no container');

  const env: Record<string, string> = {};
  // The same variables, as the expansion reads them (each sees those defined before it, as in Kubernetes).
  const values = new Map<string, string>();
  for (const v of container.env ?? []) {
    if (v.value !== undefined) env[v.name] = expandEnvReferences(v.value, values);
    else if (v.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') env[v.name] = nodeName;
    else throw new Error(`container ${container.name}: env ${v.name}: only value and fieldRef spec.nodeName are supported here`);
    values.set(v.name, env[v.name]!);
  }
  delete env[PROC_SYS_ENV];
  const args = (container.args ?? []).map((a) => expandEnvReferences(String(a), values));
  const flag = (name: string): string => {
    const prefix = `--${name}=`;
    const a = args.find((x) => x.startsWith(prefix));
    if (a === undefined) throw new Error(`container ${container.name}: no ${prefix} argument in ${JSON.stringify(args)}`);
    return a.slice(prefix.length);
  };
  return {
    command: (container.command ?? []).map((c) => expandEnvReferences(String(c), values)),
    args,
    env,
    metricsBindAddress: flag('metrics-bind-address'),
    healthzBindAddress: flag('healthz-bind-address'),
  };
}

/** host:port to connect to for a bind address ("0.0.0.0:10256" -> "127.0.0.1:10256"). */
export function connectAddress(bind: string): string {
  const m = /^(.*):(\d+)$/.exec(bind);
  if (!m) throw new Error(`bind address ${bind} has no port`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  if (host === '' || host === '0.0.0.0') return `127.0.0.1:${m[2]}`;
  if (host === '::') return `[::1]:${m[2]}`;
  return host.includes(':') ? `[${host}]:${m[2]}` : `${host}:${m[2]}`;
}
