// `ipvs-proxier apply`'s planner: from the desired state and what the kernel has (or what the engine
// left there last time), the minimal, ordered list of operations that makes the kernel match, touching
// only what is desired or owned (OWNERSHIP.md). Pure and deterministic.
import { canonicalCidr, canonicalState, compareCidr } from '../state/canonical.js';
import type { State } from '../state/types.js';
import type { ObservedState } from './observed.js';
import type { Operation } from './operations.js';
import { PlanBuilder } from './plan-builder.js';
import { planIpsets } from './plan-ipsets.js';
import { planVirtualServers, type VirtualServerPlanOptions } from './plan-virtual-servers.js';

export type PlanOptions = VirtualServerPlanOptions;

export function planChanges(desired: State, observed: ObservedState, options: PlanOptions = {}): Operation[] {
  return planCanonical(canonicalState(desired), observed, options);
}

/** planChanges of a desired state already canonical (canonicalState(want) is want): no second check. */
export function planCanonical(want: State, observed: ObservedState, options: PlanOptions = {}): Operation[] {
  const b = new PlanBuilder(observed.ledger);
  planInterface(want, observed, b);
  planIpsets(want, observed, b);
  planVirtualServers(want.virtualServers, observed, options, b);
  return b.build();
}

/**
 * The interface named in the state is ours with every address on it; no other interface is touched, and
 * without an `interface` section the state leaves interfaces alone.
 */
function planInterface(want: State, observed: ObservedState, b: PlanBuilder): void {
  const itf = want.interface;
  if (!itf) return;
  const seen = observed.interface?.name === itf.name && observed.interface.exists ? observed.interface : undefined;
  if (!seen) b.push('link', { kind: 'link-create', name: itf.name });
  const have = new Set((seen?.addresses ?? []).map(canonicalCidr));
  const wanted = new Set(itf.addresses);
  for (const address of itf.addresses) {
    if (!have.has(address)) b.push('addressAdd', { kind: 'address-add', interface: itf.name, address });
  }
  for (const address of [...have].sort(compareCidr)) {
    if (!wanted.has(address)) b.push('addressDel', { kind: 'address-del', interface: itf.name, address });
  }
}
