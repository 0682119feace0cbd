// The steps of a plan: small plain objects the executor turns into batched netlink messages (and the
// simulator applies to a model), each with one line of text for `apply`'s output.
import { realServerKey, virtualServerKey } from '../state/canonical.js';
import type { Family, IpsetState, IptablesState, RealServer, VirtualServer } from '../state/types.js';
import { ledgerSetSpec, type LedgerSetName, type VirtualServerId } from './ledger.js';

/** A virtual server's own settings, without its real servers. */
export type ServiceSpec = Omit<VirtualServer, 'realServers'>;
/** A set's creation settings, without its members. */
export type IpsetSpec = Omit<IpsetState, 'entries'>;

export type ServiceChange = 'scheduler' | 'flags' | 'timeout' | 'netmask' | 'pe';
export type RealServerChange = 'weight' | 'forward' | 'upperThreshold' | 'lowerThreshold';

export type Operation =
  // The ledger (OWNERSHIP.md). Entries are added before the object they record is created and removed
  // after it is gone, except in IPVS-PROXIER-SETS, where the kernel needs the member set to exist (see plan.ts).
  | { kind: 'ledger-create'; set: LedgerSetName }
  | { kind: 'ledger-destroy'; set: LedgerSetName }
  | { kind: 'ledger-add'; set: LedgerSetName; entry: string; object: string }
  | { kind: 'ledger-del'; set: LedgerSetName; entry: string; object: string }
  // The interface named in the state (a dummy link) and its addresses.
  | { kind: 'link-create'; name: string }
  | { kind: 'link-del'; name: string }
  | { kind: 'address-add'; interface: string; address: string }
  | { kind: 'address-del'; interface: string; address: string }
  // IPVS. vs-update and rs-update change a live object in place (SET_SERVICE / SET_DEST): connections survive.
  | { kind: 'vs-add'; service: ServiceSpec }
  | { kind: 'vs-update'; service: ServiceSpec; previous: ServiceSpec; changes: ServiceChange[] }
  | { kind: 'vs-del'; service: ServiceSpec }
  | { kind: 'rs-add'; service: VirtualServerId; realServer: RealServer }
  | {
      kind: 'rs-update';
      service: VirtualServerId;
      realServer: RealServer;
      previous: RealServer;
      changes: RealServerChange[];
      /** Set when this is graceful termination: the real server's connections, kept until they drain. */
      draining?: number;
    }
  | { kind: 'rs-del'; service: VirtualServerId; realServer: RealServer }
  // ipsets. Entry ops carry the set's type and family: the executor encodes members by type.
  | { kind: 'ipset-create'; set: IpsetSpec }
  | { kind: 'ipset-add'; name: string; type: string; family: Family; entries: string[] }
  | { kind: 'ipset-del'; name: string; type: string; family: Family; entries: string[] }
  | { kind: 'ipset-destroy'; name: string }
  | { kind: 'ipset-swap'; name: string; with: string }
  | { kind: 'ipset-rename'; from: string; to: string }
  | { kind: 'ipset-flush'; name: string }
  /**
   * Make the iptables rules we own equal `iptables` (a table absent from it keeps nothing of ours); the
   * iptables module plans the rule changes. `renamedSets` marks an interim sync in which rules use
   * temporary sets in place of sets being re-created (name -> temporary name).
   */
  | { kind: 'iptables-sync'; iptables: IptablesState; renamedSets?: Readonly<Record<string, string>> };

export type OperationKind = Operation['kind'];

/** One line for the apply output: "+ virtual server tcp 10.96.0.10:80 rr". */
export function describe(op: Operation): string {
  switch (op.kind) {
    case 'ledger-create': {
      const spec = ledgerSetSpec(op.set);
      return `+ ledger set ${op.set} ${spec.type}${spec.family ? ` ${spec.family}` : ''}`;
    }
    case 'ledger-destroy':
      return `- ledger set ${op.set}`;
    case 'ledger-add':
      return `+ ledger ${op.set} ${op.entry} (${op.object})`;
    case 'ledger-del':
      return `- ledger ${op.set} ${op.entry} (${op.object})`;
    case 'link-create':
      return `+ link ${op.name} (dummy)`;
    case 'link-del':
      return `- link ${op.name}`;
    case 'address-add':
      return `+ address ${op.address} on ${op.interface}`;
    case 'address-del':
      return `- address ${op.address} on ${op.interface}`;
    case 'vs-add':
      return `+ virtual server ${virtualServerKey(op.service as VirtualServer)} ${serviceSettings(op.service)}`;
    case 'vs-update':
      return `~ virtual server ${virtualServerKey(op.service as VirtualServer)} ${op.changes
        .map((c) => `${c} ${serviceField(op.previous, c)} -> ${serviceField(op.service, c)}`)
        .join(', ')}`;
    case 'vs-del':
      return `- virtual server ${virtualServerKey(op.service as VirtualServer)}`;
    case 'rs-add':
      return `+ real server ${realServerLabel(op.service, op.realServer)} ${realServerSettings(op.realServer)}`;
    case 'rs-update': {
      const changes = op.changes.map((c) => `${c} ${op.previous[c] ?? 0} -> ${op.realServer[c] ?? 0}`).join(', ');
      const why = op.draining !== undefined ? ` (graceful termination: ${op.draining} connections draining)` : '';
      return `~ real server ${realServerLabel(op.service, op.realServer)} ${changes}${why}`;
    }
    case 'rs-del':
      return `- real server ${realServerLabel(op.service, op.realServer)}`;
    case 'ipset-create': {
      const s = op.set;
      const opts = [
        s.type === 'bitmap:port' ? '' : s.family,
        s.hashsize !== undefined ? `hashsize ${s.hashsize}` : '',
        s.maxelem !== undefined ? `maxelem ${s.maxelem}` : '',
        s.range !== undefined ? `range ${s.range}` : '',
      ].filter(Boolean);
      return `+ ipset ${s.name} ${s.type}${opts.length ? ` ${opts.join(' ')}` : ''}`;
    }
    case 'ipset-add':
      return `+ ipset ${entriesLabel(op.entries)} ${op.name} ${op.entries.join(' ')}`;
    case 'ipset-del':
      return `- ipset ${entriesLabel(op.entries)} ${op.name} ${op.entries.join(' ')}`;
    case 'ipset-destroy':
      return `- ipset ${op.name}`;
    case 'ipset-swap':
      return `~ ipset swap ${op.name} <-> ${op.with}`;
    case 'ipset-rename':
      return `~ ipset rename ${op.from} -> ${op.to}`;
    case 'ipset-flush':
      return `~ ipset flush ${op.name}`;
    case 'iptables-sync': {
      if (op.renamedSets) {
        const pairs = Object.entries(op.renamedSets).map(([from, to]) => `${from} -> ${to}`);
        return `~ iptables sync, interim: rules use ${pairs.join(', ')} while the sets are re-created`;
      }
      const tables = Object.entries(op.iptables).map(([t, chains]) => `${t} (${Object.keys(chains ?? {}).length} chains)`);
      return tables.length ? `~ iptables sync ${tables.join(', ')}` : '~ iptables sync: remove every rule and chain we own';
    }
  }
}

function serviceSettings(s: ServiceSpec): string {
  const parts = [s.scheduler, ...s.flags];
  if (s.timeout !== undefined) parts.push(`timeout ${s.timeout}`);
  if (s.netmask !== undefined) parts.push(`netmask ${s.netmask}`);
  if (s.pe !== undefined) parts.push(`pe ${s.pe}`);
  return parts.join(' ');
}

function serviceField(s: ServiceSpec, c: ServiceChange): string {
  const v = s[c];
  if (Array.isArray(v)) return v.length ? v.join(',') : 'none';
  return v === undefined ? 'none' : String(v);
}

function realServerLabel(service: VirtualServerId, rs: RealServer): string {
  return `${virtualServerKey(service as VirtualServer)} -> ${realServerKey(rs)}`;
}

function realServerSettings(rs: RealServer): string {
  const parts = [rs.forward, `weight ${rs.weight}`];
  if (rs.upperThreshold) parts.push(`upper ${rs.upperThreshold}`);
  if (rs.lowerThreshold) parts.push(`lower ${rs.lowerThreshold}`);
  return parts.join(' ');
}

function entriesLabel(entries: readonly string[]): string {
  return entries.length === 1 ? 'entry' : `${entries.length} entries`;
}
