// Applies a plan to an observed state without a kernel: the dry-run's "what it would look like after",
// the engine's record of its last apply (for partial syncs), and the tests' check that a plan is valid.
// It refuses what the kernel refuses, with the errno the kernel returns, so an ordering mistake in a plan
// shows up here instead of halfway through a real apply.
import { EBUSY, EEXIST, EINVAL, ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL } from '../../native-free-netlink/core/errno.js';
import { canonicalRealServer, sameRealServerIdentity, virtualServerKey } from '../state/canonical.js';
import type { IpsetState, RealServer, VirtualServer } from '../state/types.js';
import { KernelError } from '../kernel/kernel-error.js';
import { swappable } from './ipset-compatibility.js';
import { setsUsedByRules } from './iptables-section.js';
import { modelFromObserved, observedFromModel, referencesTo, type KernelModel } from './kernel-model.js';
import { LEDGER_SETS, ledgerSetSpec } from './ledger.js';
import type { ObservedState } from './observed.js';
import { describe, type Operation } from './operations.js';

const ERANGE = 34;
const ENOSPC = 28;
const ELOOP = 40;

/**
 * `known`, `knownIpsets`: virtual servers and sets to share objects with; `knownCanonical`: they are
 * canonical (observedFromModel).
 */
export function applyOperationsToState(
  observed: ObservedState,
  ops: readonly Operation[],
  known?: readonly VirtualServer[],
  knownIpsets?: readonly IpsetState[],
  knownCanonical = false,
): ObservedState {
  const m = modelFromObserved(observed);
  for (const op of ops) applyOperation(m, op);
  return observedFromModel(m, known, knownIpsets, knownCanonical);
}

function refuse(op: Operation, errno: number, hint: string): never {
  throw new KernelError(op.kind, describe(op), errno, hint);
}

export function applyOperation(m: KernelModel, op: Operation): void {
  switch (op.kind) {
    case 'ledger-create': {
      if (m.sets.has(op.set)) refuse(op, EEXIST, 'a set with this name exists');
      const spec = ledgerSetSpec(op.set);
      m.sets.set(op.set, { name: op.set, type: spec.type, family: spec.family ?? 'inet', entries: new Set(), ...(spec.size ? { size: spec.size } : {}) });
      return;
    }
    case 'ledger-destroy':
    case 'ipset-destroy': {
      const name = op.kind === 'ledger-destroy' ? op.set : op.name;
      if (!m.sets.has(name)) refuse(op, ENOENT, 'no such set');
      const refs = referencesTo(m, name);
      if (refs.length > 0) refuse(op, EBUSY, `set in use by ${refs.join(', ')}`);
      m.sets.delete(name);
      return;
    }
    case 'ledger-add':
    case 'ledger-del': {
      const ledger = m.sets.get(op.set);
      if (!ledger) refuse(op, ENOENT, 'no such ledger set');
      if (op.kind === 'ledger-del') {
        if (!ledger.entries.delete(op.entry)) refuse(op, ENOENT, 'element not in the set');
        return;
      }
      if (ledger.entries.has(op.entry)) refuse(op, EEXIST, 'element already in the set');
      if (op.set === LEDGER_SETS) {
        const member = m.sets.get(op.entry);
        if (!member) refuse(op, ENOENT, 'set to be added as element does not exist');
        if (member.type === 'list:set') refuse(op, ELOOP, 'a list:set cannot hold a list:set');
        if (ledger.entries.size >= (ledger.size ?? 0)) refuse(op, ENOSPC, 'list:set is full');
      }
      ledger.entries.add(op.entry);
      return;
    }
    case 'link-create':
      if (m.link) refuse(op, EEXIST, `link ${m.link.name} exists`);
      m.link = { name: op.name, addresses: new Set() };
      m.interfaceName ??= op.name;
      return;
    case 'link-del':
      if (m.link?.name !== op.name) refuse(op, ENODEV, 'no such link');
      delete m.link;
      return;
    case 'address-add':
    case 'address-del': {
      if (m.link?.name !== op.interface) refuse(op, ENODEV, 'no such link');
      if (op.kind === 'address-add') {
        if (m.link.addresses.has(op.address)) refuse(op, EEXIST, 'address exists');
        m.link.addresses.add(op.address);
      } else if (!m.link.addresses.delete(op.address)) {
        refuse(op, EADDRNOTAVAIL, 'no such address');
      }
      return;
    }
    case 'vs-add': {
      const key = virtualServerKey(op.service as VirtualServer);
      if (m.virtualServers.has(key)) refuse(op, EEXIST, 'virtual server exists');
      m.virtualServers.set(key, { ...op.service, realServers: [] });
      return;
    }
    case 'vs-update': {
      const key = virtualServerKey(op.service as VirtualServer);
      const vs = m.virtualServers.get(key);
      if (!vs) refuse(op, ESRCH, 'no such virtual server');
      m.virtualServers.set(key, { ...op.service, realServers: vs.realServers });
      return;
    }
    case 'vs-del': {
      if (!m.virtualServers.delete(virtualServerKey(op.service as VirtualServer))) refuse(op, ESRCH, 'no such virtual server');
      return;
    }
    case 'rs-add':
    case 'rs-update':
    case 'rs-del': {
      const key = virtualServerKey(op.service as VirtualServer);
      const vs = m.virtualServers.get(key);
      if (!vs) refuse(op, ESRCH, 'no such virtual server');
      const at = vs.realServers.findIndex((rs) => sameRealServerIdentity(rs, op.realServer));
      const exists = at >= 0;
      const others = exists ? vs.realServers.filter((_, i) => i !== at) : vs.realServers;
      if (op.kind === 'rs-add' && exists) refuse(op, EEXIST, 'real server exists');
      if (op.kind !== 'rs-add' && !exists) refuse(op, ENOENT, 'no such real server');
      if (op.kind !== 'rs-del') checkRealServer(op, vs, op.realServer);
      const realServers = op.kind === 'rs-del' ? others : [...others, canonicalRealServer(op.realServer)];
      m.virtualServers.set(key, { ...vs, realServers });
      return;
    }
    case 'ipset-create':
      if (m.sets.has(op.set.name)) refuse(op, EEXIST, 'a set with this name exists');
      m.sets.set(op.set.name, { ...op.set, entries: new Set() });
      return;
    case 'ipset-add':
    case 'ipset-del': {
      const set = m.sets.get(op.name);
      if (!set) refuse(op, ENOENT, 'no such set');
      if (set.type !== op.type || (set.type !== 'bitmap:port' && set.family !== op.family)) {
        refuse(op, EINVAL, `the set is ${set.type} ${set.family}; members were encoded for ${op.type} ${op.family}`);
      }
      for (const e of op.entries) {
        if (op.kind === 'ipset-del') {
          if (!set.entries.delete(e)) refuse(op, ENOENT, `${e}: element not in the set`);
          continue;
        }
        if (set.entries.has(e)) refuse(op, EEXIST, `${e}: element already in the set`);
        if (set.entries.size >= (set.maxelem ?? 65536)) refuse(op, ENOSPC, 'set is full (maxelem)');
        set.entries.add(e);
      }
      return;
    }
    case 'ipset-swap': {
      const a = m.sets.get(op.name);
      const b = m.sets.get(op.with);
      if (!a || !b) refuse(op, ENOENT, 'no such set');
      if (!swappable(a, b)) refuse(op, EINVAL, 'the sets cannot be swapped: their type does not match');
      // Names (and the references that hold them by index) stay; contents change places.
      m.sets.set(op.name, { ...b, name: op.name });
      m.sets.set(op.with, { ...a, name: op.with });
      return;
    }
    case 'ipset-rename': {
      const set = m.sets.get(op.from);
      if (!set) refuse(op, ENOENT, 'no such set');
      if (m.sets.has(op.to)) refuse(op, EEXIST, 'a set with the new name exists');
      const refs = referencesTo(m, op.from);
      if (refs.length > 0) refuse(op, EBUSY, `set cannot be renamed: in use by ${refs.join(', ')}`);
      m.sets.delete(op.from);
      m.sets.set(op.to, { ...set, name: op.to });
      return;
    }
    case 'ipset-flush': {
      const set = m.sets.get(op.name);
      if (!set) refuse(op, ENOENT, 'no such set');
      set.entries = new Set();
      return;
    }
    case 'iptables-sync': {
      // iptables-restore fails when a rule names a set that does not exist.
      for (const name of setsUsedByRules(op.iptables)) {
        if (!m.sets.has(name)) refuse(op, ENOENT, `rules use set ${name}, which does not exist`);
      }
      m.iptables = op.iptables;
      return;
    }
  }
}

function checkRealServer(op: Operation, vs: VirtualServer, rs: RealServer): void {
  if ((rs.lowerThreshold ?? 0) > (rs.upperThreshold ?? 0)) refuse(op, ERANGE, 'lower threshold is higher than upper threshold');
  const vsFamily = vs.fwmark !== undefined ? (vs.family ?? 'inet') : vs.address!.includes(':') ? 'inet6' : 'inet';
  const rsFamily = rs.address.includes(':') ? 'inet6' : 'inet';
  if (vsFamily !== rsFamily && rs.forward !== 'tunnel') refuse(op, EINVAL, 'mixed address families need tunnel forwarding');
}
