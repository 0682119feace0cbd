// Go's time.ParseDuration syntax, which kube-proxy's duration flags use ("30s", "1m30s", "500ms", "1.5h",
// "0"): a sequence of decimal numbers, each with an optional fraction and a unit (ns, us, µs, ms, s, m, h),
// optionally signed. The result is in milliseconds (fractions kept: "1500us" = 1.5).

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu, also accepted by Go
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

/** Parses a Go duration; throws with the text and what is wrong. */
export function parseDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  // Go accepts a bare "0" (with or without sign) and nothing else without a unit.
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`invalid duration "${text}"`);
  let total = 0;
  while (rest !== '') {
    const m = PART.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new Error(`invalid duration "${text}"`);
    const unit = UNIT_MS[m[3]!];
    if (unit === undefined) throw new Error(`unknown unit "${m[3]}" in duration "${text}"`);
    const value = Number(`${m[1] || '0'}.${m[2] ?? ''}0`);
    total += value * unit;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Milliseconds as a short Go-style duration for messages and logs: 30000 -> "30s", 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  if (h === 0 && m === 0 && s < 1) return `${sign}${+rest.toFixed(6)}ms`;
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${+s.toFixed(9)}s`;
}
