// An in-memory iptables for tests: save() prints like iptables-save, restore() runs the --noflush subset
// the planner writes (*table, :CHAIN - [0:0], -N, -F, -A, -I [n], -D rule|n, -X, COMMIT) with the kernel's
// rules: declaring an existing user chain flushes it, -D removes the first identical rule, -X refuses a
// built-in, non-empty or still-referenced chain, a jump needs an existing chain or a known target, and a
// failing input changes nothing (iptables-nft-restore is one transaction). It is stricter than the real
// tools where being strict catches planner mistakes; test/e2e/iptables runs the same scenarios for real.
import { jumpTarget } from './rule-text.js';
import { IptablesCommandError, type IptablesRunner } from './runner.js';
import { parseIptablesSave, type SavedTable, type SavedTables } from './save-parser.js';
import { BUILTIN_CHAINS, type IptablesFamily } from './tables.js';

/** Targets implemented by extensions rather than chains (a chain name wins over these, as in iptables). */
const KNOWN_TARGETS = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'MARK', 'CONNMARK', 'MASQUERADE', 'SNAT', 'DNAT', 'REDIRECT', 'REJECT', 'LOG',
  'NOTRACK', 'CT', 'TPROXY', 'SET', 'NFLOG', 'TCPMSS',
]);

export class FakeIptablesRunner implements IptablesRunner {
  readonly tables: Record<IptablesFamily, SavedTables>;
  /** Every restore input received, in order, including failed ones. */
  readonly restores: { family: IptablesFamily; input: string }[] = [];
  saves = 0;
  /** Families whose save fails as if the tools or the kernel support were missing. */
  readonly unavailable = new Set<IptablesFamily>();

  /** Starts from iptables-save text per family (empty: no tables). */
  constructor(initial: Partial<Record<IptablesFamily, string>> = {}) {
    this.tables = { ip4: parseIptablesSave(initial.ip4 ?? ''), ip6: parseIptablesSave(initial.ip6 ?? '') };
  }

  async save(family: IptablesFamily): Promise<string> {
    this.saves++;
    if (this.unavailable.has(family)) {
      throw new IptablesCommandError('save', family, [`fake-${family}tables-save`], 1, 'fake: no such family here');
    }
    return renderSave(this.tables[family]);
  }

  async restore(family: IptablesFamily, input: string): Promise<void> {
    this.restores.push({ family, input });
    const work = cloneTables(this.tables[family]);
    const lines = input.split('\n');
    let current: SavedTable | undefined;
    let currentName = '';
    lines.forEach((line, index) => {
      const fail = (reason: string): never => {
        throw new IptablesCommandError('restore', family, ['fake-iptables-restore', '--noflush'], 1, `fake-iptables-restore: line ${index + 1} failed: ${reason}`, index + 1, line);
      };
      if (line === '' || line.startsWith('#')) return;
      if (line.startsWith('*')) {
        if (current) fail('table without COMMIT');
        currentName = line.slice(1);
        const builtins = BUILTIN_CHAINS[currentName] ?? fail(`table name '${currentName}' invalid`);
        current = work.get(currentName);
        if (!current) {
          current = { chains: new Map(), rules: new Map() };
          for (const chain of builtins) {
            current.chains.set(chain, { builtin: true, policy: 'ACCEPT' });
            current.rules.set(chain, []);
          }
          work.set(currentName, current);
        }
        return;
      }
      const table = current ?? fail('command outside a table');
      if (line === 'COMMIT') {
        current = undefined;
        return;
      }
      const declaration = /^:(\S+) (\S+) \[\d+:\d+\]$/.exec(line);
      if (declaration) {
        const [, chain, policy] = declaration;
        const known = table.chains.get(chain!);
        if (policy === '-') {
          if (known?.builtin) fail(`built-in chain ${chain} declared as a user chain`);
          table.chains.set(chain!, { builtin: false, policy: null });
          table.rules.set(chain!, []);
        } else {
          if (!known?.builtin) fail(`policy for a chain that is not built in: ${chain}`);
          known!.policy = policy!;
        }
        return;
      }
      const command = /^(-[AIDXNF]) (\S+)(?: (.*))?$/.exec(line) ?? fail('unknown command');
      const [, verb, chain] = command;
      let rest = command[3] ?? '';
      const rules = table.rules.get(chain!);
      const checkTarget = (rule: string) => {
        const target = jumpTarget(rule);
        if (target === undefined || KNOWN_TARGETS.has(target)) return;
        const chainInfo = table.chains.get(target) ?? fail(`Couldn't load target \`${target}'`);
        if (chainInfo.builtin) fail(`cannot jump to built-in chain ${target}`);
      };
      switch (verb) {
        case '-N':
          if (rules) fail(`Chain already exists: ${chain}`);
          table.chains.set(chain!, { builtin: false, policy: null });
          table.rules.set(chain!, []);
          return;
        case '-F':
          if (!rules) fail(`No chain/target/match by that name: ${chain}`);
          rules!.length = 0;
          return;
        case '-X': {
          if (!rules) fail(`No chain/target/match by that name: ${chain}`);
          if (table.chains.get(chain!)!.builtin) fail(`cannot delete built-in chain ${chain}`);
          if (rules!.length > 0) fail(`Directory not empty: ${chain}`);
          for (const [from, list] of table.rules) {
            if (list.some((r) => jumpTarget(r) === chain)) fail(`Device or resource busy: ${chain} (jumped to from ${from})`);
          }
          table.chains.delete(chain!);
          table.rules.delete(chain!);
          return;
        }
        case '-A':
          if (!rules) fail(`No chain/target/match by that name: ${chain}`);
          checkTarget(rest);
          rules!.push(rest);
          return;
        case '-I': {
          if (!rules) fail(`No chain/target/match by that name: ${chain}`);
          let position = 1;
          const numbered = /^(\d+)(?: (.*))?$/.exec(rest);
          if (numbered) {
            position = Number(numbered[1]);
            rest = numbered[2] ?? '';
          }
          if (position < 1 || position > rules!.length + 1) fail('Index of insertion too big.');
          checkTarget(rest);
          rules!.splice(position - 1, 0, rest);
          return;
        }
        case '-D': {
          if (!rules) fail(`No chain/target/match by that name: ${chain}`);
          const at = /^\d+$/.test(rest) ? Number(rest) - 1 : rules!.indexOf(rest);
          if (at < 0 || at >= rules!.length) fail('Bad rule (does a matching rule exist in that chain?).');
          rules!.splice(at, 1);
          return;
        }
      }
    });
    if (current) {
      throw new IptablesCommandError('restore', family, ['fake-iptables-restore'], 1, `fake-iptables-restore: table ${currentName} has no COMMIT`);
    }
    this.tables[family] = work;
  }
}

/** iptables-save's layout: built-in chains in the kernel's order, then user chains by name. */
export function renderSave(tables: SavedTables): string {
  const out: string[] = [];
  for (const name of [...tables.keys()].sort()) {
    const table = tables.get(name)!;
    const order = BUILTIN_CHAINS[name] ?? [];
    const chains = [...table.chains.keys()].sort((a, b) => {
      const ai = order.indexOf(a);
      const bi = order.indexOf(b);
      if (ai >= 0 || bi >= 0) return (ai < 0 ? Infinity : ai) - (bi < 0 ? Infinity : bi);
      return a < b ? -1 : a > b ? 1 : 0;
    });
    out.push('# Generated by fake-iptables-save', `*${name}`);
    for (const chain of chains) out.push(`:${chain} ${table.chains.get(chain)!.policy ?? '-'} [0:0]`);
    for (const chain of chains) for (const rule of table.rules.get(chain)!) out.push(rule === '' ? `-A ${chain}` : `-A ${chain} ${rule}`);
    out.push('COMMIT', '# Completed');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

function cloneTables(tables: SavedTables): SavedTables {
  const copy: SavedTables = new Map();
  for (const [name, t] of tables) {
    copy.set(name, {
      chains: new Map([...t.chains].map(([c, info]) => [c, { ...info }])),
      rules: new Map([...t.rules].map(([c, list]) => [c, [...list]])),
    });
  }
  return copy;
}
