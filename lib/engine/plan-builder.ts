// Collects a plan's operations by phase and returns them in phase order. The phase order is what keeps
// the kernel valid and traffic flowing at every step of an apply:
//   ledger sets -> link -> addresses added -> sets created and filled -> virtual servers added/adopted ->
//   real servers added -> real servers updated -> virtual servers updated -> real servers removed ->
//   virtual servers removed -> set members removed -> iptables -> sets destroyed -> addresses removed
// New targets exist before anything points at them, and old ones are removed only after nothing needs them.
import { LEDGER_SET_SPECS, type LedgerEntry, type LedgerSetName, type ObservedLedger } from './ledger.js';
import type { Operation } from './operations.js';

export const PHASES = [
  'ledgerSets',
  'link',
  'addressAdd',
  'ipsetCreate',
  'ipsetFill',
  'vsAdd',
  'rsAdd',
  'rsUpdate',
  'vsUpdate',
  'rsDel',
  'vsDel',
  'ipsetEntryDel',
  'iptables',
  'ipsetDestroy',
  'addressDel',
  'ledgerDestroy',
] as const;
export type Phase = (typeof PHASES)[number];

export class PlanBuilder {
  private readonly ops = new Map<Phase, Operation[]>(PHASES.map((p) => [p, []]));
  private readonly ledgerSets: Set<LedgerSetName>;
  readonly ledger: ObservedLedger;

  constructor(ledger: ObservedLedger) {
    this.ledger = ledger;
    this.ledgerSets = new Set(ledger.sets);
  }

  push(phase: Phase, ...ops: Operation[]): void {
    this.ops.get(phase)!.push(...ops);
  }

  /** Records `entry` in the ledger, creating its ledger set first if it does not exist yet. */
  ledgerAdd(phase: Phase, entry: LedgerEntry): void {
    if (!this.ledgerSets.has(entry.set)) {
      this.ledgerSets.add(entry.set);
      this.push('ledgerSets', { kind: 'ledger-create', set: entry.set });
    }
    this.push(phase, { kind: 'ledger-add', ...entry });
  }

  ledgerDel(phase: Phase, entry: LedgerEntry): void {
    this.push(phase, { kind: 'ledger-del', ...entry });
  }

  ownsVirtualServer(key: string): boolean {
    return this.ledger.virtualServers.has(key);
  }

  ownsIpset(name: string): boolean {
    return this.ledger.ipsets.has(name);
  }

  build(): Operation[] {
    // Ledger sets in a fixed order, whatever order the planners first needed them in.
    const order = LEDGER_SET_SPECS.map((s) => s.name as string);
    const rank = (op: Operation): number => order.indexOf(op.kind === 'ledger-create' ? op.set : '');
    this.ops.get('ledgerSets')!.sort((a, b) => rank(a) - rank(b));
    return PHASES.flatMap((p) => this.ops.get(p)!);
  }
}
