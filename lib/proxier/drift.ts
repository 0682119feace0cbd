// Pure helpers the sync loop uses to decide how to plan and what a plan means:
// - which operations of a periodic (kernel-read) sync repaired drift, i.e. were not explained by the changes
//   that the loop itself queued;
// - which virtual servers a sync needs connection counts of (graceful termination).
import { virtualServerIdFromKey } from '../engine/ledger.js';
import type { StateScope } from '../engine/scope.js';
import { compareVirtualServers, realServerKey, virtualServerKey } from '../state/canonical.js';
import { findSorted } from '../state/sorted.js';
import type { State, VirtualServer } from '../state/types.js';
import type { ObservedState } from '../engine/observed.js';
import type { Operation, OperationKind } from '../engine/operations.js';

/**
 * One unit per kernel object an operation touches: an ipset entry operation counts once per entry, so that
 * a planned "add a" and a repair "add a, b" differ by exactly "b".
 */
function units(op: Operation): { kind: OperationKind; key: string }[] {
  if (op.kind === 'ipset-add' || op.kind === 'ipset-del') {
    return op.entries.map((entry) => ({ kind: op.kind, key: `${op.kind} ${op.name} ${entry}` }));
  }
  return [{ kind: op.kind, key: JSON.stringify(op) }];
}

/**
 * Graceful termination is not drift: it is the planner setting a leaving real server's weight to 0
 * (rs-update with `draining`), or deleting one whose weight is 0 once its connections are gone.
 */
function isGracefulTermination(op: Operation): boolean {
  return (op.kind === 'rs-update' && op.draining !== undefined) || (op.kind === 'rs-del' && op.realServer.weight === 0);
}

/**
 * The operations of a kernel-read sync that the planned changes (`expected`: the same desired state planned
 * against the engine's own record) do not account for, as counts by operation kind.
 */
export function driftByKind(actual: readonly Operation[], expected: readonly Operation[]): Map<OperationKind, number> {
  const planned = new Map<string, number>();
  for (const op of expected) for (const u of units(op)) planned.set(u.key, (planned.get(u.key) ?? 0) + 1);
  const drift = new Map<OperationKind, number>();
  for (const op of actual) {
    if (isGracefulTermination(op)) continue;
    for (const u of units(op)) {
      const n = planned.get(u.key) ?? 0;
      if (n > 0) {
        planned.set(u.key, n - 1);
        continue;
      }
      drift.set(u.kind, (drift.get(u.kind) ?? 0) + 1);
    }
  }
  return drift;
}

/**
 * The virtual servers (as the record has them) from which the desired state takes a real server away,
 * TCP and fwmark only: the planner needs their connection counts for graceful termination, and the
 * engine reads just those (one destination dump each). UDP and SCTP real servers are deleted at once
 * whatever their connections, so they never need one. `keys`: only these may differ (a scoped sync), found
 * by binary search when the record's lists are sorted.
 */
export function drainableVirtualServers(desired: State, record: ObservedState, keys?: Iterable<string>): VirtualServer[] {
  const out: VirtualServer[] = [];
  const takesRealServers = (want: VirtualServer, old: VirtualServer | undefined): void => {
    if (want.protocol === 'udp' || want.protocol === 'sctp') return;
    if (!old || old.realServers.length === 0) return;
    const wanted = new Set(want.realServers.map(realServerKey));
    if (old.realServers.some((rs) => !wanted.has(realServerKey(rs)))) out.push(old);
  };
  if (keys && record.sorted) {
    for (const key of keys) {
      const id = virtualServerIdFromKey(key) as VirtualServer;
      const want = findSorted(desired.virtualServers, id, compareVirtualServers);
      if (want) takesRealServers(want, findSorted(record.virtualServers, id, compareVirtualServers));
    }
    return out.sort(compareVirtualServers);
  }
  const have = new Map(record.virtualServers.map((vs) => [virtualServerKey(vs), vs]));
  for (const want of desired.virtualServers) takesRealServers(want, have.get(virtualServerKey(want)));
  return out;
}

/**
 * Keys of the record's virtual servers with a real server at weight 0: graceful termination keeps those
 * until their connections are gone, so every sync must look at them again, scoped or not. `keys`: only these
 * can have changed since the last look (the scope of a scoped sync, which includes the last ones draining).
 */
export function drainingVirtualServers(record: ObservedState, keys?: readonly string[]): Set<string> {
  const draining = (vs: VirtualServer | undefined): boolean => vs !== undefined && vs.realServers.some((rs) => rs.weight === 0);
  if (keys && record.sorted) {
    return new Set(keys.filter((key) => draining(findSorted(record.virtualServers, virtualServerIdFromKey(key) as VirtualServer, compareVirtualServers))));
  }
  return new Set(record.virtualServers.filter(draining).map(virtualServerKey));
}

/** The scope with the draining virtual servers added. */
export function withDraining(scope: StateScope, draining: ReadonlySet<string>): StateScope {
  if (draining.size === 0) return scope;
  return { ...scope, virtualServers: new Set([...scope.virtualServers, ...draining]) };
}
