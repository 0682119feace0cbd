// `--cleanup`: remove everything we own, then the ledgers. Foreign objects stay.
import { canonicalVirtualServer, compareVirtualServers, virtualServerKey } from '../state/canonical.js';
import { LEDGER_SET_SPECS, ledgerEntryForIpset } from './ledger.js';
import type { ObservedState } from './observed.js';
import type { Operation } from './operations.js';
import { PlanBuilder } from './plan-builder.js';
import { serviceSpec } from './plan-virtual-servers.js';

export function planCleanup(observed: ObservedState): Operation[] {
  const b = new PlanBuilder(observed.ledger);
  const owned = observed.virtualServers
    .map(canonicalVirtualServer)
    .filter((vs) => b.ownsVirtualServer(virtualServerKey(vs)))
    .sort(compareVirtualServers);
  // Their ledger entries go with the ledger sets at the end: a crash in between leaves entries for
  // missing servers, which the next apply or cleanup prunes.
  for (const vs of owned) b.push('vsDel', { kind: 'vs-del', service: serviceSpec(vs) });
  // Rules and chains go before the sets they use.
  b.push('iptables', { kind: 'iptables-sync', iptables: {} });
  for (const s of [...observed.ipsets].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    if (!b.ownsIpset(s.name)) continue;
    b.ledgerDel('ipsetDestroy', ledgerEntryForIpset(s.name));
    b.push('ipsetDestroy', { kind: 'ipset-destroy', name: s.name });
  }
  for (const name of [...observed.ledger.temporaryIpsets].sort()) b.push('ipsetDestroy', { kind: 'ipset-destroy', name });
  // kube-proxy's cleanup deletes kube-ipvs0 too; its addresses go with it.
  if (observed.interface?.exists) b.push('addressDel', { kind: 'link-del', name: observed.interface.name });
  for (const spec of LEDGER_SET_SPECS) {
    if (observed.ledger.sets.has(spec.name)) b.push('ledgerDestroy', { kind: 'ledger-destroy', set: spec.name });
  }
  return b.build();
}
