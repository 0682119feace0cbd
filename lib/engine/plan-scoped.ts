// The planner for a caller that knows what may have changed (scope.ts): the proxier's event-driven sync,
// planning against the engine's record of its last apply. Only the scope's virtual servers, set members and
// addresses are looked up (binary search in the sorted lists of both states), so one moved endpoint costs
// a few comparisons, not a walk over 10,000 virtual servers. Everything outside the scope is taken to match
// already; the periodic sync's full plan against a kernel read is what catches anything else.
//
// Returns undefined when the scope cannot say enough and the caller must plan in full: a set or the
// interface to create or rebuild, a set to destroy, leftover temporary sets.
import { compareCidr, compareVirtualServers } from '../state/canonical.js';
import { compareStrings, findSorted } from '../state/sorted.js';
import type { IpsetState, State, VirtualServer } from '../state/types.js';
import { ipsetFit } from './ipset-compatibility.js';
import { virtualServerIdFromKey } from './ledger.js';
import type { ObservedState } from './observed.js';
import type { Operation } from './operations.js';
import { PlanBuilder } from './plan-builder.js';
import { addEntries, planIptablesSync } from './plan-ipsets.js';
import { planDesiredVirtualServer, planGoneVirtualServer, type VirtualServerPlanOptions } from './plan-virtual-servers.js';
import type { StateScope } from './scope.js';
import { ledgerEntryForKey } from './ledger.js';

/**
 * `want` canonical (the proxier's aggregate builds it so), `observed` a record of an apply (sorted lists:
 * ObservedState.sorted). The operations are those planCanonical would plan for the scope's objects.
 */
export function planScoped(want: State, observed: ObservedState, scope: StateScope, options: VirtualServerPlanOptions = {}): Operation[] | undefined {
  if (!observed.sorted || observed.ledger.temporaryIpsets.size > 0) return undefined;
  const b = new PlanBuilder(observed.ledger);
  if (!planAddresses(want, observed, scope, b)) return undefined;
  if (!planMembers(want, observed, scope, b)) return undefined;
  if (want.iptables) planIptablesSync(want, observed, [], b);
  planScopedVirtualServers(want.virtualServers, observed, scope, options, b);
  return b.build();
}

function planAddresses(want: State, observed: ObservedState, scope: StateScope, b: PlanBuilder): boolean {
  const itf = want.interface;
  if (!itf) return scope.addresses.size === 0;
  const seen = observed.interface;
  if (seen?.name !== itf.name || !seen.exists) return false;
  for (const address of [...scope.addresses].sort(compareCidr)) {
    const wanted = findSorted(itf.addresses, address, compareCidr) !== undefined;
    const have = findSorted(seen.addresses, address, compareCidr) !== undefined;
    if (wanted && !have) b.push('addressAdd', { kind: 'address-add', interface: itf.name, address });
    else if (!wanted && have) b.push('addressDel', { kind: 'address-del', interface: itf.name, address });
  }
  return true;
}

/** Every desired set must exist, be ours and fit as it is; only the scope's members are compared. */
function planMembers(want: State, observed: ObservedState, scope: StateScope, b: PlanBuilder): boolean {
  const desired = new Map(want.ipsets.map((s) => [s.name, s]));
  const have = new Map(observed.ipsets.map((s) => [s.name, s]));
  for (const set of want.ipsets) {
    const h = have.get(set.name);
    if (!h || !b.ownsIpset(set.name) || ipsetFit(h, set) !== 'keep') return false;
  }
  for (const name of observed.ledger.ipsets) if (!desired.has(name)) return false;
  for (const [name, members] of scope.ipsetMembers) {
    const w = desired.get(name);
    const h = have.get(name);
    if (!w || !h) return false;
    const adds: string[] = [];
    const dels: string[] = [];
    for (const m of [...members].sort()) {
      const wanted = inSet(w, m);
      const there = inSet(h, m);
      if (wanted && !there) adds.push(m);
      else if (!wanted && there) dels.push(m);
    }
    if (adds.length > 0) b.push('ipsetFill', addEntries(name, w, adds));
    if (dels.length > 0) b.push('ipsetEntryDel', { kind: 'ipset-del', name, type: h.type, family: h.family, entries: dels });
  }
  return true;
}

function inSet(s: IpsetState, member: string): boolean {
  return findSorted(s.entries, member, compareStrings) !== undefined;
}

function planScopedVirtualServers(desired: readonly VirtualServer[], observed: ObservedState, scope: StateScope, options: VirtualServerPlanOptions, b: PlanBuilder): void {
  const ids = [...scope.virtualServers].map((key) => ({ key, id: virtualServerIdFromKey(key) as VirtualServer }));
  ids.sort((x, y) => compareVirtualServers(x.id, y.id));
  for (const { key, id } of ids) {
    const want = findSorted(desired, id, compareVirtualServers);
    const have = findSorted(observed.virtualServers, id, compareVirtualServers);
    if (want) planDesiredVirtualServer(want, have, key, options, observed.connections, b);
    else if (have && b.ownsVirtualServer(key) && !options.neverDelete?.(have)) planGoneVirtualServer(have, b);
    else if (!have && b.ownsVirtualServer(key)) b.ledgerDel('vsDel', ledgerEntryForKey(key));
  }
}
