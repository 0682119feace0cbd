// Reading rule text in iptables-save's canonical form ("-m comment --comment \"a b\" -j KUBE-SERVICES").
// iptables-save quotes an argument with "..." when it has spaces or quotes in it and escapes " and \ inside
// with a backslash (xtables_save_string in libxtables), so splitting on blanks outside quotes gives the
// arguments back; that is all we need to find where a rule jumps.

/** The rule's arguments, with quotes removed and escapes resolved. */
export function tokenizeRule(rule: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < rule.length) current += rule[++i];
      else if (c === '"') quoted = false;
      else current += c;
    } else if (c === ' ' || c === '\t') {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      inToken = true;
      if (c === '"') quoted = true;
      else current += c;
    }
  }
  if (quoted) throw new Error(`unterminated quote in iptables rule: ${rule}`);
  if (inToken) tokens.push(current);
  return tokens;
}

/**
 * The chain or target the rule jumps (-j) or goes (-g) to, or undefined. The target comes after every match
 * in the canonical form, so the LAST -j/-g wins: a comment that is literally "-j" then cannot fool it.
 */
export function jumpTarget(rule: string): string | undefined {
  const tokens = tokenizeRule(rule);
  for (let i = tokens.length - 2; i >= 0; i--) {
    const t = tokens[i];
    if (t === '-j' || t === '--jump' || t === '-g' || t === '--goto') return tokens[i + 1];
  }
  return undefined;
}
