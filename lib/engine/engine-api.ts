// The reconcile engine as the CLI (`apply`, `dump`, `--cleanup`) and the proxier's sync loop use it.
// Implemented by engine.ts over the real kernel clients.
import type { State, VirtualServer } from '../state/types.js';
import type { ConnectionCounts, ObservedState } from './observed.js';
import type { Operation } from './operations.js';
import type { StateScope } from './scope.js';

export interface ApplyOptions {
  /** Plan only; change nothing. */
  dryRun?: boolean;
  /**
   * Plan against this instead of reading the kernel: the proxier's partial sync passes the engine's own
   * record of its last apply (`ApplyReport.after`), so a change to one Service costs no kernel reads.
   */
  observed?: ObservedState;
  /**
   * `observed` is a kernel read (made current with the record for what we changed while it ran:
   * overlay-record.ts), not a record: planned in full, and reported as a read (ApplyReport.readKernel).
   */
  observedFromKernel?: boolean;
  /** kube-proxy's graceful termination of TCP real servers (needs connection counts: kernel reads only). */
  gracefulTermination?: boolean;
  /**
   * With `observed` a record of an apply (ObservedState.sorted) and a canonical desired state: only these
   * objects may differ between them, so only they are planned (plan-scoped.ts). Ignored otherwise, or when
   * the change needs more than a scoped plan can say (then the whole state is planned).
   */
  scope?: StateScope;
  /** Virtual servers never deleted even when ours and not desired (--ipvs-exclude-cidrs). */
  neverDelete?: (vs: VirtualServer) => boolean;
}

export interface IpvsTimeoutSeconds {
  tcp: number;
  tcpFin: number;
  udp: number;
}

export interface OperationFailure {
  operation: Operation;
  /** KernelError / IptablesCommandError: carries errno (or exit code), the operation and the object. */
  error: Error;
}

export interface ApplyReport {
  /** The plan, in order. */
  operations: Operation[];
  /** How many of them the kernel accepted (all of them when `failures` is empty). */
  applied: number;
  failures: OperationFailure[];
  /** Netlink request messages sent for the changes (reads excluded), and iptables-restore runs. */
  messagesSent: number;
  iptablesRestores: number;
  /** What the kernel holds after this apply if it succeeded: the next partial sync's `observed`. */
  after: ObservedState;
  /** Whether `observed` came from a kernel read (true) or from the caller (false). */
  readKernel: boolean;
  /** Planned by scope (plan-scoped.ts: the scope's objects only) rather than over the whole state. */
  scoped?: boolean;
  /** Notes from the iptables sync (e.g. a chain kept because a foreign rule still jumps to it). */
  warnings?: string[];
}

export interface Engine {
  /**
   * Reads every IPVS service, ipset, the state interface's addresses and (withIptables, default true) our
   * iptables rules. `known`: canonical virtual servers the caller holds; one read equal to them comes back as
   * that object (less memory, and the planner skips it). `yieldTo`: a read in the background awaits it
   * before each of its parts (a slice of destination dumps, the set listing, ...), so it gives way to syncs.
   */
  observe(interfaceName: string, withIptables?: boolean, known?: readonly VirtualServer[], knownAreCanonical?: boolean, yieldTo?: () => Promise<void>): Promise<ObservedState>;
  apply(desired: State, options?: ApplyOptions): Promise<ApplyReport>;
  /**
   * The active + inactive connections of these virtual servers' real servers, read from the kernel (one
   * destination dump each): what graceful termination needs, without a full read. A virtual server the
   * kernel does not have reads as having none.
   */
  readConnections(virtualServers: readonly VirtualServer[]): Promise<ConnectionCounts>;
  /**
   * Sets IPVS's connection timeouts in seconds (--ipvs-tcp-timeout, --ipvs-tcpfin-timeout,
   * --ipvs-udp-timeout); 0 keeps the kernel's value. Returns the timeouts the kernel then has.
   */
  setTimeouts(timeouts: IpvsTimeoutSeconds): Promise<IpvsTimeoutSeconds>;
  /** Removes everything we own (ledgers last); foreign objects stay. */
  cleanup(interfaceName: string, options?: { dryRun?: boolean }): Promise<ApplyReport>;
  close(): void;
}
