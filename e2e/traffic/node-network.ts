// The network of one Kubernetes node, built inside the e2e VM so that real packets can go through the
// IPVS virtual servers the proxier programs (see /work/shared/reference/test-machine.md):
//
//   outside client netns (192.168.122.20) --veth-- [eth-node bridge 192.168.122.10/24]   root netns = the node
//                                                  [cbr0 bridge 10.244.1.1/24] --veth (hairpin)-- pod netns 10.244.1.x
//
// The node is the VM's root network namespace (where the proxier runs and where kube-ipvs0 lives). Its
// own address sits on a bridge it owns (`eth-node`), like a node's uplink; "outside" clients are network
// namespaces on that bridge. Pods are network namespaces on the pod bridge `cbr0` (what the CNI bridge
// plugin builds): a veth each, hairpin on (a pod reaching itself through a Service leaves and re-enters
// by the same bridge port), default route via the bridge address.
//
// What kube-proxy needs from the node is set here too: br_netfilter with bridge-nf-call-iptables=1
// (without it the replies between two pods on the bridge bypass IPVS and every pod -> ClusterIP request
// fails), ip_forward=1, and, unless told otherwise, net.ipv4.vs.conntrack=1 (kube-proxy sets that one
// itself; a proxier test that wants to see its proxier do it passes kubeProxySysctls: false).
//
// Everything created is recorded in a state file before it is created, so teardownNodeNetwork() removes
// exactly that, restores the sysctls it changed, and can be called any number of times (also after a
// crashed run in the same VM).
//
// Dual stack (opt-in: give nodeIp6/podGateway6 and the namespaces an ip6): each link also gets its IPv6
// address, with `nodad` (duplicate address detection would keep it "tentative", unusable, for a second or
// more), pods a default route via the IPv6 gateway, and the node net.ipv6.conf.all.forwarding=1 and
// bridge-nf-call-ip6tables=1 (the IPv6 twins of the IPv4 settings above). Without them nothing IPv6 is done.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runCommand } from './run-command.js';

/** The node's InternalIP in e2e/examples/node.yaml. */
export const NODE_IP = '192.168.122.10';
/** The pod CIDR's gateway: the first address of node-1's podCIDR 10.244.1.0/24. */
export const POD_GATEWAY = '10.244.1.1';
/** The node's IPv6 InternalIP in the dual-stack tests (the IPv4 one, 192.168.122.10, in the low bits). */
export const NODE_IP6 = 'fd00:192:168:122::10';
/** The IPv6 pod gateway: the first address of node-1's IPv6 podCIDR fd00:10:244:1::/64. */
export const POD_GATEWAY6 = 'fd00:10:244:1::1';
/** The default outside client. */
export const OUTSIDE_CLIENT = { name: 'outside-client', ip: '192.168.122.20' } as const;

/** Where setup records what it created (the guest's /run is a tmpfs, gone with the VM). */
export const STATE_FILE = '/run/ipvs-e2e-traffic/node-network.json';

/** Where `ip netns add` bind-mounts named namespaces. */
const NETNS_DIR = '/run/netns';

/** A network namespace attached to one of the node's bridges. */
export interface NamespaceSpec {
  /** The network namespace's name (`ip netns exec NAME ...`); for pods, the pod name is a good choice. */
  readonly name: string;
  /** Its IPv4 address, inside the bridge's subnet. */
  readonly ip: string;
  /** Its IPv6 address, inside the bridge's IPv6 subnet (the network must have one). Default: IPv4 only. */
  readonly ip6?: string;
}

export interface NodeNetworkOptions {
  /** The pods: one network namespace each on the pod bridge. */
  readonly pods: readonly NamespaceSpec[];
  /** Clients outside the node, on the node's network. Default: [OUTSIDE_CLIENT]. */
  readonly clients?: readonly NamespaceSpec[];
  /** Default NODE_IP. */
  readonly nodeIp?: string;
  /** Default 24. */
  readonly nodePrefixLength?: number;
  /** The link holding the node IP (a bridge). Default `eth-node`. */
  readonly nodeLink?: string;
  /** The pod bridge. Default `cbr0`. */
  readonly podBridge?: string;
  /** The pod bridge's address, the pods' default gateway. Default POD_GATEWAY. */
  readonly podGateway?: string;
  /** Default 24 (node-1's podCIDR is a /24). */
  readonly podPrefixLength?: number;
  /**
   * Also set net.ipv4.vs.conntrack=1, which kube-proxy sets itself at start. Default true; pass false to
   * check that the proxier under test sets it.
   */
  readonly kubeProxySysctls?: boolean;
  /** The node's IPv6 address (e.g. NODE_IP6), on nodeLink: makes the network dual-stack. Default none. */
  readonly nodeIp6?: string;
  /** The pod bridge's IPv6 address (e.g. POD_GATEWAY6), the pods' IPv6 gateway. Default none. */
  readonly podGateway6?: string;
}

/** Both IPv6 subnets are /64s, as a CNI hands out. */
const IPV6_PREFIX_LENGTH = 64;

/** One namespace as attached: its name, address and the host end of its veth. */
export interface Attachment {
  readonly netns: string;
  readonly ip: string;
  /** Its IPv6 address, if it has one. */
  readonly ip6?: string;
  /** The veth end in the node's namespace (a port of the bridge). */
  readonly hostVeth: string;
}

/** What setupNodeNetwork built. */
export interface NodeNetwork {
  readonly nodeIp: string;
  readonly nodeLink: string;
  readonly nodePrefixLength: number;
  readonly podBridge: string;
  readonly podGateway: string;
  readonly podPrefixLength: number;
  readonly pods: readonly Attachment[];
  readonly clients: readonly Attachment[];
  /** Set on a dual-stack network. */
  readonly nodeIp6?: string;
  readonly podGateway6?: string;
}

/** What teardown must undo: recorded before each change is made. */
interface RecordedState {
  netns: string[];
  links: string[];
  /** /proc/sys path (relative, e.g. net/ipv4/ip_forward) -> value before we first wrote it. */
  sysctls: Record<string, string>;
}

/**
 * The name of a veth's host end: a prefix and the address in hex, so it is unique per address, stable,
 * and fits IFNAMSIZ (15 characters: "vp" + 8 = 10).
 */
export function hostVethName(prefix: 'vp' | 'vc', ip: string): string {
  const octets = ip.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return prefix + octets.map((o) => o.toString(16).padStart(2, '0')).join('');
}

/** `ip -batch` lines that attach one namespace (already created) to a bridge by a veth pair. */
export function attachScript(hostVeth: string, netns: string, bridge: string, hairpin: boolean): string[] {
  return [
    `link add ${hostVeth} type veth peer name eth0 netns ${netns}`,
    `link set dev ${hostVeth} master ${bridge}`,
    ...(hairpin ? [`link set dev ${hostVeth} type bridge_slave hairpin on`] : []),
    `link set dev ${hostVeth} up`,
  ];
}

/**
 * `ip -n NETNS -batch` lines that configure the namespace side: lo, eth0 with the address, default route;
 * and the IPv6 address and default route when `v6` is given.
 */
export function namespaceScript(ip: string, prefixLength: number, gateway: string, v6?: { ip: string; gateway: string }): string[] {
  const lines = ['link set dev lo up', `addr add ${ip}/${prefixLength} dev eth0`, 'link set dev eth0 up', `route add default via ${gateway}`];
  if (v6) lines.splice(2, 0, `addr add ${v6.ip}/${IPV6_PREFIX_LENGTH} dev eth0 nodad`);
  if (v6) lines.push(`route add default via ${v6.gateway}`);
  return lines;
}

/** The attachment of one namespace spec. */
function attachment(spec: NamespaceSpec, prefix: 'vp' | 'vc'): Attachment {
  return { netns: spec.name, ip: spec.ip, ...(spec.ip6 ? { ip6: spec.ip6 } : {}), hostVeth: hostVethName(prefix, spec.ip) };
}

/**
 * Builds the node network (see the top of this file). Leftovers of an earlier setup in this VM are torn
 * down first. Needs root, `ip` and the bridge/veth/br_netfilter modules (the e2e VM has them).
 */
export function setupNodeNetwork(options: NodeNetworkOptions): NodeNetwork {
  const network: NodeNetwork = {
    nodeIp: options.nodeIp ?? NODE_IP,
    nodeLink: options.nodeLink ?? 'eth-node',
    nodePrefixLength: options.nodePrefixLength ?? 24,
    podBridge: options.podBridge ?? 'cbr0',
    podGateway: options.podGateway ?? POD_GATEWAY,
    podPrefixLength: options.podPrefixLength ?? 24,
    pods: options.pods.map((p) => attachment(p, 'vp')),
    clients: (options.clients ?? [OUTSIDE_CLIENT]).map((c) => attachment(c, 'vc')),
    ...(options.nodeIp6 ? { nodeIp6: options.nodeIp6 } : {}),
    ...(options.podGateway6 ? { podGateway6: options.podGateway6 } : {}),
  };
  const names = [...network.pods, ...network.clients].map((a) => a.netns);
  if (new Set(names).size !== names.length) throw new Error(`setupNodeNetwork: namespace names must be unique: ${names.join(', ')}`);
  checkIpv6(network);

  teardownNodeNetwork(options);
  const state: RecordedState = { netns: [], links: [], sysctls: {} };

  // Node-level kernel settings first: a pod that comes up must already see the final behaviour.
  if (!existsSync('/proc/sys/net/bridge')) runCommand(['modprobe', 'br_netfilter']);
  setSysctl(state, 'net/bridge/bridge-nf-call-iptables', '1');
  setSysctl(state, 'net/ipv4/ip_forward', '1');
  if (options.kubeProxySysctls ?? true) {
    if (!existsSync('/proc/sys/net/ipv4/vs')) runCommand(['modprobe', 'ip_vs']);
    setSysctl(state, 'net/ipv4/vs/conntrack', '1');
  }
  if (network.nodeIp6 || network.podGateway6) {
    setSysctl(state, 'net/bridge/bridge-nf-call-ip6tables', '1');
    setSysctl(state, 'net/ipv6/conf/all/forwarding', '1');
  }

  record(state, { links: [network.nodeLink, network.podBridge] });
  // Fixed bridge MACs: a bridge otherwise takes its lowest port's MAC, which changes as pods come and go
  // and leaves stale neighbour entries for the gateway in the pods.
  ipBatch([
    'link set dev lo up',
    `link add ${network.nodeLink} address 02:00:c0:a8:7a:01 type bridge`,
    `addr add ${network.nodeIp}/${network.nodePrefixLength} dev ${network.nodeLink}`,
    ...(network.nodeIp6 ? [`addr add ${network.nodeIp6}/${IPV6_PREFIX_LENGTH} dev ${network.nodeLink} nodad`] : []),
    `link set dev ${network.nodeLink} up`,
    `link add ${network.podBridge} address 02:00:0a:f4:01:01 type bridge`,
    `addr add ${network.podGateway}/${network.podPrefixLength} dev ${network.podBridge}`,
    ...(network.podGateway6 ? [`addr add ${network.podGateway6}/${IPV6_PREFIX_LENGTH} dev ${network.podBridge} nodad`] : []),
    `link set dev ${network.podBridge} up`,
  ]);
  attach(state, network.pods, network.podBridge, network.podPrefixLength, network.podGateway, true, network.podGateway6);
  attach(state, network.clients, network.nodeLink, network.nodePrefixLength, network.nodeIp, false, network.nodeIp6);
  return network;
}

/**
 * Adds pods to a running node network (e.g. a Deployment scaling up). Returns the network with them.
 */
export function addPods(network: NodeNetwork, pods: readonly NamespaceSpec[]): NodeNetwork {
  const state = readState();
  const added = pods.map((p) => attachment(p, 'vp'));
  checkIpv6({ ...network, pods: added, clients: [] });
  attach(state, added, network.podBridge, network.podPrefixLength, network.podGateway, true, network.podGateway6);
  return { ...network, pods: [...network.pods, ...added] };
}

/**
 * Removes pods (by namespace name) from a running node network: kills whatever still runs in them, deletes
 * their veth and namespace. Returns the network without them.
 */
export function removePods(network: NodeNetwork, names: readonly string[]): NodeNetwork {
  const gone = network.pods.filter((p) => names.includes(p.netns));
  removeNamespaces(gone.map((p) => p.netns), gone.map((p) => p.hostVeth));
  const state = readState();
  state.netns = state.netns.filter((n) => !names.includes(n));
  state.links = state.links.filter((l) => !gone.some((p) => p.hostVeth === l));
  writeState(state);
  return { ...network, pods: network.pods.filter((p) => !names.includes(p.netns)) };
}

/**
 * Removes everything setupNodeNetwork recorded (processes left in the namespaces are killed first), the
 * namespaces and links named in `options` if given, and restores the sysctls it changed. Idempotent;
 * throws if something it should have removed is still there.
 */
export function teardownNodeNetwork(options?: Partial<NodeNetworkOptions>): void {
  const state = readState();
  const netns = new Set(state.netns);
  const links = new Set(state.links);
  if (options) {
    for (const ns of [...(options.pods ?? []), ...(options.clients ?? [])]) netns.add(ns.name);
    links.add(options.nodeLink ?? 'eth-node');
    links.add(options.podBridge ?? 'cbr0');
  }
  removeNamespaces([...netns], [...links]);
  for (const [key, value] of Object.entries(state.sysctls)) writeFileSync(`/proc/sys/${key}`, value);
  rmSync(STATE_FILE, { force: true });
}

/** The named network namespaces that exist now (what `ip netns list` shows, read without a spawn). */
export function listNamespaces(): string[] {
  return existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR).sort() : [];
}

/** The links of the node's (the root) network namespace, from sysfs. */
export function listLinks(): string[] {
  return readdirSync('/sys/class/net').sort();
}

/**
 * The processes in a named network namespace (what `ip netns pids` does: compare each process's
 * /proc/PID/ns/net with the namespace's bind mount; done here to save a spawn, which is slow in TCG).
 */
export function namespacePids(netns: string): number[] {
  let target;
  try {
    target = statSync(`${NETNS_DIR}/${netns}`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ns = statSync(`/proc/${entry}/ns/net`);
      if (ns.ino === target.ino && ns.dev === target.dev) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or a kernel thread.
    }
  }
  return pids;
}

/** A namespace with an IPv6 address needs its bridge to have one (its gateway). */
function checkIpv6(network: NodeNetwork): void {
  const orphan = [...network.pods.filter((p) => p.ip6 && !network.podGateway6), ...network.clients.filter((c) => c.ip6 && !network.nodeIp6)];
  if (orphan.length > 0) throw new Error(`node network: ${orphan.map((a) => a.netns).join(', ')} have an IPv6 address but their bridge has none (podGateway6/nodeIp6)`);
}

/** Creates the namespaces, veths and in-namespace config for `attachments` (recorded first). */
function attach(state: RecordedState, attachments: readonly Attachment[], bridge: string, prefixLength: number, gateway: string, hairpin: boolean, gateway6?: string): void {
  if (attachments.length === 0) return;
  record(state, { netns: attachments.map((a) => a.netns), links: attachments.map((a) => a.hostVeth) });
  // Namespaces in a batch of their own: `netns add` unshares the ip process's own network namespace
  // to create one, so nothing else should share that process.
  ipBatch(attachments.map((a) => `netns add ${a.netns}`));
  ipBatch(attachments.flatMap((a) => attachScript(a.hostVeth, a.netns, bridge, hairpin)));
  for (const a of attachments) ipBatch(namespaceScript(a.ip, prefixLength, gateway, a.ip6 && gateway6 ? { ip: a.ip6, gateway: gateway6 } : undefined), a.netns);
}

/** Kills what runs in the namespaces, deletes the links (a veth's peer goes with it) and the namespaces. */
function removeNamespaces(netns: readonly string[], links: readonly string[]): void {
  const existingNetns = new Set(listNamespaces());
  for (const ns of netns) {
    for (const pid of namespacePids(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  const existingLinks = new Set(listLinks());
  const lines = [...links.filter((l) => existingLinks.has(l)).map((l) => `link del dev ${l}`), ...netns.filter((n) => existingNetns.has(n)).map((n) => `netns del ${n}`)];
  if (lines.length > 0) ipBatch(lines);
  const leftLinks = listLinks().filter((l) => links.includes(l));
  const leftNetns = listNamespaces().filter((n) => netns.includes(n));
  if (leftLinks.length + leftNetns.length > 0) throw new Error(`node network teardown left links [${leftLinks.join(', ')}] and namespaces [${leftNetns.join(', ')}]`);
}

/** Runs `ip [-n NETNS] -batch -` with the lines (one spawn for many changes: spawns are slow under TCG). */
function ipBatch(lines: readonly string[], netns?: string): void {
  runCommand(['ip', ...(netns ? ['-n', netns] : []), '-batch', '-'], { input: lines.join('\n') + '\n' });
}

function setSysctl(state: RecordedState, key: string, value: string): void {
  const path = `/proc/sys/${key}`;
  if (!(key in state.sysctls)) {
    state.sysctls[key] = readFileSync(path, 'utf8').trim();
    writeState(state);
  }
  writeFileSync(path, value);
}

function record(state: RecordedState, added: { netns?: readonly string[]; links?: readonly string[] }): void {
  for (const n of added.netns ?? []) if (!state.netns.includes(n)) state.netns.push(n);
  for (const l of added.links ?? []) if (!state.links.includes(l)) state.links.push(l);
  writeState(state);
}

function readState(): RecordedState {
  if (!existsSync(STATE_FILE)) return { netns: [], links: [], sysctls: {} };
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as RecordedState;
}

function writeState(state: RecordedState): void {
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2) + '\n');
}
