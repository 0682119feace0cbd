// Pure planner: from the desired iptables section of the state and what iptables-save printed, the
// `iptables-restore --noflush` input per family that makes the kernel match, plus one-liners for the apply
// output. Ownership follows lib/engine/OWNERSHIP.md (ledger chain IPVS-PROXIER-OWNED per table).
//
// Semantics, per table:
// - A chain that is not built in and is named in the state is ours: created when missing, adopted (claimed
//   in the ledger) when it exists unowned, and its rules replaced to exactly the given list when they
//   differ. Declaring `:CHAIN - [0:0]` in a --noflush restore flushes an existing chain, so "replace" is
//   declare + -A of every rule, in the same transaction.
// - Under a built-in chain the list holds our rules: each present once, in the given order, inserted at
//   the top; others' rules are never removed (builtin-chain-plan.ts).
// - An owned chain that left the state is flushed and deleted (-X), after removing the jumps into it from
//   built-in chains, which are ours by OWNERSHIP.md ("it jumps to an owned chain"). A rule in a FOREIGN
//   chain that jumps to it is never touched: the chain is then flushed but kept (and stays in the ledger),
//   with a warning, and deleted by the first sync after that jump is gone. An empty chain returns to the
//   caller at once, so the foreign jump becomes a no-op meanwhile.
// - The ledger is rewritten in the same restore as the change it records: one table is one transaction in
//   both iptables-nft-restore and iptables-legacy-restore, so the record and the objects cannot disagree.
//   A table where nothing is owned any more loses its ledger chain too.
// - A table that is neither in the state nor has a ledger is not looked at: foreign tables are not ours.
// - `desired` undefined means the same as {}: nothing desired, so everything owned is removed. (Callers
//   that want iptables left alone must not call the planner.)
import type { IptablesState, IptablesTable } from '../state/types.js';
import { planBuiltinChain } from './builtin-chain-plan.js';
import { LEDGER_CHAIN, ledgerChainEntry, ledgerRuleEntry, ownsRule, readLedger } from './ledger.js';
import { jumpTarget } from './rule-text.js';
import type { SavedTable, SavedTables } from './save-parser.js';
import {
  BUILTIN_CHAINS, type IptablesFamily, isBuiltinChain, MAX_CHAIN_NAME_LENGTH, STATE_TABLES, splitStateTable,
} from './tables.js';

/** What iptables-save / ip6tables-save printed, parsed; an empty Map when a family has no tables. */
export interface ObservedIptables {
  ip4: SavedTables;
  ip6: SavedTables;
}

export interface IptablesPlan {
  /** iptables-restore --noflush input, or null when nothing differs. */
  ip4: string | null;
  /** ip6tables-restore --noflush input, or null when nothing differs. */
  ip6: string | null;
  /** "+ chain nat KUBE-SERVICES", "~ chain nat KUBE-SERVICES: 3 rules", "+ rule nat PREROUTING ...", "- chain filter KUBE-OLD". */
  operations: string[];
  /** Things the plan cannot do without touching what is not ours. */
  warnings: string[];
}

export class IptablesStateError extends Error {
  constructor(
    readonly table: string,
    readonly chain: string | undefined,
    reason: string,
  ) {
    super(`iptables state, table ${table}${chain === undefined ? '' : ` chain ${chain}`}: ${reason}`);
    this.name = 'IptablesStateError';
  }
}

export function planIptables(desired: IptablesState | undefined, observed: ObservedIptables): IptablesPlan {
  validateIptablesState(desired ?? {});
  const restore: Record<IptablesFamily, string[]> = { ip4: [], ip6: [] };
  const operations: string[] = [];
  const warnings: string[] = [];
  for (const stateTable of STATE_TABLES) {
    const { family, table } = splitStateTable(stateTable);
    const plan = planTable(stateTable, table, desired?.[stateTable] ?? {}, observed[family].get(table));
    if (plan.lines.length > 0) restore[family].push(`*${table}`, ...plan.lines, 'COMMIT');
    operations.push(...plan.operations);
    warnings.push(...plan.warnings);
  }
  const text = (lines: string[]) => (lines.length > 0 ? `${lines.join('\n')}\n` : null);
  return { ip4: text(restore.ip4), ip6: text(restore.ip6), operations, warnings };
}

/** Throws IptablesStateError for what iptables-restore would reject or what would break ownership. */
export function validateIptablesState(state: IptablesState): void {
  for (const [stateTable, chains] of Object.entries(state)) {
    if (!(STATE_TABLES as readonly string[]).includes(stateTable)) {
      throw new IptablesStateError(stateTable, undefined, `unknown table (known: ${STATE_TABLES.join(', ')})`);
    }
    if (chains === undefined) continue;
    for (const [chain, rules] of Object.entries(chains)) {
      if (chain === LEDGER_CHAIN) throw new IptablesStateError(stateTable, chain, 'is the ownership ledger and may not be named');
      if (!/^[^\s"'!-][^\s"']*$/.test(chain) || chain.length > MAX_CHAIN_NAME_LENGTH) {
        throw new IptablesStateError(stateTable, chain, `not a valid chain name (no blanks or quotes, at most ${MAX_CHAIN_NAME_LENGTH} characters)`);
      }
      if (!Array.isArray(rules)) throw new IptablesStateError(stateTable, chain, 'rules must be a list');
      for (const rule of rules) {
        if (typeof rule !== 'string' || /[\r\n]/.test(rule)) throw new IptablesStateError(stateTable, chain, `not a one-line rule: ${JSON.stringify(rule)}`);
        try {
          jumpTarget(rule);
        } catch (e) {
          throw new IptablesStateError(stateTable, chain, (e as Error).message);
        }
      }
    }
  }
}

interface TablePlan {
  lines: string[];
  operations: string[];
  warnings: string[];
}

function planTable(stateTable: IptablesTable, table: string, want: Record<string, string[]>, have: SavedTable | undefined): TablePlan {
  const haveChains = have?.chains ?? new Map();
  const haveRules = (chain: string): string[] => have?.rules.get(chain) ?? [];
  const ledgerExists = haveChains.has(LEDGER_CHAIN);
  if (Object.keys(want).length === 0 && !ledgerExists) return { lines: [], operations: [], warnings: [] };

  const ledger = readLedger(haveRules(LEDGER_CHAIN));
  const builtin = (chain: string) => isBuiltinChain(table, chain) || haveChains.get(chain)?.builtin === true;
  const wantOwn = Object.keys(want).filter((c) => !builtin(c)).sort();
  const ownedBefore = [...ledger.chains].filter((c) => !builtin(c) && c !== LEDGER_CHAIN);
  const ownedAll = new Set([...wantOwn, ...ownedBefore]);
  const leaving = ownedBefore.filter((c) => want[c] === undefined && haveChains.has(c)).sort();

  const declare: string[] = [];
  const edits: string[] = [];
  const appends: string[] = [];
  const removals: string[] = [];
  const operations: string[] = [];
  const warnings: string[] = [];
  const rule = (verb: string, chain: string, text: string) => (text === '' ? `${verb} ${chain}` : `${verb} ${chain} ${text}`);

  // Built-in chains: our rules in place, in order, once.
  const finalRules = new Map<string, readonly string[]>();
  const builtinChains = [
    ...(BUILTIN_CHAINS[table] ?? []),
    ...[...haveChains.keys()].filter((c) => builtin(c) && !isBuiltinChain(table, c)),
  ];
  for (const chain of builtinChains) {
    const desiredList = [...new Set(want[chain] ?? [])];
    const desiredSet = new Set(desiredList);
    const isOwned = (text: string) => desiredSet.has(text) || ownedAll.has(safeJumpTarget(text) ?? '') || ownsRule(ledger, chain, text);
    const plan = planBuiltinChain(haveRules(chain), desiredList, isOwned);
    finalRules.set(chain, plan.final);
    const inserted = new Set(plan.inserts.map((i) => i.rule));
    const deleted = new Set(plan.deletes);
    for (const text of plan.deletes) {
      edits.push(rule(`-D`, chain, text));
      if (!desiredSet.has(text)) operations.push(`- rule ${stateTable} ${chain} ${text}`);
      else if (!inserted.has(text)) operations.push(`- rule ${stateTable} ${chain} ${text} (duplicate)`);
    }
    for (const { position, rule: text } of plan.inserts) {
      edits.push(rule(`-I`, chain, `${position} ${text}`.trimEnd()));
      operations.push(deleted.has(text) ? `~ rule ${stateTable} ${chain} ${text}: moved` : `+ rule ${stateTable} ${chain} ${text}`);
    }
  }

  // Which leaving chains something that stays still jumps to: those are kept, empty.
  const referrers = new Map<string, Set<string>>();
  const noteJumps = (from: string, rules: readonly string[]) => {
    for (const text of rules) {
      const target = safeJumpTarget(text);
      if (target === undefined) continue;
      let set = referrers.get(target);
      if (!set) referrers.set(target, (set = new Set()));
      set.add(from);
    }
  };
  for (const [chain, rules] of finalRules) noteJumps(chain, rules);
  for (const chain of wantOwn) noteJumps(chain, want[chain]!);
  for (const chain of haveChains.keys()) {
    if (!builtin(chain) && !ownedAll.has(chain) && chain !== LEDGER_CHAIN) noteJumps(chain, haveRules(chain));
  }
  const kept = leaving.filter((c) => referrers.has(c));
  const deleted = leaving.filter((c) => !referrers.has(c));

  // Our chains: create, adopt, replace.
  for (const chain of wantOwn) {
    const rules = want[chain]!;
    const claimed = ledger.chains.has(chain);
    if (!haveChains.has(chain)) {
      operations.push(`+ chain ${stateTable} ${chain}`);
    } else if (!sameList(haveRules(chain), rules)) {
      operations.push(`~ chain ${stateTable} ${chain}: ${rules.length} rules${claimed ? '' : ' (adopted)'}`);
    } else {
      if (!claimed) operations.push(`~ chain ${stateTable} ${chain}: adopted`);
      continue;
    }
    declare.push(`:${chain} - [0:0]`);
    for (const text of rules) appends.push(rule('-A', chain, text));
  }

  // Chains that left the state.
  for (const chain of deleted) {
    declare.push(`:${chain} - [0:0]`);
    removals.push(`-X ${chain}`);
    operations.push(`- chain ${stateTable} ${chain}`);
  }
  for (const chain of kept) {
    const from = [...referrers.get(chain)!].sort().join(', ');
    if (haveRules(chain).length > 0) {
      declare.push(`:${chain} - [0:0]`);
      operations.push(`~ chain ${stateTable} ${chain}: emptied, kept (jumped to from ${from})`);
    }
    warnings.push(
      `iptables ${stateTable}: chain ${chain} left the state but ${from} still jumps to it; ` +
        'it is kept empty (a rule in a chain that is not ours is never touched) and deleted once nothing jumps to it',
    );
  }

  // The ledger: every owned chain, and every desired built-in rule that is not ours by its jump.
  const ownedAfter = new Set([...wantOwn, ...kept]);
  const entries = new Set([...ownedAfter].map(ledgerChainEntry));
  for (const chain of builtinChains) {
    for (const text of want[chain] ?? []) {
      if (!ownedAfter.has(safeJumpTarget(text) ?? '')) entries.add(ledgerRuleEntry(chain, text));
    }
  }
  const ledgerAfter = [...entries].sort();
  let ledgerChanged = false;
  if (ledgerAfter.length === 0) {
    if (ledgerExists) {
      declare.unshift(`:${LEDGER_CHAIN} - [0:0]`);
      removals.push(`-X ${LEDGER_CHAIN}`);
      ledgerChanged = true;
    }
  } else if (!ledgerExists || !sameList(haveRules(LEDGER_CHAIN), ledgerAfter)) {
    declare.unshift(`:${LEDGER_CHAIN} - [0:0]`);
    for (const entry of ledgerAfter) appends.push(rule('-A', LEDGER_CHAIN, entry));
    ledgerChanged = true;
  }
  // Every restore is explained: a ledger-only rewrite (an entry for a chain someone else deleted) says so.
  if (ledgerChanged && operations.length === 0) {
    operations.push(`~ ledger ${stateTable} ${LEDGER_CHAIN}: ${ledgerAfter.length === 0 ? 'removed' : `${ledgerAfter.length} entries`}`);
  }

  return { lines: [...declare, ...edits, ...appends, ...removals], operations, warnings };
}

/** A foreign rule's text came from iptables-save and always tokenizes; never let one stop a sync. */
function safeJumpTarget(text: string): string | undefined {
  try {
    return jumpTarget(text);
  } catch {
    return undefined;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
