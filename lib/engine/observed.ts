// What the planner is told the kernel has. It comes from a kernel read (the IPVS, ipset and rtnetlink
// dumps, with ledgerFromIpsets splitting our internal sets out), or, for a partial sync, from the engine's
// own record of its last apply: applyOperationsToState(observedBefore, appliedOps). That record, not the
// last desired State, is what to keep: it also knows which ledger sets exist and which foreign objects
// were there. The planner needs nothing that only a kernel read could provide.
import type { IpsetState, IptablesState, VirtualServer } from '../state/types.js';
import { emptyLedger, type ObservedLedger } from './ledger.js';

export { ledgerEntryFor, ledgerEntryForIpset, ledgerFromIpsets, type ObservedLedger } from './ledger.js';

/** A kernel read must report the state's interface even when it is missing (exists: false). */
export interface ObservedInterface {
  /** The interface named in the state (the only one we ever look at). */
  name: string;
  exists: boolean;
  /** "10.96.0.10/32"; every address on it is ours. */
  addresses: string[];
}

/** vsKey ("tcp 10.96.0.10:80") -> rsKey ("10.244.1.2:8080") -> active + inactive connections. */
export type ConnectionCounts = ReadonlyMap<string, ReadonlyMap<string, number>>;

export interface ObservedState {
  interface?: ObservedInterface;
  /** Every virtual server, ours and foreign (keepalived's, kube-proxy's leftovers). */
  virtualServers: VirtualServer[];
  /** Every ipset except our internal ones (ledger and temporary sets), ours and foreign. */
  ipsets: IpsetState[];
  ledger: ObservedLedger;
  /** Optional, for graceful termination of real servers. */
  connections?: ConnectionCounts;
  /**
   * The iptables rules we own, in the state's form, when known (a read by the iptables module, or the
   * section last synced). The planner skips the iptables sync when it equals the desired section; the
   * simulator uses it to refuse destroying a set that a rule still uses, as the kernel would.
   */
  iptables?: IptablesState;
  /**
   * Every virtual server is canonical (canonical.ts). Set by the engine on what it produces itself (its
   * kernel reads and the record of an apply), whose objects are never mutated, so the planner and the
   * simulator skip re-checking 100,000 real servers; a state from elsewhere is checked.
   */
  canonical?: boolean;
  /**
   * Every list sorted as canonical.ts sorts it (virtual servers, set members, interface addresses): set by
   * the engine on the record of an apply, so a scoped plan (plan-scoped.ts) finds objects by binary search.
   * A kernel read lists set members in hash order and does not set it.
   */
  sorted?: boolean;
}

export function emptyObservedState(): ObservedState {
  return { virtualServers: [], ipsets: [], ledger: emptyLedger() };
}
