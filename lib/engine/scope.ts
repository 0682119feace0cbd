// What an apply may have to change, when the caller knows: the proxier's event-driven sync changes only
// the objects of the Services that changed, and everything else in its desired state already matches the
// engine's record of the last apply. The planner then looks at these keys only, instead of comparing
// 10,000 virtual servers and sets of 100,000 members to find the four messages a moved endpoint needs.

export interface StateScope {
  /** virtualServerKey() of every virtual server that may differ. */
  virtualServers: ReadonlySet<string>;
  /** Set name -> members that may have come or gone. */
  ipsetMembers: ReadonlyMap<string, ReadonlySet<string>>;
  /** Interface addresses ("10.96.0.10/32") that may have come or gone. */
  addresses: ReadonlySet<string>;
}

/** Everything either scope says may differ. */
export function mergeScopes(a: StateScope, b: StateScope): StateScope {
  const ipsetMembers = new Map<string, ReadonlySet<string>>(a.ipsetMembers);
  for (const [name, members] of b.ipsetMembers) {
    const mine = ipsetMembers.get(name);
    ipsetMembers.set(name, mine ? new Set([...mine, ...members]) : members);
  }
  return {
    virtualServers: new Set([...a.virtualServers, ...b.virtualServers]),
    ipsetMembers,
    addresses: new Set([...a.addresses, ...b.addresses]),
  };
}
