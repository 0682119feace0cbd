// Turns a bench run directory (one JSON file per guest) into the results JSON and a markdown table with the
// ratios against the issue's targets. Pure apart from reading the files it is given.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliResult } from './measure-cli.js';
import type { CToolsResult } from './measure-c-tools.js';
import type { OursResult, StepResult } from './measure-ours.js';
import { round } from './measure.js';

export interface HostLoad {
  /** `uptime`'s load averages on the host before the guest booted and after it powered off. */
  before: string;
  after: string;
  /** Wall time of the whole VM run (boot + measurement + power-off), seconds. */
  vmSeconds: number;
}

export interface SizeResults {
  services: number;
  ours?: OursResult & { hostLoad?: HostLoad };
  cTools?: CToolsResult & { hostLoad?: HostLoad };
}

export interface BenchResults {
  date: string;
  kernel?: string;
  /** V8 flags ours ran with (the launcher's lib/cli/node-flags unless overridden). */
  nodeFlags?: string;
  sizes: SizeResults[];
  cli?: CliResult & { hostLoad?: HostLoad };
  ratios: Record<string, Record<string, number | undefined>>;
  targets: Record<string, { target: string; value?: number; met?: boolean }>;
}

function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

export function collectResults(dir: string, sizes: readonly number[], date: string): BenchResults {
  const withLoad = <T extends object>(name: string): (T & { hostLoad?: HostLoad }) | undefined => {
    const r = readJson<T>(join(dir, `${name}.json`));
    const load = readJson<HostLoad>(join(dir, `${name}.load.json`));
    return r && load ? { ...r, hostLoad: load } : r;
  };
  const out: BenchResults = { date, sizes: [], ratios: {}, targets: {} };
  const kernel = existsSync(join(dir, 'kernel.txt')) ? readFileSync(join(dir, 'kernel.txt'), 'utf8').trim() : undefined;
  if (kernel) out.kernel = kernel;
  if (existsSync(join(dir, 'node-flags.txt'))) out.nodeFlags = readFileSync(join(dir, 'node-flags.txt'), 'utf8').trim();
  for (const n of sizes) {
    const s: SizeResults = { services: n };
    const ours = withLoad<OursResult>(`ours-${n}`);
    const cTools = withLoad<CToolsResult>(`c-tools-${n}`);
    if (ours) s.ours = ours;
    if (cTools) s.cTools = cTools;
    out.sizes.push(s);
    out.ratios[String(n)] = ratios(s);
  }
  const cli = [...sizes].reverse().map((n) => withLoad<CliResult>(`cli-${n}`)).find((c) => c !== undefined);
  if (cli) out.cli = cli;
  const largest = out.sizes.filter((s) => s.ours).at(-1);
  if (largest?.ours) {
    const r = out.ratios[String(largest.services)]!;
    const d = largest.ours.oneEndpointPartial;
    out.targets = {
      [`(a) <= 1.0 x (b) at ${largest.services}`]: target('<= 1.0', r['a/b_with_addresses'], (v) => v <= 1.0),
      [`(a) <= 1.0 x (b) at ${largest.services}, b without addresses`]: target('<= 1.0', r['a/b_without_addresses'], (v) => v <= 1.0),
      [`(c) <= 0.5 x (a) at ${largest.services}`]: target('<= 0.5', r['c/a'], (v) => v <= 0.5),
      '(d) <= 5 netlink messages besides reads (event-driven path)': target('<= 5', d.transport.messagesSent, (v) => v <= 5),
      [`(d) event-driven <= 1 % of (a) at ${largest.services}`]: target('<= 1 %', r['d/a_percent'], (v) => v <= 1),
      '(d) <= 5 netlink messages besides reads (full path)': target('<= 5', largest.ours.oneEndpointFull.changeMessages, (v) => v <= 5),
      [`peak RSS < 250 MB at ${largest.services}`]: target('< 250 MB', round((maxPeak(largest.ours) * 1048576) / 1e6, 1), (v) => v < 250),
    };
  }
  return out;
}

function target(text: string, value: number | undefined, ok: (v: number) => boolean): { target: string; value?: number; met?: boolean } {
  return value === undefined ? { target: text } : { target: text, value, met: ok(value) };
}

function maxPeak(o: OursResult): number {
  return Math.max(o.applyFromEmpty.peakRssMiB, o.reapplyUnchanged.peakRssMiB, o.oneEndpointPartial.peakRssMiB, o.oneEndpointRecord?.peakRssMiB ?? 0, o.oneEndpointFull.peakRssMiB);
}

export function cToolsMs(c: CToolsResult, withAddresses: boolean): number {
  return round(c.ipvsadmRestore.ms + c.ipsetRestore.ms + (withAddresses ? c.ipBatch.ms : 0), 1);
}

function ratios(s: SizeResults): Record<string, number | undefined> {
  const a = s.ours?.applyFromEmpty.ms;
  const c = s.ours?.reapplyUnchanged.ms;
  const r = (x: number | undefined, y: number | undefined) => (x !== undefined && y !== undefined && y > 0 ? round(x / y, 2) : undefined);
  return {
    'a/b_with_addresses': r(a, s.cTools && cToolsMs(s.cTools, true)),
    'a/b_without_addresses': r(a, s.cTools && cToolsMs(s.cTools, false)),
    'c/a': r(c, a),
    'd/a_percent': r(s.ours && s.ours.oneEndpointPartial.ms * 100, a),
    'peakRss_ours/c_tools': r(s.ours && maxPeak(s.ours), s.cTools && Math.max(s.cTools.ipBatch.peakRssMiB, s.cTools.ipsetRestore.peakRssMiB, s.cTools.ipvsadmRestore.peakRssMiB)),
  };
}

const fmt = (n: number | undefined, unit = ''): string => (n === undefined ? '—' : `${n.toLocaleString('en-US')}${unit}`);
const sec = (ms: number | undefined): string => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
const msgs = (s: StepResult | undefined): string =>
  s ? `${fmt(s.changeMessages)} / ${fmt(s.transport.messagesSent)} msgs, ${fmt(s.transport.datagramsSent)} sent / ${fmt(s.transport.datagramsReceived)} recv dgrams` : '—';

export function markdownReport(r: BenchResults): string {
  const cols = r.sizes.map((s) => s.services);
  const row = (label: string, f: (s: SizeResults) => string): string => `| ${label} | ${r.sizes.map(f).join(' | ')} |`;
  const lines = [
    `## ipvs-proxier bench ${r.date}${r.kernel ? ` (guest kernel ${r.kernel}, qemu TCG, 2 vCPUs)` : ''}${r.nodeFlags !== undefined ? `, node ${r.nodeFlags || '(V8 defaults)'}` : ''}`,
    '',
    `| services x 10 real servers | ${cols.map((n) => n.toLocaleString('en-US')).join(' | ')} |`,
    `|---|${cols.map(() => '---:').join('|')}|`,
    row('(a) ours: engine.apply from empty', (s) => sec(s.ours?.applyFromEmpty.ms)),
    row('(a) operations / change messages / datagrams sent', (s) => (s.ours ? `${fmt(s.ours.applyFromEmpty.operations)} / ${fmt(s.ours.applyFromEmpty.changeMessages)} / ${fmt(s.ours.applyFromEmpty.transport.datagramsSent)}` : '—')),
    row('(b) ipvsadm -R', (s) => sec(s.cTools?.ipvsadmRestore.ms)),
    row('(b) ipset restore', (s) => sec(s.cTools?.ipsetRestore.ms)),
    row('(b) ip -batch (link + addresses)', (s) => sec(s.cTools?.ipBatch.ms)),
    row('(b) C tools without addresses (ipvsadm -R + ipset restore)', (s) => sec(s.cTools && cToolsMs(s.cTools, false))),
    row('(b) C tools with addresses (+ ip -batch)', (s) => sec(s.cTools && cToolsMs(s.cTools, true))),
    row('**(a) / (b) with addresses** (like with like)', (s) => fmt(r.ratios[String(s.services)]?.['a/b_with_addresses'])),
    row('(a) / (b) without addresses (ours still adds them)', (s) => fmt(r.ratios[String(s.services)]?.['a/b_without_addresses'])),
    row('(c) ours: re-apply, nothing changed (median of the runs; all runs)', (s) =>
      s.ours ? `${sec(s.ours.reapplyUnchanged.ms)} (${(s.ours.reapplyUnchanged.runsMs ?? [s.ours.reapplyUnchanged.ms]).map(sec).join(', ')})` : '—'),
    row('(c) netlink traffic (all reads)', (s) => msgs(s.ours?.reapplyUnchanged)),
    row('**(c) / (a)**', (s) => fmt(r.ratios[String(s.services)]?.['c/a'])),
    row('(d) one endpoint, event-driven sync: aggregate update + scoped plan (median; of it the update, GC; all runs)', (s) => {
      const d = s.ours?.oneEndpointPartial;
      if (!d) return '—';
      return `${d.ms.toFixed(1)} ms (update ${d.desiredMs?.toFixed(1) ?? '—'} ms, GC ${d.gcMs?.toFixed(1) ?? '—'} ms; ${(d.runsMs ?? [d.ms]).map((x) => x.toFixed(0)).join(', ')} ms)`;
    }),
    row('(d) event-driven: change / total msgs, datagrams', (s) => msgs(s.ours?.oneEndpointPartial)),
    row('**(d) event-driven / (a)**', (s) => (r.ratios[String(s.services)]?.['d/a_percent'] === undefined ? '—' : `${fmt(r.ratios[String(s.services)]?.['d/a_percent'])} %`)),
    row('(d) one endpoint, whole state planned against the record', (s) => (s.ours?.oneEndpointRecord ? `${s.ours.oneEndpointRecord.ms.toFixed(1)} ms` : '—')),
    row('(d) one endpoint, full re-read', (s) => sec(s.ours?.oneEndpointFull.ms)),
    row('(d) full: change / total msgs, datagrams', (s) => msgs(s.ours?.oneEndpointFull)),
    row('peak RSS ours after (a) / (c) / (d event-driven) / (d full), MiB', (s) =>
      s.ours ? [s.ours.applyFromEmpty, s.ours.reapplyUnchanged, s.ours.oneEndpointPartial, s.ours.oneEndpointFull].map((x) => x.peakRssMiB).join(' / ') : '—'),
    row('peak RSS ipvsadm / ipset / ip, MiB', (s) => (s.cTools ? [s.cTools.ipvsadmRestore, s.cTools.ipsetRestore, s.cTools.ipBatch].map((x) => x.peakRssMiB).join(' / ') : '—')),
    row('host load before / after (ours VM)', (s) => (s.ours?.hostLoad ? `${s.ours.hostLoad.before} / ${s.ours.hostLoad.after}` : '—')),
    row('host load before / after (C tools VM)', (s) => (s.cTools?.hostLoad ? `${s.cTools.hostLoad.before} / ${s.cTools.hostLoad.after}` : '—')),
  ];
  if (r.cli) {
    lines.push('', `Whole CLI at ${r.cli.services.toLocaleString('en-US')} services (fresh guest): \`${r.cli.command}\`: ${sec(r.cli.ms)} wall, peak RSS ${r.cli.peakRssMiB} MiB, "${r.cli.lastLine}"${r.cli.hostLoad ? `; host load ${r.cli.hostLoad.before} / ${r.cli.hostLoad.after}` : ''}.`);
  }
  if (Object.keys(r.targets).length > 0) {
    lines.push('', '| target | value | met |', '|---|---:|---|');
    for (const [name, t] of Object.entries(r.targets)) lines.push(`| ${name} (${t.target}) | ${fmt(t.value)} | ${t.met === undefined ? '—' : t.met ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n') + '\n';
}
