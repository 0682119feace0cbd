// e2e/bench/churn/report.ts: the summary line each run ends with, RSS growth, the markdown tables.
import { expect } from 'chai';
import { markdownReport, rssGrowthPct, summaryLine, type ChurnResult } from '../../../e2e/bench/churn/report.js';
import { distribution } from '../../../e2e/bench/churn/stats.js';

function result(): ChurnResult {
  return {
    config: { services: 10000, rate: 50, durationS: 300, seed: 1 },
    proxierArgs: [],
    nodeFlags: '--max-semi-space-size=4',
    startup: { apiServerLoadS: 12.34, firstSyncS: 95.5, firstSyncDurationMs: 40000, restartFirstSyncS: 80.25, restartFirstSyncDurationMs: 30000, restartOperations: 0, virtualServersAfterStop: 10000 },
    churnS: 300.2,
    latencyMs: distribution([12.345, 80, 250, 1234.5]),
    lost: 0,
    lostAfterMs: 120000,
    programmingMs: { count: 4, p50: 70, p90: 200, p99: 900, mean: 300 },
    writer: { written: 15000, skipped: 0, failed: 0, retried: 0, lateMs: distribution([1, 2]), writeMs: distribution([3]) },
    observer: { rounds: 100, roundMs: distribution([5, 6]), resolutionMs: distribution([25, 30]), readErrors: 0, pollMs: 20, dumpsPerRound: 100 },
    syncs: { count: 3000, perSecond: 10, changesPerSync: 5, byReason: { requested: 2990, periodic: 10 }, syncMs: distribution([50]) },
    cpu: { seconds: 150, msPerChange: 10 },
    rssMiB: { start: 100.04, minutes: [120, 121], end: 122.96, endVsFirstMinutePct: rssGrowthPct([120, 121], 122.96) },
    netlink: { changeMessages: 60000, perChange: 4, kernelOperations: 60000, kernelOperationsPerChange: 4 },
    guestLoad: { before: '0 0 0', after: '2 2 1' },
    host: { loadBefore: '1.5 1 1', loadAfter: '2 2 2', vmSeconds: 700, commit: 'abc1234' },
  };
}

describe('churn bench: report', () => {
  it('ends a run with the issue\'s summary line (ms: one decimal below 100, whole above)', () => {
    expect(summaryLine(result())).to.equal('churn 10000 services 50/s: p50 80.0 ms, p99 1235 ms, max 1235 ms, rss start 100.0 MiB, end 123.0 MiB');
  });

  it('says "-" for figures that do not exist (no change seen)', () => {
    const r = { ...result(), latencyMs: distribution([]) };
    expect(summaryLine(r)).to.equal('churn 10000 services 50/s: p50 - ms, p99 - ms, max - ms, rss start 100.0 MiB, end 123.0 MiB');
  });

  it('marks figures that lost changes reach as lower bounds and says how many were lost', () => {
    const r = { ...result(), latencyMs: distribution([50, 60, 120000, 120000]), lost: 2 };
    expect(summaryLine(r)).to.equal('churn 10000 services 50/s: p50 60.0 ms, p99 >=120000 ms, max >=120000 ms, rss start 100.0 MiB, end 123.0 MiB; 2 of 4 changes not seen within 120 s');
    expect(markdownReport([r])).to.contain('| 10000 | 50 / 50.0 | 2 (2 lost) | 60.0 / >=120000 / >=120000 / >=120000 |');
  });

  it('says when fewer changes were written than asked for', () => {
    const r = { ...result(), writer: { ...result().writer, written: 2554 } };
    expect(summaryLine(r)).to.equal('churn 10000 services 50/s: p50 80.0 ms, p99 1235 ms, max 1235 ms, rss start 100.0 MiB, end 123.0 MiB; only 8.5 changes/s written (the API server or the guest could not keep up)');
    expect(markdownReport([r])).to.contain('| 10000 | 50 / 8.5 |');
  });

  it('compares end RSS with RSS after the first minute', () => {
    expect(rssGrowthPct([100, 103], 104)).to.be.closeTo(4, 1e-9);
    expect(rssGrowthPct([200], 190)).to.be.closeTo(-5, 1e-9);
    expect(rssGrowthPct([], 100)).to.be.NaN;
  });

  it('puts each run in one row of each table', () => {
    const md = markdownReport([result(), { ...result(), config: { services: 1000, rate: 5, durationS: 300, seed: 1 }, lost: 2, writer: { ...result().writer, failed: 1 } }]).split('\n');
    const rows = md.filter((l) => /^\| 1?0?000 \|/.test(l));
    expect(rows).to.have.length(4);
    expect(md[2]).to.equal('| 10000 | 50 / 50.0 | 4 | 80.0 / 1235 / 1235 / 1235 | 70.0 / 200 / 900 | 10.00 | 5.0 | 10.0 | 4.0 | 100.0 / 120.0 / 123.0 | 2.5 % |');
    expect(md[3]).to.contain('| 1000 | 5 / 50.0 | 2 (2 lost, 1 writes failed) |');
    expect(md).to.include('| 10000 | 50 | 12.3 | 95.5 | 40000 | 80.3 | 30000, 0 | 2.0 | 5.0 / 6.0, 30.0 | - | 1.5 1 1 / 2 2 2 |');
    // The heap, when the run recorded it (figures from before it was have none).
    const withHeap = markdownReport([{ ...result(), heapMiB: { used: 150.04, total: 180.96, external: 3 } }]);
    expect(withHeap).to.contain('| 5.0 / 6.0, 30.0 | 150.0 / 181.0 | 1.5 1 1 / 2 2 2 |');
  });
});
