// Entry point of `npm run bench` (driven by e2e/bench/run, which boots a fresh guest per measurement).
//   node dist/e2e/bench/bench.js ours N OUT.json      in a guest: our engine, (a) (c) (d)
//   node dist/e2e/bench/bench.js c-tools N OUT.json   in a guest: ip -batch, ipset restore, ipvsadm -R
//   node dist/e2e/bench/bench.js cli N OUT.json       in a guest: the whole `ipvs-proxier apply -f`
//   node dist/e2e/bench/bench.js report DIR N,N,...   on the host: results JSON + markdown table
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { measureCli } from './measure-cli.js';
import { measureCTools } from './measure-c-tools.js';
import { measureOurs } from './measure-ours.js';
import { collectResults, markdownReport } from './report.js';

const USAGE = 'usage: bench.js ours|c-tools|cli SERVICES OUT.json | bench.js report RUN_DIR SIZES [RESULTS.json]';

function log(s: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

async function main(argv: string[]): Promise<number> {
  const [mode, arg, out] = argv;
  if (mode === 'report' && arg && out) {
    const date = new Date().toISOString().slice(0, 10);
    const sizes = out.split(',').map(Number);
    const results = collectResults(arg, sizes, date);
    const file = argv[3] ?? join('.cache', 'bench', `results-${date}.json`);
    writeJson(file, results);
    process.stdout.write(markdownReport(results));
    log(`results written to ${file}`);
    return 0;
  }
  const n = Number(arg);
  if (!out || !Number.isInteger(n) || n <= 0) {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  if (mode === 'ours') writeJson(out, await measureOurs(n, log));
  else if (mode === 'c-tools') writeJson(out, measureCTools(n, log));
  else if (mode === 'cli') writeJson(out, measureCli(n, log));
  else {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
