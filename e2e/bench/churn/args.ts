// `npm run bench:churn -- [--services N] [--rate R] [--duration D] [--seed S]`: the runs to make. A flag
// not given takes every value of the matrix (services 1,000 and 10,000; rate 5 and 50 changes/s),
// the duration 5 minutes: no arguments run the whole matrix, all three run one configuration.
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../../apiserver-src/flags.js';

export interface ChurnConfig {
  services: number;
  /** Changes per second. */
  rate: number;
  durationS: number;
  seed: number;
  /** Write a V8 CPU profile of the proxier (its first run: the apply from empty, then the churn) beside the figures. */
  cpuProfile?: boolean;
}

export const MATRIX_SERVICES = [1000, 10_000];
export const MATRIX_RATES = [5, 50];
export const DEFAULT_DURATION_S = 300;

export const USAGE = `usage: npm run bench:churn -- [--services N] [--rate R] [--duration D] [--seed S] [--cpu-profile]
  --services N   Services of 10 endpoints each (default: ${MATRIX_SERVICES.join(' and ')})
  --rate R       endpoint changes per second (default: ${MATRIX_RATES.join(' and ')})
  --duration D   how long the writer runs: 300, 300s, 5m (default ${DEFAULT_DURATION_S}s)
  --seed S       the writer's random seed (default 1)
  --cpu-profile  also a V8 CPU profile of the proxier (node --cpu-prof), in the figures' folder
One fresh VM per run; figures in .cache/bench/churn-<stamp>/, one summary line per run at the end.
usage: npm run bench:churn -- --report DIR   (the tables and summary lines again from DIR's churn-N-R.json)`;

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0)) throw new Error(`${flag}: "${text}" is not a positive number`);
  return n;
}

export function parseChurnArgs(argv: readonly string[]): ChurnConfig[] {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: { services: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' }, 'cpu-profile': { type: 'boolean' } },
  });
  const services = values.services === undefined ? MATRIX_SERVICES : [positive(values.services, '--services')];
  if (!services.every(Number.isInteger)) throw new Error(`--services: "${values.services}" is not a whole number`);
  const rates = values.rate === undefined ? MATRIX_RATES : [positive(values.rate, '--rate')];
  const durationS = values.duration === undefined ? DEFAULT_DURATION_S : parseDurationMs(values.duration, '--duration') / 1000;
  if (!(durationS > 0)) throw new Error(`--duration: "${values.duration}" is not a positive duration`);
  const seed = values.seed === undefined ? 1 : positive(values.seed, '--seed');
  const cpuProfile = values['cpu-profile'] === true;
  return services.flatMap((n) => rates.map((rate) => ({ services: n, rate, durationS, seed, ...(cpuProfile ? { cpuProfile } : {}) })));
}
