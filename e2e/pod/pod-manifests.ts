// What a kubelet would run on one node, from the chart's rendered output (pure, for the pod suite):
// - the DaemonSet's pod template as a Pod bound to the node. Debian's podman 4.3 cannot `kube play` a
//   DaemonSet ("does not contain any supported kube kind"), so the suite plays its template, unchanged,
//   as the Pod the DaemonSet controller would create for that node;
// - the one-shot cleanup pod that NOTES.txt tells operators to run after `helm uninstall` (its
//   `kubectl run ... --overrides='{...}'` line), as the Pod that command creates.
import { parseAllDocuments } from 'yaml';

export interface PodManifest {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface PodSpec {
  nodeName?: string;
  restartPolicy?: string;
  containers: ContainerSpec[];
  [field: string]: unknown;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  [field: string]: unknown;
}

export interface Probe {
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string };
  [field: string]: unknown;
}

interface DaemonSet {
  kind: 'DaemonSet';
  metadata: { name: string; namespace?: string };
  spec: { template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } };
}

/** Every document of `helm template` output that is an object. */
export function manifestObjects(text: string): Array<{ kind?: string; [k: string]: unknown }> {
  return parseAllDocuments(text).flatMap((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`manifest document ${i}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const o = doc.toJS() as unknown;
    return o !== null && typeof o === 'object' ? [o as { kind?: string }] : [];
  });
}

/**
 * The Pod the DaemonSet controller creates for nodeName: the template's metadata and spec as they are,
 * named <daemonset>-<node> and bound to the node (spec.nodeName, which the downward API's
 * fieldRef spec.nodeName then reads).
 */
export function podFromDaemonSet(manifests: string, nodeName: string): PodManifest {
  const sets = manifestObjects(manifests).filter((o) => o.kind === 'DaemonSet') as unknown as DaemonSet[];
  if (sets.length !== 1) throw new Error(`expected one DaemonSet in the rendered chart, found ${sets.length}`);
  const ds = sets[0]!;
  const template = ds.spec?.template;
  if (!template?.spec?.containers?.length) throw new Error(`DaemonSet ${ds.metadata.name}: its pod template has no containers`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${ds.metadata.name}-${nodeName}`,
      ...(ds.metadata.namespace ? { namespace: ds.metadata.namespace } : {}),
      ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
    },
    spec: { ...template.spec, nodeName },
  };
}

/**
 * The cleanup pod of NOTES.txt's Uninstall section: `kubectl run NAME --rm -it --restart=Never
 * --image=IMAGE --overrides='JSON'` creates Pod NAME whose spec is the overrides' spec (kubectl merges
 * them over its generated pod), with restartPolicy Never; NODE in the text is the node to clean.
 */
export function cleanupPodFromNotes(notes: string, nodeName: string): PodManifest {
  const run = /kubectl(?: -n \S+)? run (\S+) [^\n]*?--restart=Never[\s\S]*?--overrides='([^']*)'/.exec(notes);
  if (!run) throw new Error("NOTES.txt has no `kubectl run NAME ... --restart=Never ... --overrides='...'` cleanup command");
  let overrides: { spec?: PodSpec };
  try {
    overrides = JSON.parse(run[2]!) as { spec?: PodSpec };
  } catch (e) {
    throw new Error(`NOTES.txt's cleanup --overrides is not JSON: ${(e as Error).message}`);
  }
  const spec = overrides.spec;
  if (!spec?.containers?.length) throw new Error("NOTES.txt's cleanup --overrides has no spec.containers");
  if (spec.nodeName !== 'NODE') throw new Error(`NOTES.txt's cleanup pod should name the node as NODE for the operator to fill in, found ${JSON.stringify(spec.nodeName)}`);
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: run[1]! }, spec: { ...spec, nodeName, restartPolicy: 'Never' } };
}

/**
 * What Debian's podman 4.3 needs changed to play the pod, each as a kubelet would see it:
 * - on a host-network pod it refuses containerPorts ("PortMappings can only be used with Bridge or
 *   slirp4netns networking"), while for Kubernetes they are informational there (the process binds the
 *   node's ports itself): left out; probes naming a port are resolved from the original;
 * - it refuses the downward API's `fieldRef: spec.nodeName` ("fieldPath spec.nodeName is either not valid
 *   or not supported"), which the kubelet resolves to the node's name: given as that value;
 * - it passes `$(VAR)` in command and args on literally (seen: the proxier got
 *   `--hostname-override=$(NODE_NAME)`), which the kubelet expands from the container's env: expanded.
 * Returns the pod and one line per change (for the test log); nothing else is touched.
 */
export function forPodman(pod: PodManifest): { pod: PodManifest; changed: string[] } {
  const changed: string[] = [];
  const containers = pod.spec.containers.map((c, i) => {
    let out: ContainerSpec = c;
    if (pod.spec.hostNetwork === true && c.ports !== undefined) {
      const { ports: _ports, ...rest } = out;
      out = rest as ContainerSpec;
      changed.push(`spec.containers[${i}].ports left out (informational on a host-network pod)`);
    }
    const env = c.env as Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }> | undefined;
    if (env?.some((e) => e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName')) {
      if (pod.spec.nodeName === undefined) throw new Error(`container ${c.name}: env from spec.nodeName, but the pod is bound to no node`);
      out = {
        ...out,
        env: env.map((e, j) => {
          if (e.valueFrom?.fieldRef?.fieldPath !== 'spec.nodeName') return e;
          changed.push(`spec.containers[${i}].env[${j}] ${e.name}: fieldRef spec.nodeName given as its value "${pod.spec.nodeName}"`);
          return { name: e.name, value: pod.spec.nodeName! };
        }),
      };
    }
    const values = new Map(((out.env ?? []) as Array<{ name: string; value?: string }>).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    for (const field of ['command', 'args'] as const) {
      const list = out[field];
      if (!list?.some((a) => a.includes('$('))) continue;
      out = {
        ...out,
        [field]: list.map((a, j) => {
          const expanded = expandEnvReferences(a, values);
          if (expanded !== a) changed.push(`spec.containers[${i}].${field}[${j}] ${JSON.stringify(a)} expanded to ${JSON.stringify(expanded)}`);
          return expanded;
        }),
      };
    }
    return out;
  });
  return { pod: { ...pod, spec: { ...pod.spec, containers } }, changed };
}

/**
 * The kubelet's expansion of command and args: `$(NAME)` becomes NAME's value when the container's env
 * defines it and stays as written otherwise; `$$` is a literal `$` (so `$$(NAME)` stays `$(NAME)`).
 */
export function expandEnvReferences(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return values.get(name) ?? match;
  });
}

/** The URL a kubelet's httpGet probe on a hostNetwork pod requests (host defaults to the pod IP = node). */
export function probeUrl(probe: Probe | undefined, what: string, nodeAddress: string, ports: Record<string, number>): string {
  const get = probe?.httpGet;
  if (!get) throw new Error(`${what}: not an httpGet probe`);
  const port = typeof get.port === 'number' ? get.port : ports[get.port];
  if (port === undefined) throw new Error(`${what}: port ${JSON.stringify(get.port)} is not one of the container's named ports ${JSON.stringify(ports)}`);
  const scheme = (get.scheme ?? 'HTTP').toLowerCase();
  return `${scheme}://${get.host ?? nodeAddress}:${port}${get.path ?? '/'}`;
}

/** containerPort by name, for probes that name their port. */
export function namedPorts(container: ContainerSpec): Record<string, number> {
  const ports = (container.ports ?? []) as Array<{ name?: string; containerPort: number }>;
  return Object.fromEntries(ports.filter((p) => p.name).map((p) => [p.name!, p.containerPort]));
}
