// The tallying and pacing of e2e/traffic/requests.ts with fake requests: no network, no root, fast (runs
// on the host as well as in the VM).
import { expect } from 'chai';
import { spread, stream, type Answer, type SendOne } from '../../../e2e/traffic/requests.js';

/** Answers in turn from the pods (with a remote address), failing the requests whose number is in `fail`. */
function fakeRequests(pods: string[], fail: Set<number> = new Set()): SendOne {
  let n = 0;
  return async (): Promise<Answer> => {
    const i = n++;
    await new Promise((r) => setTimeout(r, 1));
    if (fail.has(i)) throw new Error('ECONNREFUSED');
    return { pod: pods[i % pods.length]!, remoteAddress: `10.0.0.${i % 2}` };
  };
}

describe('traffic requests: spread and stream tallies', function () {
  it('spread counts answers per pod, distinct remote addresses per pod, and every failure in order', async function () {
    const result = await spread(10, 3, fakeRequests(['b', 'a'], new Set([4, 7])));
    expect(result.total).to.equal(10);
    expect(result.ok).to.equal(8);
    expect(result.counts).to.deep.equal({ a: 4, b: 4 });
    expect(Object.keys(result.counts)).to.deep.equal(['a', 'b']);
    expect(result.remoteAddresses).to.deep.equal({ a: ['10.0.0.1'], b: ['10.0.0.0'] });
    expect(result.failures.map((f) => f.error)).to.deep.equal(['ECONNREFUSED', 'ECONNREFUSED']);
    for (const f of result.failures) expect(new Date(f.atIso).getTime()).to.equal(f.at);
  });

  it('spread never has more than `concurrency` requests in flight', async function () {
    let inFlight = 0;
    let most = 0;
    await spread(20, 4, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return { pod: 'p', remoteAddress: '' };
    });
    expect(most).to.equal(4);
  });

  it('refuses unbounded or nonsensical counts', async function () {
    const send = fakeRequests(['p']);
    for (const [n, c] of [[0, 1], [100_001, 1], [1, 0], [1, 65], [1.5, 1]] as const) {
      let error: unknown;
      try {
        await spread(n, c, send);
      } catch (e) {
        error = e;
      }
      expect(error, `${n}, ${c}`).to.be.an('error');
    }
  });

  it('stream sends one request per interval without waiting for slow ones, and stops early on abort', async function () {
    const sentAt: number[] = [];
    const slow: SendOne = async () => {
      sentAt.push(Date.now());
      await new Promise((r) => setTimeout(r, 120));
      return { pod: 'p', remoteAddress: '' };
    };
    const report = await stream({ intervalMs: 20, durationMs: 200 }, slow);
    expect(report.total).to.equal(10);
    expect(report.ok).to.equal(10);
    // Open loop: the 10 requests went out over ~180 ms although each took 120 ms (waiting for each
    // would take 1080 ms; the margin is for a slow VM).
    expect(sentAt[9]! - sentAt[0]!).to.be.within(150, 1000);
    expect(report.maxLatencyMs).to.be.at.least(100);

    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    let started = 0;
    const stopped = await stream({ intervalMs: 20, durationMs: 60_000, signal: stop.signal, onStarted: (at) => (started = at) }, fakeRequests(['p']));
    expect(stopped.total).to.be.within(1, 8);
    expect(started).to.equal(stopped.startedAt);
  });

  it('stream reports failures as they happen, and in the report by sequence', async function () {
    const live: number[] = [];
    const report = await stream({ intervalMs: 5, durationMs: 50, onFailure: (f) => live.push(f.seq) }, fakeRequests(['p', 'q'], new Set([2, 3, 8])));
    expect(report.failures.map((f) => f.seq)).to.deep.equal([2, 3, 8]);
    expect(live.sort((a, b) => a - b)).to.deep.equal([2, 3, 8]);
    expect(report.ok).to.equal(7);
  });
});
