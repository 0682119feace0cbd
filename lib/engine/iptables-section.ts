// What the planner needs to know about an iptables section (the rules themselves are the iptables
// module's business): whether two sections are the same, which ipsets a section uses, and the same
// section with some set names replaced (to rebuild a set the kernel cannot swap while rules use it, see
// plan-ipsets.ts). Rules are iptables-save text, so a set name is the word after one of xt_set's options.
import type { IptablesState } from '../state/types.js';

/** xt_set's options that name a set (`-m set --match-set`, `-j SET --add-set/--del-set/--map-set`). */
const SET_OPTIONS = new Set(['--match-set', '--add-set', '--del-set', '--map-set']);

export function setsUsedByRules(iptables: IptablesState): Set<string> {
  const used = new Set<string>();
  forEachRule(iptables, (rule) => {
    const words = rule.split(/\s+/);
    for (let i = 0; i + 1 < words.length; i++) if (SET_OPTIONS.has(words[i]!)) used.add(words[i + 1]!);
  });
  return used;
}

/** A copy of `iptables` in which every rule uses `renames.get(name)` in place of `name`. */
export function renameSetsInRules(iptables: IptablesState, renames: ReadonlyMap<string, string>): IptablesState {
  const out: IptablesState = {};
  for (const [table, chains] of Object.entries(iptables) as [keyof IptablesState, Record<string, string[]>][]) {
    const copy: Record<string, string[]> = {};
    for (const [chain, rules] of Object.entries(chains)) {
      copy[chain] = rules.map((rule) => {
        const words = rule.split(' ');
        for (let i = 0; i + 1 < words.length; i++) {
          const to = SET_OPTIONS.has(words[i]!) ? renames.get(words[i + 1]!) : undefined;
          if (to !== undefined) words[i + 1] = to;
        }
        return words.join(' ');
      });
    }
    out[table] = copy;
  }
  return out;
}

function forEachRule(iptables: IptablesState, f: (rule: string) => void): void {
  for (const chains of Object.values(iptables)) {
    if (!chains) continue;
    for (const rules of Object.values(chains)) for (const r of rules) f(r);
  }
}

/** Same tables, same chains, same rules in the same order (key order of the objects does not matter). */
export function sameIptablesSection(a: IptablesState, b: IptablesState): boolean {
  const tables = (s: IptablesState): string[] => Object.keys(s).filter((t) => s[t as keyof IptablesState] !== undefined).sort();
  const ta = tables(a);
  if (ta.join('\n') !== tables(b).join('\n')) return false;
  return ta.every((t) => {
    const ca = a[t as keyof IptablesState]!;
    const cb = b[t as keyof IptablesState]!;
    const chains = Object.keys(ca).sort();
    if (chains.join('\n') !== Object.keys(cb).sort().join('\n')) return false;
    return chains.every((c) => ca[c]!.length === cb[c]!.length && ca[c]!.every((r, i) => r === cb[c]![i]));
  });
}
