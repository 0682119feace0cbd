// The ipset part of a plan, with the iptables sync placed where set references allow it.
//
// Sets are created and filled before anything uses them, members are removed late, and a set is
// destroyed only after the iptables sync has stopped using it. A set whose settings changed is rebuilt:
//  - same type features and family (ipset-compatibility.ts: 'swap'): a temporary copy is filled and
//    swapped in atomically; rules and the ledger keep pointing at the name, now with the new contents.
//  - otherwise ('recreate'; the kernel refuses to swap) and the state manages iptables: the copy is
//    filled, an interim iptables sync makes the rules use the copy, the set is destroyed and re-created
//    under its name and filled, the final sync points the rules back at it, and the copy is destroyed.
//    Rules match the right members at every step; the cost is filling the set twice.
//  - otherwise, without an iptables section: the copy is filled, the old set destroyed and the copy
//    renamed into place. This fails (the kernel says the set is in use) if rules we do not manage use the
//    set: then remove those rules, or manage iptables through the state.
import { strictlyAscending } from '../state/canonical.js';
import type { IpsetState, State } from '../state/types.js';
import { ipsetFit } from './ipset-compatibility.js';
import { renameSetsInRules, sameIptablesSection } from './iptables-section.js';
import { ledgerEntryForIpset, TEMPORARY_SET_PREFIX } from './ledger.js';
import type { ObservedState } from './observed.js';
import type { IpsetSpec, Operation } from './operations.js';
import type { PlanBuilder } from './plan-builder.js';

export interface Recreation {
  set: IpsetState;
  temporary: string;
  owned: boolean;
}

export function planIpsets(desired: State, observed: ObservedState, b: PlanBuilder): void {
  // Observed members stay in the kernel's (hash) order: the diff below needs no sorted copy of them.
  const observedByName = new Map(observed.ipsets.map((s) => [s.name, s]));
  const temporaryName = temporaryNames(observed.ledger.temporaryIpsets);
  const recreations: Recreation[] = [];

  for (const want of desired.ipsets) {
    const have = observedByName.get(want.name);
    const owned = b.ownsIpset(want.name);
    if (!have) {
      b.push('ipsetCreate', { kind: 'ipset-create', set: ipsetSpec(want) });
      // A list:set member must exist when it is added (ipset: "Set to be added/deleted/tested as element
      // does not exist"), so for sets the ledger entry follows the creation.
      if (!owned) b.ledgerAdd('ipsetCreate', ledgerEntryForIpset(want.name));
      if (want.entries.length > 0) b.push('ipsetFill', addEntries(want.name, want, want.entries));
      continue;
    }
    const fit = ipsetFit(have, want);
    if (fit === 'keep' || fit === 'swap') {
      if (!owned) b.ledgerAdd('ipsetCreate', ledgerEntryForIpset(want.name)); // adoption
    }
    if (fit === 'keep') {
      const { adds, dels } = memberChanges(have.entries, want.entries);
      if (adds.length > 0) b.push('ipsetFill', addEntries(want.name, want, adds));
      if (dels.length > 0) b.push('ipsetEntryDel', { kind: 'ipset-del', name: want.name, type: have.type, family: have.family, entries: dels });
      continue;
    }
    const temporary = temporaryName();
    b.push('ipsetCreate', { kind: 'ipset-create', set: { ...ipsetSpec(want), name: temporary } });
    if (want.entries.length > 0) b.push('ipsetFill', addEntries(temporary, want, want.entries));
    if (fit === 'swap') {
      b.push('ipsetFill', { kind: 'ipset-swap', name: want.name, with: temporary }, { kind: 'ipset-destroy', name: temporary });
    } else if (desired.iptables) {
      recreations.push({ set: want, temporary, owned });
    } else {
      if (owned) b.ledgerDel('ipsetFill', ledgerEntryForIpset(want.name));
      b.push('ipsetFill', { kind: 'ipset-destroy', name: want.name }, { kind: 'ipset-rename', from: temporary, to: want.name });
      b.ledgerAdd('ipsetFill', ledgerEntryForIpset(want.name));
    }
  }

  if (desired.iptables) planIptablesSync(desired, observed, recreations, b);

  const desiredNames = new Set(desired.ipsets.map((s) => s.name));
  for (const name of [...observedByName.keys()].sort()) {
    if (desiredNames.has(name) || !b.ownsIpset(name)) continue;
    // The ledger's list:set holds a reference: the kernel refuses to destroy a member (IPSET_ERR_BUSY).
    b.ledgerDel('ipsetDestroy', ledgerEntryForIpset(name));
    b.push('ipsetDestroy', { kind: 'ipset-destroy', name });
  }
  for (const name of [...b.ledger.ipsets].sort()) {
    if (!desiredNames.has(name) && !observedByName.has(name)) b.ledgerDel('ipsetDestroy', ledgerEntryForIpset(name));
  }
  for (const name of [...observed.ledger.temporaryIpsets].sort()) b.push('ipsetDestroy', { kind: 'ipset-destroy', name });
}

/**
 * The sync is skipped only when the observed section is known and already equal: a kernel read that
 * cannot say leaves ObservedState.iptables unset, and the iptables module then finds nothing to change.
 */
export function planIptablesSync(desired: State, observed: ObservedState, recreations: readonly Recreation[], b: PlanBuilder): void {
  const iptables = desired.iptables!;
  if (recreations.length === 0 && observed.iptables && sameIptablesSection(observed.iptables, iptables)) return;
  if (recreations.length > 0) {
    const renames = new Map(recreations.map((r) => [r.set.name, r.temporary]));
    b.push('iptables', { kind: 'iptables-sync', iptables: renameSetsInRules(iptables, renames), renamedSets: Object.fromEntries(renames) });
    for (const r of recreations) {
      if (r.owned) b.ledgerDel('iptables', ledgerEntryForIpset(r.set.name));
      b.push('iptables', { kind: 'ipset-destroy', name: r.set.name }, { kind: 'ipset-create', set: ipsetSpec(r.set) });
      b.ledgerAdd('iptables', ledgerEntryForIpset(r.set.name));
      if (r.set.entries.length > 0) b.push('iptables', addEntries(r.set.name, r.set, r.set.entries));
    }
  }
  b.push('iptables', { kind: 'iptables-sync', iptables });
  for (const r of recreations) b.push('iptables', { kind: 'ipset-destroy', name: r.temporary });
}

/**
 * Members to add (in the desired order) and to remove (sorted), from the observed members in any order and
 * the desired ones without duplicates. Both sorted (the engine's record of its last apply holds sorted
 * members; a canonical desired set is sorted): one merge walk, no Sets, nothing allocated when nothing
 * changed (a partial sync of 10,000 services compares sets of 100,000 members). Otherwise (a kernel read
 * lists hash order) one Set of the observed members, and a Set of the desired ones only when something is
 * to be removed (when every observed member is desired, the counts say so).
 */
export function memberChanges(observed: readonly string[], desired: readonly string[]): { adds: string[]; dels: string[] } {
  if (observed === desired) return { adds: [], dels: [] };
  if (strictlyAscending(desired) && strictlyAscending(observed)) return mergeChanges(observed, desired);
  const current = new Set(observed);
  const adds = desired.filter((e) => !current.has(e));
  if (desired.length - adds.length === current.size) return { adds, dels: [] };
  const wanted = new Set(desired);
  const dels = [...current].filter((e) => !wanted.has(e)).sort();
  return { adds, dels };
}

/** memberChanges of two strictly ascending lists. */
function mergeChanges(observed: readonly string[], desired: readonly string[]): { adds: string[]; dels: string[] } {
  const adds: string[] = [];
  const dels: string[] = [];
  let i = 0;
  let j = 0;
  while (i < desired.length || j < observed.length) {
    const d = desired[i];
    const o = observed[j];
    if (o === undefined || (d !== undefined && d < o)) {
      adds.push(d!);
      i++;
    } else if (d === undefined || o < d) {
      dels.push(o);
      j++;
    } else {
      i++;
      j++;
    }
  }
  return { adds, dels };
}

export function ipsetSpec(s: IpsetState): IpsetSpec {
  const { entries: _omit, ...spec } = s;
  return spec;
}

export function addEntries(name: string, set: IpsetState, entries: string[]): Operation {
  return { kind: 'ipset-add', name, type: set.type, family: set.family, entries };
}

/** IPVS-PROXIER-TMP-0, -1, ... skipping names that leftovers still hold (they are destroyed at the end). */
function temporaryNames(taken: ReadonlySet<string>): () => string {
  let n = 0;
  return () => {
    while (taken.has(`${TEMPORARY_SET_PREFIX}${n}`)) n++;
    return `${TEMPORARY_SET_PREFIX}${n++}`;
  };
}
