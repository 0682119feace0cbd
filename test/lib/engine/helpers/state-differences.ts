// What differs between two states, named as a StateScope names it: the scope an update must report at least.
import type { StateScope } from '../../../../lib/engine/scope.js';
import { virtualServerKey } from '../../../../lib/state/canonical.js';
import type { State } from '../../../../lib/state/types.js';

/** Keys of everything in `before` or `after` that differs between them, as a scope would name it. */
export function differences(before: State, after: State): StateScope {
  const vs = new Map<string, string>();
  for (const v of before.virtualServers) vs.set(virtualServerKey(v), JSON.stringify(v));
  const virtualServers = new Set<string>();
  for (const v of after.virtualServers) {
    const key = virtualServerKey(v);
    if (vs.get(key) !== JSON.stringify(v)) virtualServers.add(key);
    vs.delete(key);
  }
  for (const key of vs.keys()) virtualServers.add(key);
  const ipsetMembers = new Map<string, Set<string>>();
  const names = new Set([...before.ipsets, ...after.ipsets].map((s) => s.name));
  for (const name of names) {
    const b = new Set(before.ipsets.find((s) => s.name === name)?.entries ?? []);
    const a = new Set(after.ipsets.find((s) => s.name === name)?.entries ?? []);
    const changed = new Set([...a].filter((m) => !b.has(m)).concat([...b].filter((m) => !a.has(m))));
    if (changed.size > 0) ipsetMembers.set(name, changed);
  }
  const b = new Set(before.interface?.addresses ?? []);
  const a = new Set(after.interface?.addresses ?? []);
  const addresses = new Set([...a].filter((x) => !b.has(x)).concat([...b].filter((x) => !a.has(x))));
  return { virtualServers, ipsetMembers, addresses };
}
