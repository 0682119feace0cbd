// The kernel-held record of what we own in one iptables table (lib/engine/OWNERSHIP.md): the chain
// IPVS-PROXIER-OWNED, never jumped to, with one RETURN rule per owned thing, named in its comment:
//   -m comment --comment "chain KUBE-SERVICES" -j RETURN           an owned (non built-in) chain
//   -m comment --comment "rule PREROUTING 0123456789abcdef" -j RETURN   an owned rule in a built-in chain
//                                                                  that does not jump to an owned chain
// (a rule that jumps to an owned chain is ours by that jump alone). The text below is exactly what
// iptables-save prints back, so an unchanged ledger compares equal and is not rewritten.
import { createHash } from 'node:crypto';

export const LEDGER_CHAIN = 'IPVS-PROXIER-OWNED';

export interface Ledger {
  chains: Set<string>;
  /** Built-in chain -> hashes (ruleHash) of the rules of ours in it. */
  rules: Map<string, Set<string>>;
}

/** First 16 hex digits of the SHA-1 of the rule text: fits the comment, and collisions are not a concern. */
export function ruleHash(rule: string): string {
  return createHash('sha1').update(rule, 'utf8').digest('hex').slice(0, 16);
}

export function ledgerChainEntry(chain: string): string {
  return `-m comment --comment "chain ${chain}" -j RETURN`;
}

export function ledgerRuleEntry(chain: string, rule: string): string {
  return `-m comment --comment "rule ${chain} ${ruleHash(rule)}" -j RETURN`;
}

const CHAIN_ENTRY = /^-m comment --comment "chain (\S+)" -j RETURN$/;
const RULE_ENTRY = /^-m comment --comment "rule (\S+) ([0-9a-f]{16})" -j RETURN$/;

/** Reads the ledger chain's rules. Lines that are no entry are ignored (the next rewrite drops them). */
export function readLedger(rules: readonly string[]): Ledger {
  const ledger: Ledger = { chains: new Set(), rules: new Map() };
  for (const rule of rules) {
    const chain = CHAIN_ENTRY.exec(rule);
    if (chain) {
      ledger.chains.add(chain[1]!);
      continue;
    }
    const owned = RULE_ENTRY.exec(rule);
    if (owned) {
      let hashes = ledger.rules.get(owned[1]!);
      if (!hashes) ledger.rules.set(owned[1]!, (hashes = new Set()));
      hashes.add(owned[2]!);
    }
  }
  return ledger;
}

export function ownsRule(ledger: Ledger, chain: string, rule: string): boolean {
  return ledger.rules.get(chain)?.has(ruleHash(rule)) ?? false;
}
