// How to bring our rules in one built-in chain (PREROUTING, INPUT, ...) to the desired list with the fewest
// -D/-I commands, never touching the rules of others in that chain.
//
// Goal: our rules appear in the chain exactly once each, in the desired order. Rules we must add go to the
// top (before others' rules) or right after the previous rule of ours, so the order holds. A rule of ours
// that is already there is NOT moved because another tool later inserted a rule above it: two tools that
// both insist on position 1 would rewrite the chain on every sync, each undoing the other (kube-proxy
// likewise only checks that its jumps exist).

export interface BuiltinChainPlan {
  /** Rule texts to remove, in order; each is one `-D CHAIN rule` (the kernel deletes the first match). */
  deletes: string[];
  /** Then, in order, `-I CHAIN position rule` (1-based, against the chain as the earlier commands left it). */
  inserts: { position: number; rule: string }[];
  /** The chain after both: what iptables-save will print. */
  final: string[];
}

/**
 * @param present the chain's rules as iptables-save printed them
 * @param desired our rules for this chain, without duplicates, in order
 * @param isOwned whether a present rule is ours (desired, jumping to a chain of ours, or in the ledger)
 */
export function planBuiltinChain(present: readonly string[], desired: readonly string[], isOwned: (rule: string) => boolean): BuiltinChainPlan {
  const ours = present.filter(isOwned);
  // `-D CHAIN rule` removes the FIRST rule with that text, so of several copies the last one is what
  // survives: only last copies may be kept, or the survivors would not be the ones the plan ordered.
  const lastCopies = ours.flatMap((rule, i) => (ours.indexOf(rule, i + 1) < 0 ? [i] : []));
  const keptOfLast = longestCommonSubsequence(desired, lastCopies.map((i) => ours[i]!));
  const kept = new Set([...keptOfLast].map((k) => lastCopies[k]!));
  const deletes = ours.filter((_, i) => !kept.has(i));

  const chain = [...present];
  for (const rule of deletes) chain.splice(chain.indexOf(rule), 1);

  const inserts: { position: number; rule: string }[] = [];
  let previous = -1; // index in `chain` of the last desired rule placed so far
  for (const rule of desired) {
    const at = chain.indexOf(rule);
    if (at >= 0) {
      previous = at;
      continue;
    }
    const position = previous + 1;
    chain.splice(position, 0, rule);
    inserts.push({ position: position + 1, rule });
    previous = position;
  }
  const result = chain.filter((rule) => desired.includes(rule) || isOwned(rule));
  if (result.length !== desired.length || result.some((rule, i) => rule !== desired[i])) {
    throw new Error(`internal: built-in chain plan leaves our rules as ${JSON.stringify(result)}, not ${JSON.stringify(desired)}`);
  }
  return { deletes, inserts, final: chain };
}

/** Indices into `b` of one longest common subsequence of a and b (both small: a chain's jump rules). */
function longestCommonSubsequence(a: readonly string[], b: readonly string[]): Set<number> {
  const n = a.length;
  const m = b.length;
  // length[i][j] = LCS length of a[i..] and b[j..]
  const length = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      length[i]![j] = a[i] === b[j] ? length[i + 1]![j + 1]! + 1 : Math.max(length[i + 1]![j]!, length[i]![j + 1]!);
    }
  }
  const matched = new Set<number>();
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      matched.add(j);
      i++;
      j++;
    } else if (length[i + 1]![j]! >= length[i]![j + 1]!) i++;
    else j++;
  }
  return matched;
}
