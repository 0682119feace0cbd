// Ordering rules every plan must keep, checked generically over an operation list. The simulator already
// refuses what the kernel refuses; these are the rules about ownership records and traffic on top of it.
import { virtualServerKey } from '../../../../lib/state/canonical.js';
import type { VirtualServer } from '../../../../lib/state/types.js';
import { ledgerEntryFor, LEDGER_SETS, TEMPORARY_SET_PREFIX } from '../../../../lib/engine/ledger.js';
import type { ObservedState } from '../../../../lib/engine/observed.js';
import { describe as describeOp, type Operation } from '../../../../lib/engine/operations.js';

function keyOf(service: object): string {
  return virtualServerKey(service as VirtualServer);
}

function ledgerText(set: string, entry: string): string {
  return `${set} ${entry}`;
}

/** Human-readable violations; empty when the plan keeps every rule. */
export function orderingViolations(ops: readonly Operation[], observed: ObservedState): string[] {
  const out: string[] = [];
  const at = (i: number): string => `#${i} ${describeOp(ops[i]!)}`;
  const observedVs = new Set(observed.virtualServers.map((v) => virtualServerKey(v)));
  const observedSets = new Set(observed.ipsets.map((s) => s.name));
  const firstIndex = (pred: (op: Operation) => boolean): number => ops.findIndex(pred);
  const lastIndex = (pred: (op: Operation) => boolean): number => {
    for (let i = ops.length - 1; i >= 0; i--) if (pred(ops[i]!)) return i;
    return -1;
  };
  const ledgerAddAt = (set: string, entry: string): number =>
    firstIndex((o) => o.kind === 'ledger-add' && ledgerText(o.set, o.entry) === ledgerText(set, entry));
  const ledgerDelAt = (set: string, entry: string): number =>
    lastIndex((o) => o.kind === 'ledger-del' && ledgerText(o.set, o.entry) === ledgerText(set, entry));

  const rsAdds = new Map<string, number[]>();
  const rsDels = new Map<string, number[]>();
  ops.forEach((op, i) => {
    switch (op.kind) {
      case 'vs-add': {
        const key = keyOf(op.service);
        const e = ledgerEntryFor(op.service);
        if (!observed.ledger.virtualServers.has(key)) {
          const l = ledgerAddAt(e.set, e.entry);
          if (l < 0 || l > i) out.push(`${at(i)}: not recorded in the ledger before it is created`);
        }
        break;
      }
      case 'vs-del': {
        const e = ledgerEntryFor(op.service);
        const l = ledgerDelAt(e.set, e.entry);
        if (l >= 0 && l < i) out.push(`${at(i)}: ledger entry removed before the virtual server`);
        break;
      }
      case 'rs-add':
      case 'rs-update':
      case 'rs-del': {
        const key = keyOf(op.service);
        const added = firstIndex((o) => o.kind === 'vs-add' && keyOf(o.service) === key);
        if (!observedVs.has(key) && (added < 0 || added > i)) out.push(`${at(i)}: its virtual server does not exist yet`);
        const deleted = firstIndex((o) => o.kind === 'vs-del' && keyOf(o.service) === key);
        if (deleted >= 0 && deleted < i) out.push(`${at(i)}: its virtual server was deleted before`);
        if (op.kind === 'rs-add') rsAdds.set(key, [...(rsAdds.get(key) ?? []), i]);
        if (op.kind === 'rs-del' || (op.kind === 'rs-update' && op.draining !== undefined)) rsDels.set(key, [...(rsDels.get(key) ?? []), i]);
        break;
      }
      case 'ipset-destroy': {
        if (op.name.startsWith(TEMPORARY_SET_PREFIX)) break;
        const firstSync = firstIndex((o) => o.kind === 'iptables-sync');
        if (firstSync > i) out.push(`${at(i)}: destroyed before the iptables sync stopped using it`);
        if (observed.ledger.ipsets.has(op.name)) {
          const released = ops.slice(0, i).some((o) => o.kind === 'ledger-del' && o.set === LEDGER_SETS && o.entry === op.name);
          if (!released) out.push(`${at(i)}: owned set destroyed while still in the ledger`);
        }
        break;
      }
      case 'ipset-create':
      case 'ipset-add': {
        const name = op.kind === 'ipset-create' ? op.set.name : op.name;
        if (name.startsWith(TEMPORARY_SET_PREFIX)) break;
        const lastSync = lastIndex((o) => o.kind === 'iptables-sync');
        if (lastSync >= 0 && lastSync < i) out.push(`${at(i)}: set filled after the final iptables sync that uses it`);
        if (op.kind === 'ipset-create' && !observedSets.has(name) && !observed.ledger.ipsets.has(name)) {
          const l = ledgerAddAt(LEDGER_SETS, name);
          if (l < 0) out.push(`${at(i)}: created set never recorded in the ledger`);
        }
        break;
      }
      case 'address-add': {
        const vsOp = firstIndex((o) => o.kind.startsWith('vs-') || o.kind.startsWith('rs-'));
        if (vsOp >= 0 && vsOp < i) out.push(`${at(i)}: address added after IPVS changes began`);
        break;
      }
      case 'address-del': {
        const vsOp = lastIndex((o) => o.kind.startsWith('vs-') || o.kind.startsWith('rs-'));
        if (vsOp > i) out.push(`${at(i)}: address removed before IPVS changes ended`);
        break;
      }
      default:
        break;
    }
  });
  for (const [key, dels] of rsDels) {
    const adds = rsAdds.get(key) ?? [];
    if (adds.length > 0 && Math.max(...adds) > Math.min(...dels)) {
      out.push(`${key}: a real server is removed (#${Math.min(...dels)}) before all new ones are added (#${Math.max(...adds)})`);
    }
  }
  return out;
}

/** Names of the objects an operation touches: "vs tcp 10.96.0.10:80", "ipset KUBE-X". */
export function touchedObjects(op: Operation): string[] {
  switch (op.kind) {
    case 'vs-add':
    case 'vs-update':
    case 'vs-del':
    case 'rs-add':
    case 'rs-update':
    case 'rs-del':
      return [`vs ${keyOf(op.service)}`];
    case 'ipset-create':
      return [`ipset ${op.set.name}`];
    case 'ipset-add':
    case 'ipset-del':
    case 'ipset-destroy':
    case 'ipset-flush':
      return [`ipset ${op.name}`];
    case 'ipset-swap':
      return [`ipset ${op.name}`, `ipset ${op.with}`];
    case 'ipset-rename':
      return [`ipset ${op.from}`, `ipset ${op.to}`];
    case 'ledger-add':
    case 'ledger-del':
      return op.set === LEDGER_SETS ? [`ipset ${op.entry}`] : [`vs ${op.object.replace(/^virtual server /, '')}`];
    case 'address-add':
    case 'address-del':
    case 'link-create':
    case 'link-del':
      return [`interface ${'interface' in op ? op.interface : op.name}`];
    default:
      return [];
  }
}
