// Reading fields of API objects that arrived unchecked. The proxier's objects come from client-node's
// watch as raw JSON (client-node deserializes lists, never watch events, and checks neither), so an old or
// broken API server, or a restore that bypassed validation, can put any JSON type anywhere. These helpers let
// the desired state report such a field as a problem instead of throwing in the middle of a sync.

/** An own property of `table`: a protocol named "constructor" must not find Object.prototype's. */
export function lookup<T>(table: Readonly<Record<string, T>>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The list at `field`; none when absent or null, and none with a problem when it is something else. */
export function listOf(v: unknown, field: string, problem: (field: string, reason: string) => void): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  problem(field, `${quote(v)} is not a list; ignored`);
  return [];
}

/** A boolean field, or its API default when absent or not a boolean. */
export function flag(v: unknown, absent: boolean): boolean {
  return typeof v === 'boolean' ? v : absent;
}

const QUOTE_MAX = 80;

/** A value for a problem's text: JSON, cut short (one annotation can be 256 KiB; a log line should not). */
export function quote(v: unknown): string {
  const text = v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v));
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 4)}…${text.slice(-1)}` : text;
}
