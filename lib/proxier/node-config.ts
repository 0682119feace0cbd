// NodeConfig -> parsed, per-family values. Bad node configuration is reported (namespace and name empty)
// and the bad value left out; the CLI is expected to have refused it already.
import type { Family } from '../state/types.js';
import { parseCidr, parseIp, type ParsedCidr } from './addresses.js';
import { DEFAULT_SCHEDULER, isKnownScheduler } from './scheduling.js';
import type { NodeConfig, Problem } from './types.js';

export interface ResolvedNode {
  scheduler: string;
  /** NodePort addresses per family, canonical, in the given order without duplicates. */
  nodeIPs: Record<Family, string[]>;
  /** Addresses that belong to the node (never bound to kube-ipvs0). */
  localAddresses: ReadonlySet<string>;
  /** The first --cluster-cidr of each family (kube-proxy's cluster-CIDR local-traffic detector). */
  clusterCIDR: Partial<Record<Family, ParsedCidr>>;
}

export function resolveNode(node: NodeConfig, problems: Problem[]): ResolvedNode {
  const report = (field: string, reason: string): void => {
    problems.push({ namespace: '', name: '', field, reason });
  };
  let scheduler = node.scheduler || DEFAULT_SCHEDULER;
  if (!isKnownScheduler(scheduler)) {
    report('node.scheduler', `unknown IPVS scheduler "${scheduler}"; using ${DEFAULT_SCHEDULER}`);
    scheduler = DEFAULT_SCHEDULER;
  }
  const nodeIPs: Record<Family, string[]> = { inet: [], inet6: [] };
  node.nodeIPs.forEach((text, i) => {
    const ip = parseIp(text);
    if (!ip) return report(`node.nodeIPs[${i}]`, `invalid node IP "${text}"; ignored`);
    if (!nodeIPs[ip.family].includes(ip.ip)) nodeIPs[ip.family].push(ip.ip);
  });
  const localAddresses = new Set<string>();
  (node.localAddresses ?? node.nodeIPs).forEach((text, i) => {
    const ip = parseIp(text);
    if (ip) localAddresses.add(ip.ip);
    else if (node.localAddresses) report(`node.localAddresses[${i}]`, `invalid address "${text}"; ignored`);
  });
  const clusterCIDR: Partial<Record<Family, ParsedCidr>> = {};
  node.clusterCIDRs.forEach((text, i) => {
    const cidr = parseCidr(text);
    if (!cidr) return report(`node.clusterCIDRs[${i}]`, `invalid CIDR "${text}"; ignored`);
    clusterCIDR[cidr.family] ??= cidr;
  });
  return { scheduler, nodeIPs, localAddresses, clusterCIDR };
}
