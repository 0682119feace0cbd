// Terse builders for plan tests: virtual servers, real servers, and observed states with a ledger that
// is consistent with them (the ledger sets that hold an entry exist).
import { canonicalState, virtualServerKey } from '../../../../lib/state/canonical.js';
import type { IpsetState, IptablesState, RealServer, State, VirtualServer } from '../../../../lib/state/types.js';
import { ledgerEntryFor, LEDGER_SETS, type LedgerSetName } from '../../../../lib/engine/ledger.js';
import { emptyObservedState, type ConnectionCounts, type ObservedInterface, type ObservedState } from '../../../../lib/engine/observed.js';
import { planChanges } from '../../../../lib/engine/plan.js';
import { applyOperationsToState } from '../../../../lib/engine/simulate.js';
import { describe as describeOp, type Operation } from '../../../../lib/engine/operations.js';

/** "10.244.1.2:8080" -> masq real server, weight 1 unless given. */
export function rs(hostPort: string, weight = 1, extra: Partial<RealServer> = {}): RealServer {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort)!;
  return { address: m[1]!, port: Number(m[2]), weight, forward: 'masq', ...extra };
}

/** "tcp 10.96.0.10:80" -> a round-robin virtual server with those real servers. */
export function vs(key: string, realServers: RealServer[] = [], extra: Partial<VirtualServer> = {}): VirtualServer {
  const m = /^(tcp|udp|sctp) \[?([^\]]+?)\]?:(\d+)$/.exec(key);
  if (m) {
    return { protocol: m[1] as 'tcp', address: m[2]!, port: Number(m[3]), scheduler: 'rr', flags: [], realServers, ...extra };
  }
  const f = /^fwmark (inet6?) (\d+)$/.exec(key)!;
  return { fwmark: Number(f[2]), family: f[1] as 'inet', scheduler: 'rr', flags: [], realServers, ...extra };
}

export function set(name: string, type: IpsetState['type'], entries: string[], extra: Partial<IpsetState> = {}): IpsetState {
  return { name, type, family: 'inet', entries, ...extra };
}

export function state(parts: Partial<State>): State {
  return canonicalState({ virtualServers: [], ipsets: [], ...parts });
}

export interface ObservedParts {
  virtualServers?: VirtualServer[];
  ipsets?: IpsetState[];
  /** Keys of owned virtual servers (present or not). */
  ownedVirtualServers?: string[];
  ownedIpsets?: string[];
  temporaryIpsets?: string[];
  /** Ledger sets that exist even if empty. */
  ledgerSets?: LedgerSetName[];
  interface?: ObservedInterface;
  connections?: ConnectionCounts;
  iptables?: IptablesState;
}

export function observed(parts: ObservedParts): ObservedState {
  const sets = new Set<LedgerSetName>(parts.ledgerSets ?? []);
  const ownedVs = parts.ownedVirtualServers ?? [];
  for (const key of ownedVs) sets.add(ledgerEntryFor(vs(key)).set);
  if ((parts.ownedIpsets ?? []).length > 0) sets.add(LEDGER_SETS);
  const o: ObservedState = {
    ...emptyObservedState(),
    virtualServers: parts.virtualServers ?? [],
    ipsets: parts.ipsets ?? [],
    ledger: {
      sets,
      virtualServers: new Set(ownedVs.map((k) => virtualServerKey(vs(k)))),
      ipsets: new Set(parts.ownedIpsets ?? []),
      temporaryIpsets: new Set(parts.temporaryIpsets ?? []),
    },
  };
  if (parts.interface) o.interface = parts.interface;
  if (parts.connections) o.connections = parts.connections;
  if (parts.iptables) o.iptables = parts.iptables;
  return o;
}

/** What the kernel holds after applying `desired` to an empty kernel. */
export function appliedFromEmpty(desired: State): ObservedState {
  return applyOperationsToState(emptyObservedState(), planChanges(desired, emptyObservedState()));
}

export function lines(ops: readonly Operation[]): string[] {
  return ops.map(describeOp);
}

export function connections(entries: Record<string, Record<string, number>>): ConnectionCounts {
  return new Map(Object.entries(entries).map(([k, v]) => [k, new Map(Object.entries(v))]));
}
