// The IPVS part of a plan: virtual servers added, adopted, updated in place and removed, and their real
// servers. Only desired or owned virtual servers are looked at; foreign ones never reach an operation.
import {
  canonicalVirtualServer, compareRealServers, compareVirtualServers, realServerKey, sameRealServerIdentity, virtualServerKey,
} from '../state/canonical.js';
import type { RealServer, VirtualServer } from '../state/types.js';
import { ledgerEntryFor, ledgerEntryForKey, virtualServerIdFromKey, type VirtualServerId } from './ledger.js';
import type { ConnectionCounts, ObservedState } from './observed.js';
import type { RealServerChange, ServiceChange, ServiceSpec } from './operations.js';
import type { PlanBuilder } from './plan-builder.js';

export interface VirtualServerPlanOptions {
  /**
   * kube-proxy's graceful termination: a real server leaving a TCP (or fwmark) virtual server while it
   * still has connections is set to weight 0 instead of deleted; a later plan deletes it once its
   * connections (ObservedState.connections) are gone. UDP and SCTP real servers are deleted at once, as
   * kube-proxy does (pkg/proxy/ipvs/util: IsRsGracefulTerminationNeeded is false for UDP and SCTP):
   * the kernel drops their stale connections on the next packet (expire_nodest_conn=1).
   */
  gracefulTermination?: boolean;
  /**
   * Virtual servers this returns true for are never deleted, even when ours and no longer desired
   * (kube-proxy's --ipvs-exclude-cidrs: its cleanup of stale services skips addresses in those CIDRs).
   */
  neverDelete?: (vs: VirtualServer) => boolean;
}

export function planVirtualServers(
  desired: readonly VirtualServer[],
  observed: ObservedState,
  options: VirtualServerPlanOptions,
  b: PlanBuilder,
): void {
  const observedByKey = new Map<string, VirtualServer>();
  // An observed object that is a desired one (shared by the kernel read) is canonical already, and so is
  // everything in a state the engine produced itself (ObservedState.canonical).
  const desiredObjects = new Set<VirtualServer>(desired);
  for (const raw of observed.virtualServers) {
    const vs = observed.canonical || desiredObjects.has(raw) ? raw : canonicalVirtualServer(raw);
    observedByKey.set(virtualServerKey(vs), vs);
  }
  const desiredKeys = new Set<string>();

  for (const want of desired) {
    const key = virtualServerKey(want);
    desiredKeys.add(key);
    planDesiredVirtualServer(want, observedByKey.get(key), key, options, observed.connections, b);
  }

  const gone = [...observedByKey.entries()]
    .filter(([key, vs]) => !desiredKeys.has(key) && b.ownsVirtualServer(key) && !options.neverDelete?.(vs))
    .sort(([, x], [, y]) => compareVirtualServers(x, y));
  for (const [, vs] of gone) planGoneVirtualServer(vs, b);
  // Ledger entries of servers that are gone (an interrupted apply): pruned.
  const stale = [...b.ledger.virtualServers]
    .filter((key) => !desiredKeys.has(key) && !observedByKey.has(key))
    .map((key) => ({ key, id: virtualServerIdFromKey(key) }))
    .sort((x, y) => compareVirtualServers(x.id as VirtualServer, y.id as VirtualServer));
  for (const { key } of stale) b.ledgerDel('vsDel', ledgerEntryForKey(key));
}

/** A desired virtual server against what the kernel has under its key (`have`, canonical, if any). */
export function planDesiredVirtualServer(
  want: VirtualServer,
  have: VirtualServer | undefined,
  key: string,
  options: VirtualServerPlanOptions,
  connections: ConnectionCounts | undefined,
  b: PlanBuilder,
): void {
  // Desire is the claim: an unowned virtual server we want is adopted, never deleted and re-created.
  if (!b.ownsVirtualServer(key)) b.ledgerAdd('vsAdd', ledgerEntryFor(want));
  if (!have) {
    b.push('vsAdd', { kind: 'vs-add', service: serviceSpec(want) });
    const service = virtualServerId(want); // one identity object shared by the service's rs-add operations
    for (const rs of want.realServers) b.push('rsAdd', { kind: 'rs-add', service, realServer: rs });
    return;
  }
  // The very object desired (a kernel read hands back the caller's object for an unchanged service,
  // observe-ipvs.ts): nothing to compare.
  if (have === want) return;
  const changes = serviceChanges(have, want);
  if (changes.length > 0) b.push('vsUpdate', { kind: 'vs-update', service: serviceSpec(want), previous: serviceSpec(have), changes });
  planRealServers(want, have, key, options, connections, b);
}

/** An owned virtual server no longer desired (the caller checked neverDelete). */
export function planGoneVirtualServer(vs: VirtualServer, b: PlanBuilder): void {
  // DEL_SERVICE removes its real servers with it.
  b.push('vsDel', { kind: 'vs-del', service: serviceSpec(vs) });
  b.ledgerDel('vsDel', ledgerEntryFor(vs));
}

function planRealServers(
  want: VirtualServer,
  have: VirtualServer,
  vsKey: string,
  options: VirtualServerPlanOptions,
  connections: ConnectionCounts | undefined,
  b: PlanBuilder,
): void {
  const service = virtualServerId(want);
  const changed = (rs: RealServer, old: RealServer): void => {
    // No array for an unchanged real server: a partial sync of 10,000 services compares 100,000 of them.
    if (old === rs || sameRealServerValues(old, rs)) return;
    const changes = realServerChanges(old, rs);
    if (changes.length > 0) b.push('rsUpdate', { kind: 'rs-update', service, realServer: rs, previous: old, changes });
  };
  const leaving: RealServer[] = [];
  const w = want.realServers;
  const h = have.realServers;
  if (hasDuplicates(w) || hasDuplicates(h)) {
    // Not from a validated state: match by key, as the kernel would.
    const current = new Map(h.map((rs) => [realServerKey(rs), rs]));
    const wanted = new Set(w.map(realServerKey));
    for (const rs of w) {
      const old = current.get(realServerKey(rs));
      if (old) changed(rs, old);
      else b.push('rsAdd', { kind: 'rs-add', service, realServer: rs });
    }
    leaving.push(...h.filter((rs) => !wanted.has(realServerKey(rs))));
  } else {
    // Both lists are canonical, so sorted by compareRealServers: one merge walk, no keys or maps (100,000
    // real servers of a re-apply at 10,000 services). Adds come in the desired order, removals sorted.
    // The usual pair is one real server on both sides: known equal without parsing the addresses.
    let i = 0;
    let j = 0;
    while (i < w.length || j < h.length) {
      const c = i >= w.length ? 1 : j >= h.length ? -1 : sameRealServerIdentity(w[i]!, h[j]!) ? 0 : compareRealServers(w[i]!, h[j]!);
      if (c < 0) b.push('rsAdd', { kind: 'rs-add', service, realServer: w[i++]! });
      else if (c > 0) leaving.push(h[j++]!);
      else changed(w[i++]!, h[j++]!);
    }
  }
  leaving.sort(compareRealServers);
  for (const rs of leaving) {
    const conns = connections?.get(vsKey)?.get(realServerKey(rs)) ?? 0;
    if (options.gracefulTermination && drainsGracefully(want) && conns > 0) {
      if (rs.weight !== 0) {
        b.push('rsUpdate', {
          kind: 'rs-update', service, realServer: { ...rs, weight: 0 }, previous: rs, changes: ['weight'], draining: conns,
        });
      }
      continue;
    }
    b.push('rsDel', { kind: 'rs-del', service, realServer: rs });
  }
}

/** Two neighbours with the same identity (lists sorted by compareRealServers, addresses canonical). */
function hasDuplicates(rss: readonly RealServer[]): boolean {
  for (let i = 1; i < rss.length; i++) if (sameRealServerIdentity(rss[i - 1]!, rss[i]!)) return true;
  return false;
}

function drainsGracefully(vs: VirtualServer): boolean {
  return vs.protocol !== 'udp' && vs.protocol !== 'sctp';
}

export function virtualServerId(vs: VirtualServer): VirtualServerId {
  return vs.fwmark !== undefined
    ? { fwmark: vs.fwmark, family: vs.family ?? 'inet' }
    : { protocol: vs.protocol, address: vs.address, port: vs.port };
}

export function serviceSpec(vs: VirtualServer): ServiceSpec {
  const { realServers: _omit, ...spec } = vs;
  return spec;
}

export function serviceChanges(have: VirtualServer, want: VirtualServer): ServiceChange[] {
  const changes: ServiceChange[] = [];
  if (have.scheduler !== want.scheduler) changes.push('scheduler');
  if (have.flags.length !== want.flags.length || have.flags.some((f, i) => f !== want.flags[i])) changes.push('flags');
  if (have.timeout !== want.timeout) changes.push('timeout');
  if (have.netmask !== want.netmask) changes.push('netmask');
  if (have.pe !== want.pe) changes.push('pe');
  return changes;
}

function sameRealServerValues(a: RealServer, b: RealServer): boolean {
  return a.weight === b.weight && a.forward === b.forward && (a.upperThreshold ?? 0) === (b.upperThreshold ?? 0) && (a.lowerThreshold ?? 0) === (b.lowerThreshold ?? 0);
}

export function realServerChanges(have: RealServer, want: RealServer): RealServerChange[] {
  const changes: RealServerChange[] = [];
  if (have.weight !== want.weight) changes.push('weight');
  if (have.forward !== want.forward) changes.push('forward');
  if ((have.upperThreshold ?? 0) !== (want.upperThreshold ?? 0)) changes.push('upperThreshold');
  if ((have.lowerThreshold ?? 0) !== (want.lowerThreshold ?? 0)) changes.push('lowerThreshold');
  return changes;
}
