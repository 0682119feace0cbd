// One iptables sync: save, plan, restore only what differs; then save again to check the kernel now
// matches (a rule not written in iptables-save's canonical form would otherwise be "changed" on every sync,
// silently, forever: the check turns that into a warning naming it).
import type { IptablesState, IptablesTable } from '../state/types.js';
import { type IptablesPlan, type ObservedIptables, planIptables, validateIptablesState } from './plan.js';
import type { IptablesRunner } from './runner.js';
import { parseIptablesSave, type SavedTables } from './save-parser.js';
import { IPTABLES_FAMILIES, type IptablesFamily, splitStateTable } from './tables.js';

export interface IptablesSyncResult {
  operations: string[];
  warnings: string[];
}

export interface IptablesSyncOptions {
  /** Save again after a restore and warn when the kernel still differs (default true). */
  verify?: boolean;
}

export async function syncIptables(
  desired: IptablesState | undefined,
  runner: IptablesRunner,
  options: IptablesSyncOptions = {},
): Promise<IptablesSyncResult> {
  validateIptablesState(desired ?? {});
  const warnings: string[] = [];
  const needed = familiesInState(desired);
  const observed = await observe(runner, needed, IPTABLES_FAMILIES, warnings);
  const plan = planIptables(desired, observed);
  warnings.push(...plan.warnings);
  const applied = await apply(runner, plan);

  if (applied.length > 0 && options.verify !== false) {
    const again = await observe(runner, needed, applied, warnings);
    for (const family of IPTABLES_FAMILIES) if (!applied.includes(family)) again[family] = observed[family];
    const check = planIptables(desired, again);
    if (check.operations.length > 0) {
      warnings.push(
        'iptables still differs from the state right after applying it (are the rules in iptables-save\'s ' +
          `canonical form? compare with iptables-save): ${check.operations.join('; ')}`,
      );
    }
  }
  return { operations: plan.operations, warnings };
}

/** Both families' iptables-save, parsed (for ownedIptablesState, or a plan made elsewhere). */
export async function readIptables(runner: IptablesRunner): Promise<ObservedIptables> {
  return observe(runner, new Set(IPTABLES_FAMILIES), IPTABLES_FAMILIES, []);
}

/** Removes every chain and rule the ledgers say are ours, then the ledger chains (`--cleanup`). */
export async function cleanupIptables(runner: IptablesRunner): Promise<IptablesSyncResult> {
  return syncIptables({}, runner);
}

/** Restores each family that has something to do; returns the families restored. */
async function apply(runner: IptablesRunner, plan: IptablesPlan): Promise<IptablesFamily[]> {
  const applied: IptablesFamily[] = [];
  for (const family of IPTABLES_FAMILIES) {
    const input = plan[family];
    if (input === null) continue;
    await runner.restore(family, input);
    applied.push(family);
  }
  return applied;
}

/**
 * Saves the given families. A family the state does not use may lack its tools or kernel support (no
 * IPv6): then there can be nothing of ours in it either, so a failing save is a warning, not an error.
 */
async function observe(
  runner: IptablesRunner,
  needed: ReadonlySet<IptablesFamily>,
  families: readonly IptablesFamily[],
  warnings: string[],
): Promise<ObservedIptables> {
  const observed: ObservedIptables = { ip4: new Map(), ip6: new Map() };
  for (const family of families) {
    let tables: SavedTables;
    try {
      tables = parseIptablesSave(await runner.save(family));
    } catch (e) {
      if (needed.has(family)) throw e;
      warnings.push(`iptables ${family} not synced: ${(e as Error).message}`);
      continue;
    }
    observed[family] = tables;
  }
  return observed;
}

function familiesInState(desired: IptablesState | undefined): Set<IptablesFamily> {
  const families = new Set<IptablesFamily>();
  for (const [table, chains] of Object.entries(desired ?? {})) {
    if (chains && Object.keys(chains).length > 0) families.add(splitStateTable(table as IptablesTable).family);
  }
  return families;
}
