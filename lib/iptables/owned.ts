// What of the kernel's iptables is ours, in the state's form: the chains the ledgers name (with their
// rules) and our rules in built-in chains. `dump` shows this as the state's iptables section, and the
// engine compares it with the desired section to skip a sync that has nothing to do.
import type { IptablesState } from '../state/types.js';
import { LEDGER_CHAIN, ownsRule, readLedger } from './ledger.js';
import type { ObservedIptables } from './plan.js';
import { jumpTarget } from './rule-text.js';
import { isBuiltinChain, STATE_TABLES, splitStateTable } from './tables.js';

export function ownedIptablesState(observed: ObservedIptables): IptablesState {
  const out: IptablesState = {};
  for (const stateTable of STATE_TABLES) {
    const { family, table } = splitStateTable(stateTable);
    const saved = observed[family].get(table);
    if (!saved?.chains.has(LEDGER_CHAIN)) continue;
    const ledger = readLedger(saved.rules.get(LEDGER_CHAIN)!);
    const builtin = (chain: string) => isBuiltinChain(table, chain) || saved.chains.get(chain)?.builtin === true;
    const ownChains = [...ledger.chains].filter((c) => !builtin(c) && c !== LEDGER_CHAIN && saved.chains.has(c)).sort();
    const chains: Record<string, string[]> = {};
    for (const [chain, info] of saved.chains) {
      if (!info.builtin && !isBuiltinChain(table, chain)) continue;
      const ours = saved.rules.get(chain)!.filter((rule) => ownsRule(ledger, chain, rule) || ownChains.includes(jumpTargetOf(rule)));
      if (ours.length > 0) chains[chain] = ours;
    }
    for (const chain of ownChains) chains[chain] = [...saved.rules.get(chain)!];
    if (Object.keys(chains).length > 0) out[stateTable] = chains;
  }
  return out;
}

function jumpTargetOf(rule: string): string {
  try {
    return jumpTarget(rule) ?? '';
  } catch {
    return '';
  }
}
