// Pure parse of iptables-save / ip6tables-save output (all tables, or one with -t; with or without -c).
// Rule text is kept exactly as printed after "-A CHAIN ": that canonical text is what the state holds and
// what the planner compares, so no normalisation happens here.

export interface SavedChain {
  /** Built-in chains have a policy (ACCEPT/DROP); user chains print "-". */
  builtin: boolean;
  policy: string | null;
}

export interface SavedTable {
  /** In the order iptables-save printed them (built-in first, then user chains sorted by name). */
  chains: Map<string, SavedChain>;
  /** Every declared chain has an entry, empty when it has no rules. */
  rules: Map<string, string[]>;
}

/** Kernel table name ("nat", "filter", ...) -> its chains and rules. */
export type SavedTables = Map<string, SavedTable>;

export class IptablesSaveParseError extends Error {
  constructor(
    readonly lineNumber: number,
    readonly line: string,
    reason: string,
  ) {
    super(`iptables-save output line ${lineNumber}: ${reason}: ${line}`);
    this.name = 'IptablesSaveParseError';
  }
}

const CHAIN_LINE = /^:(\S+) (\S+)(?: \[\d+:\d+\])?$/;
const RULE_LINE = /^(?:\[\d+:\d+\] )?-A (\S+)(?: (.*))?$/;

export function parseIptablesSave(text: string): SavedTables {
  const tables: SavedTables = new Map();
  let current: SavedTable | undefined;
  let currentName = '';
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const fail = (reason: string): never => {
      throw new IptablesSaveParseError(index + 1, line, reason);
    };
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      if (current) fail(`table ${currentName} has no COMMIT before the next table`);
      currentName = line.slice(1);
      if (!currentName) fail('table without a name');
      if (tables.has(currentName)) fail('table printed twice');
      current = { chains: new Map(), rules: new Map() };
      tables.set(currentName, current);
      return;
    }
    if (!current) return fail('line outside a table');
    if (line === 'COMMIT') {
      current = undefined;
      return;
    }
    const chain = CHAIN_LINE.exec(line);
    if (chain) {
      const [, name, policy] = chain;
      const builtin = policy !== '-';
      current.chains.set(name!, { builtin, policy: builtin ? policy! : null });
      current.rules.set(name!, []);
      return;
    }
    const rule = RULE_LINE.exec(line);
    if (rule) {
      const list = current.rules.get(rule[1]!);
      if (!list) return fail(`rule in undeclared chain ${rule[1]}`);
      list.push(rule[2] ?? '');
      return;
    }
    fail('not a table, chain, rule or COMMIT line');
  });
  if (current) throw new IptablesSaveParseError(lines.length, '', `table ${currentName} has no COMMIT`);
  return tables;
}
