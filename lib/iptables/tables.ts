// Which kernel table and address family a state table name means, and which chains the kernel builds in.
// The built-in chains are fixed per table by the kernel (net/ipv4/netfilter/iptable_*.c, ip6table_*.c: the
// valid_hooks of each table); they are needed statically because iptables-nft shows no table at all until
// something was put in it, so the observed save cannot always tell that PREROUTING is built in.
import type { IptablesTable } from '../state/types.js';

/** ip4 = iptables-save/-restore, ip6 = ip6tables-save/-restore. */
export type IptablesFamily = 'ip4' | 'ip6';

export const IPTABLES_FAMILIES: readonly IptablesFamily[] = ['ip4', 'ip6'];

/** Every table name the state may use, in the order restores are written. */
export const STATE_TABLES: readonly IptablesTable[] = [
  'filter', 'nat', 'mangle', 'raw', 'ip6-filter', 'ip6-nat', 'ip6-mangle', 'ip6-raw',
];

export const BUILTIN_CHAINS: Readonly<Record<string, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** "ip6-nat" -> { family: "ip6", table: "nat" }. */
export function splitStateTable(name: IptablesTable): { family: IptablesFamily; table: string } {
  return name.startsWith('ip6-') ? { family: 'ip6', table: name.slice(4) } : { family: 'ip4', table: name };
}

/** Inverse of splitStateTable; undefined for kernel tables the state cannot name (security). */
export function stateTableName(family: IptablesFamily, table: string): IptablesTable | undefined {
  const name = family === 'ip6' ? `ip6-${table}` : table;
  return (STATE_TABLES as readonly string[]).includes(name) ? (name as IptablesTable) : undefined;
}

export function isBuiltinChain(table: string, chain: string): boolean {
  return BUILTIN_CHAINS[table]?.includes(chain) ?? false;
}

/** The kernel's limit: XT_EXTENSION_MAXNAMELEN 29 bytes including the NUL (uapi linux/netfilter/x_tables.h). */
export const MAX_CHAIN_NAME_LENGTH = 28;
