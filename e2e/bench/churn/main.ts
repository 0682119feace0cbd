// Entry point of `npm run bench:churn -- [--services N] [--rate R] [--duration D]` (on the host, through
// e2e/bench/churn/run): one freshly booted guest per run (deleted IPVS destinations linger in the kernel and
// slow the next run down; see ../README.md), the host's load average around each, the figures in
// .cache/bench/churn-<stamp>/ (per run <name>.json, results.json, report.md), then the markdown tables and
// one summary line per run as the last lines of stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAverage } from '../measure.js';
import { parseChurnArgs, USAGE, type ChurnConfig } from './args.js';
import { markdownReport, summaryLine, type ChurnResult } from './report.js';

const log = (s: string): void => void process.stderr.write(`[bench:churn ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

/** The guest's time limit: the run, plus loading and two first syncs (minutes each at 10,000 Services). */
function vmTimeoutS(c: ChurnConfig): number {
  return Math.ceil(c.durationS + 900 + c.services * 0.3);
}

function commit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.trim() !== '';
  return `${head || 'unknown'}${dirty ? '-dirty' : ''}`;
}

function runOne(c: ChurnConfig, dir: string, rev: string): ChurnResult | string {
  const name = `churn-${c.services}-${c.rate}`;
  const out = join(dir, `${name}.json`);
  const kernelFile = join(dir, 'kernel.txt');
  const timeout = process.env['E2E_VM_TIMEOUT'] ?? String(vmTimeoutS(c));
  const loadBefore = loadAverage();
  log(`${name}: ${c.services} Services, ${c.rate} changes/s, ${c.durationS} s; fresh guest (E2E_VM_TIMEOUT=${timeout}), host load ${loadBefore}`);
  const start = Date.now();
  const p = spawnSync(
    'e2e/run-in-vm',
    ['sh', '-c', 'uname -r > "$1"; shift; exec "$@"', 'sh', kernelFile, process.execPath, 'dist/e2e/bench/churn/guest.js', String(c.services), String(c.rate), String(c.durationS), String(c.seed), out, ...(c.cpuProfile ? ['cpu-profile'] : [])],
    { stdio: 'inherit', env: { ...process.env, E2E_VM_TIMEOUT: timeout } },
  );
  const host = { loadBefore, loadAfter: loadAverage(), vmSeconds: Math.round((Date.now() - start) / 100) / 10, commit: rev, ...(existsSync(kernelFile) ? { kernel: readFileSync(kernelFile, 'utf8').trim() } : {}) };
  if (p.status !== 0 || !existsSync(out)) return `churn ${c.services} services ${c.rate}/s: FAILED (guest exit ${p.status ?? p.signal}; its output is above)`;
  const result = { ...(JSON.parse(readFileSync(out, 'utf8')) as ChurnResult), host };
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  return result;
}

/** `--report DIR`: the tables and summary lines again from a run directory's churn-*.json (e.g. runs of several invocations copied together). */
function report(dir: string): number {
  const files = readdirSync(dir).filter((f) => /^churn-\d+-[\d.]+\.json$/.test(f)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (files.length === 0) {
    process.stderr.write(`bench:churn --report: no churn-N-R.json in ${dir}\n`);
    return 2;
  }
  const results = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ChurnResult);
  process.stdout.write(`${markdownReport(results)}\n`);
  for (const r of results) process.stdout.write(summaryLine(r) + '\n');
  return 0;
}

function main(argv: string[]): number {
  if (argv[0] === '--report' && argv[1]) return report(argv[1]);
  let configs: ChurnConfig[];
  try {
    configs = parseChurnArgs(argv);
  } catch (e) {
    process.stderr.write(`bench:churn: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = join('.cache', 'bench', `churn-${stamp}`);
  mkdirSync(dir, { recursive: true });
  const rev = commit();
  log(`${configs.length} run(s) on commit ${rev}; figures in ${dir}`);
  const outcomes = configs.map((c) => runOne(c, dir, rev));
  const results = outcomes.filter((o): o is ChurnResult => typeof o !== 'string');
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const md = markdownReport(results);
  writeFileSync(join(dir, 'report.md'), md);
  process.stdout.write(`\n${md}\n(figures in ${dir}; commit ${rev})\n`);
  for (const o of outcomes) process.stdout.write((typeof o === 'string' ? o : summaryLine(o)) + '\n');
  return outcomes.every((o) => typeof o !== 'string') ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
