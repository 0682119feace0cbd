// ipvs-proxier apply -f STATE.json [--dry-run]
// Reads the kernel, plans, applies; one line per operation, then "N operations". Bad input is rejected
// before anything is changed; a kernel error names the operation, and running again converges.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openKernelEngine } from '../engine/engine.js';
import { describe } from '../engine/operations.js';
import { parseState, StateValidationError } from '../state/validate.js';

export const APPLY_USAGE = `usage: ipvs-proxier apply -f STATE.json [--dry-run] [--graceful]
  Makes the kernel match STATE.json (the format 'dump --json' prints) with the fewest operations, touching
  only what ipvs-proxier owns (see README: ownership). '-f -' reads standard input.
  --dry-run   print the plan, change nothing
  --graceful  TCP real servers with connections are set to weight 0 instead of removed (kube-proxy's way)`;

export async function applyCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { file: { type: 'string', short: 'f' }, 'dry-run': { type: 'boolean' }, graceful: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    out(APPLY_USAGE + '\n');
    return 0;
  }
  if (!values.file) {
    err('apply: -f STATE.json is required\n' + APPLY_USAGE + '\n');
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(values.file === '-' ? 0 : values.file, 'utf8');
  } catch (e) {
    err(`apply: cannot read ${values.file}: ${(e as Error).message}\n`);
    return 2;
  }
  let desired;
  try {
    desired = parseState(text);
  } catch (e) {
    if (e instanceof StateValidationError) {
      err(`apply: ${values.file} is not a valid state; nothing was changed:\n${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const engine = await openKernelEngine();
  try {
    const report = await engine.apply(desired, { dryRun: !!values['dry-run'], gracefulTermination: !!values.graceful });
    const failed = new Set(report.failures.map((f) => f.operation));
    for (const op of report.operations) out(`${describe(op)}${failed.has(op) ? '   FAILED' : ''}\n`);
    for (const w of report.warnings ?? []) err(`warning: ${w}\n`);
    for (const f of report.failures) err(`error: ${describe(f.operation)}: ${f.error.message}\n`);
    const n = report.operations.length;
    if (values['dry-run']) out(`${n} operations (dry run: nothing changed)\n`);
    else if (report.failures.length) out(`${report.applied} of ${n} operations applied; run again to converge after fixing the cause\n`);
    else out(`${n} operations\n`);
    return report.failures.length ? 1 : 0;
  } finally {
    engine.close();
  }
}
