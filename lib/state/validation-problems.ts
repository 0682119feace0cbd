// The problems found in a state file, each with the path of the field it is about, and the small readers
// the validators share. Validation collects every problem before reporting, so one run of `apply` shows
// the operator all of them.

export interface StateProblem {
  /** "virtualServers[3].scheduler"; '' for the document itself. */
  path: string;
  message: string;
}

export function formatProblem(p: StateProblem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

export class StateValidationError extends Error {
  constructor(readonly problems: readonly StateProblem[]) {
    super(
      problems.length === 1
        ? `invalid state: ${formatProblem(problems[0]!)}`
        : `invalid state (${problems.length} problems):\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
    this.name = 'StateValidationError';
  }
}

export class Problems {
  readonly list: StateProblem[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v) ?? String(v);
}

/** Unknown keys are typos (a misspelt "virtualServers" would otherwise mean "no virtual servers"). */
export function checkKnownKeys(obj: Record<string, unknown>, known: readonly string[], path: string, problems: Problems): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) problems.add(path, `unknown field "${k}" (known: ${known.join(', ')})`);
  }
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** An integer in [min, max], or undefined after recording a problem. */
export function readInteger(v: unknown, path: string, min: number, max: number, problems: Problems): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    problems.add(path, `expected an integer, got ${describeValue(v)}`);
    return undefined;
  }
  if (v < min || v > max) {
    problems.add(path, `${v} is out of range ${min}-${max}`);
    return undefined;
  }
  return v;
}

export function readString(v: unknown, path: string, problems: Problems): string | undefined {
  if (typeof v !== 'string') {
    problems.add(path, `expected a string, got ${describeValue(v)}`);
    return undefined;
  }
  return v;
}

export function readArray(v: unknown, path: string, problems: Problems): unknown[] | undefined {
  if (!Array.isArray(v)) {
    problems.add(path, `expected an array, got ${describeValue(v)}`);
    return undefined;
  }
  return v;
}

export function readEnum<T extends string>(
  v: unknown,
  known: readonly T[],
  what: string,
  path: string,
  problems: Problems,
): T | undefined {
  if (typeof v !== 'string') {
    problems.add(path, `expected a string, got ${describeValue(v)}`);
    return undefined;
  }
  if (!(known as readonly string[]).includes(v)) {
    problems.add(path, `unknown ${what} "${v}" (known: ${known.join(', ')})`);
    return undefined;
  }
  return v as T;
}
