// What this node is, as the desired state needs it: the addresses NodePorts listen on (--nodeport-addresses),
// every local address (an externalIP that is local is not bound to kube-ipvs0), the IP families the node
// serves, and whether load balancers should still send it traffic. Pure functions over the host's address
// list and the Node object; the only I/O is osInterfaceAddresses().
import { networkInterfaces } from 'node:os';
import type { V1Node } from '@kubernetes/client-node';
import type { Family } from '../state/types.js';
import { cidrContains, parseCidr, parseIp, type ParsedIp } from './addresses.js';

export interface InterfaceAddress {
  interface: string;
  /** Canonical IP text, no prefix, no zone. */
  address: string;
}

export interface NodeAddresses {
  /** NodePort addresses, in the host's interface order, without duplicates. */
  nodeIPs: string[];
  /** Every local address except the dummy interface's. */
  localAddresses: string[];
  /** Something the operator should know (e.g. "primary" without Node IPs). */
  warnings: string[];
}

export interface NodeAddressOptions {
  /** --nodeport-addresses: canonical CIDRs, ["primary"], or [] for the default. */
  nodePortAddresses: readonly string[];
  /** kube-ipvs0: its addresses are the Services', never the node's. */
  dummyInterface: string;
  /** The Node object's InternalIP addresses (for "primary"). */
  primaryIPs: readonly string[];
}

/**
 * The host's addresses through libuv (getifaddrs). libuv lists only interfaces that are up, so kube-ipvs0
 * (a dummy link kept DOWN) never appears here; nodeAddresses() still drops it by name, in case a caller
 * passes a list from another source.
 */
export function osInterfaceAddresses(read: typeof networkInterfaces = networkInterfaces): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [name, addrs] of Object.entries(read())) {
    for (const a of addrs ?? []) {
      const ip = parseIp(a.address.split('%')[0]);
      if (ip) out.push({ interface: name, address: ip.ip });
    }
  }
  return out;
}

const LOOPBACK = [parseCidr('127.0.0.0/8')!, parseCidr('::1/128')!];
const LINK_LOCAL_V6 = parseCidr('fe80::/10')!;

export function nodeAddresses(all: readonly InterfaceAddress[], o: NodeAddressOptions): NodeAddresses {
  const warnings: string[] = [];
  const local = unique(all.filter((a) => a.interface !== o.dummyInterface).map((a) => a.address));
  const parsed = local.map((ip) => parseIp(ip)!);
  let nodeIPs: string[];
  if (o.nodePortAddresses[0] === 'primary') {
    nodeIPs = unique(o.primaryIPs.map((ip) => parseIp(ip)?.ip).filter((ip): ip is string => ip !== undefined));
    if (nodeIPs.length === 0) {
      warnings.push('--nodeport-addresses=primary, but the Node object has no InternalIP address: using every local address');
      nodeIPs = parsed.filter(isDefaultNodePortAddress).map((p) => p.ip);
    }
  } else if (o.nodePortAddresses.length > 0) {
    const cidrs = o.nodePortAddresses.map((text) => parseCidr(text)).filter((c) => c !== undefined);
    // An explicit CIDR is the operator's choice (even 127.0.0.0/8); IPv6 link-local needs a zone IPVS can't hold.
    nodeIPs = parsed.filter((p) => !cidrContains(LINK_LOCAL_V6, p) && cidrs.some((c) => cidrContains(c, p))).map((p) => p.ip);
    if (nodeIPs.length === 0) warnings.push(`no local address is in --nodeport-addresses ${o.nodePortAddresses.join(',')}: NodePorts are not served`);
  } else {
    nodeIPs = parsed.filter(isDefaultNodePortAddress).map((p) => p.ip);
  }
  return { nodeIPs, localAddresses: local, warnings };
}

function isDefaultNodePortAddress(ip: ParsedIp): boolean {
  return !LOOPBACK.some((c) => cidrContains(c, ip)) && !cidrContains(LINK_LOCAL_V6, ip);
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

// ---- The Node object ----

/** The Node's InternalIP addresses (kubelet --node-ip), canonical, in the Node's order. */
export function nodeInternalIPs(node: V1Node | undefined): string[] {
  return unique(
    (node?.status?.addresses ?? [])
      .filter((a) => a.type === 'InternalIP')
      .map((a) => parseIp(a.address)?.ip)
      .filter((ip): ip is string => ip !== undefined),
  );
}

/**
 * The families the node serves: those of its InternalIPs and of --cluster-cidr (a dual-stack cluster
 * names both). IPv4 when neither says anything. A family means one set of ipsets and iptables tables.
 */
export function nodeFamilies(node: V1Node | undefined, clusterCIDRs: readonly string[]): Family[] {
  const families = new Set<Family>();
  for (const ip of nodeInternalIPs(node)) families.add(parseIp(ip)!.family);
  for (const c of clusterCIDRs) {
    const cidr = parseCidr(c);
    if (cidr) families.add(cidr.family);
  }
  if (families.size === 0) families.add('inet');
  return (['inet', 'inet6'] as const).filter((f) => families.has(f));
}

/** The taint the cluster autoscaler puts on a node it is about to remove (kube-proxy checks the same). */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';

/**
 * kube-proxy's /healthz "nodeEligible": false while the Node is being deleted or drained by the cluster
 * autoscaler, so external load balancers stop sending new connections before the node goes away.
 */
export function nodeEligible(node: V1Node | undefined): boolean {
  if (!node) return true;
  if (node.metadata?.deletionTimestamp) return false;
  return !(node.spec?.taints ?? []).some((t) => t.key === TO_BE_DELETED_TAINT);
}
