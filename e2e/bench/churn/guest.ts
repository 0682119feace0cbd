// One churn run inside a freshly booted guest: `node guest.js SERVICES RATE DURATION_S SEED OUT.json`.
// The stand-in API server (its own process) loaded with the Services, the real `ipvs-proxier` process (the
// launcher's V8 flags) started on an empty kernel, then the writer and the observer for the duration, the
// proxier sampled from /proc and /metrics; then a restart of the proxier on the programmed kernel. Writes
// the figures (report.ts ChurnResult) to OUT.json and prints the summary line.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startNodeChild, stopChild, waitForChild, type Child } from '../../demo-src/child.js';
import { loadAverage } from '../measure.js';
import { ChangeSource, seededRandom } from './changes.js';
import { NODE_NAME } from './cluster-objects.js';
import { DUMPS_PER_ROUND, GIVE_UP_MS, KernelObserver, POLL_MS } from './observer.js';
import { sampleProcess } from './process-sample.js';
import { histogram, histogramDelta, histogramQuantile, parsePromText, sumOf, type Sample } from './prom-text.js';
import { rssGrowthPct, summaryLine, type ChurnResult } from './report.js';
import { distribution } from './stats.js';
import { parseSyncDone, type SyncRecord } from './sync-log.js';
import { runWriter } from './writer.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const now = (): number => performance.now();
const log = (s: string): void => void process.stderr.write(`[churn ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// Bounds of the waits, generous for 10,000 Services under TCG emulation on a loaded host.
const API_LOAD_MS = 20 * 60_000;
const FIRST_SYNC_MS = 30 * 60_000;
const HEALTHZ = 'http://127.0.0.1:10256/healthz';
const METRICS = 'http://127.0.0.1:10249/metrics';
const PROGRAMMING = 'kubeproxy_network_programming_duration_seconds';

/** The proxier as the DaemonSet runs it, as node-1, with per-sync summaries (-v 2) for the bench to count. */
function proxierArgs(kubeconfig: string): string[] {
  return ['--kubeconfig', kubeconfig, '--hostname-override', NODE_NAME, '--cluster-cidr', '10.244.0.0/16', '--healthz-bind-address', '127.0.0.1:10256', '--metrics-bind-address', '127.0.0.1:10249', '-v', '2'];
}

function nodeFlags(): string[] {
  return readFileSync(join(repo, 'lib/cli/node-flags'), 'utf8').trim().split(/\s+/).filter(Boolean);
}

interface RunningProxier {
  child: Child;
  pid: number;
  startS: number;
  first: SyncRecord;
}

/** Starts the proxier; resolves at its first healthy sync. Every "sync done" goes to `syncs` with its arrival time. */
async function startProxier(args: string[], syncs: { at: number; record: SyncRecord }[], profileDir?: string): Promise<RunningProxier> {
  const t0 = now();
  const child = startNodeChild('ipvs-proxier', join(repo, 'dist/lib/cli/main.js'), args, {
    env: { ...process.env, IPVS_PROXIER_LOG_FORMAT: 'json' },
    // The profile is written when the process exits (the SIGTERM before the restart).
    nodeFlags: profileDir ? [...nodeFlags(), '--cpu-prof', `--cpu-prof-dir=${profileDir}`] : nodeFlags(),
    onLine: (line) => {
      const record = parseSyncDone(line);
      if (record) syncs.push({ at: now(), record });
      else process.stderr.write(`  [proxier] ${line.slice(0, 400)}\n`);
    },
  });
  await waitForChild(child, `the proxier's first healthy sync (${HEALTHZ} 200)`, FIRST_SYNC_MS, async () => ((await fetch(HEALTHZ)).status === 200 ? true : undefined));
  const startS = (now() - t0) / 1000;
  const first = syncs.find((s) => s.at >= t0);
  if (!first) throw new Error('/healthz said 200 but no "sync done" line came (is -v below 2?)');
  return { child, pid: child.process.pid!, startS, first: first.record };
}

async function scrape(): Promise<Sample[]> {
  const r = await fetch(METRICS, { signal: AbortSignal.timeout(30_000) });
  if (r.status !== 200) throw new Error(`${METRICS}: HTTP ${r.status}`);
  return parsePromText(await r.text());
}

async function main(argv: string[]): Promise<void> {
  const [services, rate, durationS, seed] = argv.slice(0, 4).map(Number) as [number, number, number, number];
  const out = argv[4];
  const profileDir = argv[5] === 'cpu-profile' && out ? dirname(out) : undefined;
  if (!out || !(services > 0) || !(rate > 0) || !(durationS > 0)) throw new Error('usage: guest.js SERVICES RATE DURATION_S SEED OUT.json');
  const work = mkdtempSync(join(tmpdir(), 'churn-'));
  const kubeconfig = join(work, 'kubeconfig');
  const guestLoadBefore = loadAverage();
  let api: Child | undefined;
  let proxier: RunningProxier | undefined;
  let observer: KernelObserver | undefined;
  try {
    log(`stand-in API server with ${services} Services x 10 endpoints`);
    const t0 = now();
    let listening: string | undefined;
    const apiChild = startNodeChild('the stand-in API server', join(repo, 'dist/e2e/bench/churn/apiserver-main.js'), [String(services), kubeconfig], {
      onLine: (l) => {
        if (l.startsWith('listening on ')) listening = l.slice('listening on '.length);
        else process.stderr.write(`  [apiserver] ${l}\n`);
      },
    });
    api = apiChild;
    const baseUrl = await waitForChild(apiChild, `the API server to load ${services} Services and listen`, API_LOAD_MS, async () => listening);
    const apiServerLoadS = (now() - t0) / 1000;
    log(`API server at ${baseUrl} after ${apiServerLoadS.toFixed(1)} s; starting ipvs-proxier on an empty kernel`);

    const args = proxierArgs(kubeconfig);
    const syncs: { at: number; record: SyncRecord }[] = [];
    proxier = await startProxier(args, syncs, profileDir);
    log(`first healthy sync ${proxier.startS.toFixed(1)} s after start (the sync itself ${proxier.first.durationMs} ms, ${proxier.first.operations} operations)`);
    const firstStart = { s: proxier.startS, ms: proxier.first.durationMs };
    observer = await KernelObserver.open(now);
    const obs = observer;

    const startSample = sampleProcess(proxier.pid);
    const startMetrics = await scrape();
    const churnStart = now();
    const minutes: number[] = [];
    const pid = proxier.pid;
    const minuteTimer = setInterval(() => {
      minutes.push(sampleProcess(pid).rssMiB);
      log(`minute ${minutes.length}: proxier RSS ${minutes[minutes.length - 1]!.toFixed(1)} MiB, ${obs.stats.observations.length} changes seen`);
    }, 60_000);
    log(`writer: ${rate} changes/s for ${durationS} s (seed ${seed}); observer polling every ${POLL_MS} ms`);
    const observing = obs.run();
    const writer = await runWriter(new ChangeSource(services, seededRandom(seed)), {
      baseUrl,
      rate,
      durationMs: durationS * 1000,
      now,
      observing: (s) => obs.isPending(s),
      onWritten: (change, answeredAt) => obs.watch(change, answeredAt),
    });
    const churnS = (now() - churnStart) / 1000;
    obs.stop();
    await observing;
    clearInterval(minuteTimer);
    const endSample = sampleProcess(proxier.pid);
    const endMetrics = await scrape();
    const churnSyncs = syncs.filter((s) => s.at >= churnStart).map((s) => s.record);
    log(`churn done: ${writer.written} written, ${obs.stats.observations.length} seen, ${obs.stats.lost} lost`);

    // Restart on the programmed kernel: the proxier leaves its state on SIGTERM, the next one adopts it.
    await stopChild(proxier.child);
    const virtualServersAfterStop = (await obs.ipvs.listServices()).length;
    log(`proxier stopped (${virtualServersAfterStop} virtual servers left in the kernel); restarting it`);
    proxier = await startProxier(args, syncs);
    log(`restart: first healthy sync ${proxier.startS.toFixed(1)} s after start (the sync itself ${proxier.first.durationMs} ms, ${proxier.first.operations} operations)`);

    const programming = histogramDelta(histogram(endMetrics, PROGRAMMING), histogram(startMetrics, PROGRAMMING));
    const syncCount = sumOf(endMetrics, 'kubeproxy_sync_proxy_rules_duration_seconds_count') - sumOf(startMetrics, 'kubeproxy_sync_proxy_rules_duration_seconds_count');
    const kernelOperations = sumOf(endMetrics, 'ipvs_proxier_kernel_operations_total') - sumOf(startMetrics, 'ipvs_proxier_kernel_operations_total');
    const changeMessages = churnSyncs.reduce((n, s) => n + s.messagesSent, 0);
    const byReason: Record<string, number> = {};
    for (const s of churnSyncs) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
    const byPlan: Record<string, number> = {};
    for (const s of churnSyncs) byPlan[s.plan] = (byPlan[s.plan] ?? 0) + 1;
    // Each sync of the churn, seconds from its start: where the time went.
    const timeline = syncs.filter((s) => s.at >= churnStart).map((s) => ({ atS: Math.round(s.at - churnStart) / 1000, reason: s.record.reason, plan: s.record.plan, durationMs: s.record.durationMs, operations: s.record.operations, ...s.record.phases }));
    const cpuS = endSample.cpuS - startSample.cpuS;
    const changes = writer.written;
    const result: ChurnResult = {
      config: { services, rate, durationS, seed },
      proxierArgs: args,
      nodeFlags: nodeFlags().join(' '),
      startup: {
        apiServerLoadS,
        firstSyncS: firstStart.s,
        firstSyncDurationMs: firstStart.ms,
        restartFirstSyncS: proxier.startS,
        restartFirstSyncDurationMs: proxier.first.durationMs,
        restartOperations: proxier.first.operations,
        virtualServersAfterStop,
      },
      churnS,
      latencyMs: distribution([...obs.stats.observations.map((o) => o.latencyMs), ...new Array<number>(obs.stats.lost).fill(GIVE_UP_MS)]),
      lost: obs.stats.lost,
      lostAfterMs: GIVE_UP_MS,
      programmingMs: {
        count: programming.count,
        p50: histogramQuantile(0.5, programming) * 1000,
        p90: histogramQuantile(0.9, programming) * 1000,
        p99: histogramQuantile(0.99, programming) * 1000,
        mean: programming.count > 0 ? (programming.sum / programming.count) * 1000 : NaN,
      },
      writer: { written: writer.written, skipped: writer.skipped, failed: writer.failed, retried: writer.retried, ...(writer.firstError ? { firstError: writer.firstError } : {}), lateMs: distribution(writer.lateMs), writeMs: distribution(writer.writeMs) },
      observer: { rounds: obs.stats.rounds, roundMs: distribution(obs.stats.roundMs), resolutionMs: distribution(obs.stats.observations.map((o) => o.resolutionMs)), readErrors: obs.stats.readErrors, ...(obs.stats.firstError ? { firstError: obs.stats.firstError } : {}), pollMs: POLL_MS, dumpsPerRound: DUMPS_PER_ROUND },
      syncs: { count: syncCount, perSecond: syncCount / churnS, changesPerSync: syncCount > 0 ? changes / syncCount : NaN, byReason, byPlan, syncMs: distribution(churnSyncs.map((s) => s.durationMs)), timeline },
      cpu: { seconds: cpuS, msPerChange: changes > 0 ? (cpuS * 1000) / changes : NaN },
      rssMiB: { start: startSample.rssMiB, minutes, end: endSample.rssMiB, endVsFirstMinutePct: rssGrowthPct(minutes, endSample.rssMiB) },
      heapMiB: {
        used: sumOf(endMetrics, 'nodejs_heap_size_used_bytes') / 1048576,
        total: sumOf(endMetrics, 'nodejs_heap_size_total_bytes') / 1048576,
        external: sumOf(endMetrics, 'nodejs_external_memory_bytes') / 1048576,
      },
      netlink: { changeMessages, perChange: changes > 0 ? changeMessages / changes : NaN, kernelOperations, kernelOperationsPerChange: changes > 0 ? kernelOperations / changes : NaN },
      guestLoad: { before: guestLoadBefore, after: loadAverage() },
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(summaryLine(result) + '\n');
  } finally {
    observer?.close();
    if (proxier) await stopChild(proxier.child);
    if (api) await stopChild(api);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`churn: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
