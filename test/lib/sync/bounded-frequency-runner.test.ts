import { expect } from 'chai';
import { BoundedFrequencyRunner, type RunReason } from '../../../lib/sync/bounded-frequency-runner.js';
import { FakeClock } from '../../../lib/sync/clock.js';

/** Lets promise callbacks of a finished run settle before the next clock step. */
const settle = () => new Promise((r) => setImmediate(r));

function setup(opts = { minIntervalMs: 1000, maxIntervalMs: 30_000, retryIntervalMs: 5000 }, fail = () => false) {
  const clock = new FakeClock(0);
  const runs: { at: number; reason: RunReason }[] = [];
  const errors: unknown[] = [];
  const runner = new BoundedFrequencyRunner(
    async (reason) => {
      runs.push({ at: clock.now(), reason });
      if (fail()) throw new Error('kernel said no');
    },
    clock,
    opts,
    (e) => errors.push(e),
  );
  return { clock, runs, errors, runner };
}

async function step(clock: FakeClock, ms: number): Promise<void> {
  clock.advance(ms);
  await settle();
}

describe('BoundedFrequencyRunner', () => {
  it('runs at once on start, then every maxInterval', async () => {
    const { clock, runs, runner } = setup();
    runner.start();
    await step(clock, 0);
    await step(clock, 30_000);
    await step(clock, 30_000);
    expect(runs.map((r) => [r.at, r.reason])).to.deep.equal([[0, 'requested'], [30_000, 'periodic'], [60_000, 'periodic']]);
  });

  it('holds requests back to minInterval after the last run and coalesces them', async () => {
    const { clock, runs, runner } = setup();
    runner.start();
    await step(clock, 0);
    await step(clock, 200);
    runner.run();
    runner.run();
    runner.run();
    await step(clock, 799);
    expect(runs).to.have.length(1);
    await step(clock, 1);
    expect(runs.map((r) => r.at)).to.deep.equal([0, 1000]);
    await step(clock, 5000);
    expect(runs).to.have.length(2);
  });

  it('keeps the periodic run every maxInterval under a steady stream of requests (they never postpone it)', async () => {
    const { clock, runs, runner } = setup();
    runner.start();
    await step(clock, 0);
    // A request every 2 s for 70 s: kubernetes' runner would restart its 30 s timer after each of them.
    for (let t = 2000; t <= 70_000; t += 2000) {
      await step(clock, 2000);
      runner.run();
      await step(clock, 0);
    }
    const periodic = runs.filter((r) => r.reason === 'periodic').map((r) => r.at);
    expect(periodic).to.deep.equal([30_000, 60_000]);
    expect(runs.filter((r) => r.reason === 'requested')).to.have.length.greaterThan(30);
  });

  it('runs a request at once when minInterval has passed', async () => {
    const { clock, runs, runner } = setup();
    runner.start();
    await step(clock, 0);
    await step(clock, 4000);
    runner.run();
    await step(clock, 0);
    expect(runs.map((r) => r.at)).to.deep.equal([0, 4000]);
  });

  it('retries after retryInterval when a run fails, and reports the error', async () => {
    let n = 0;
    const { clock, runs, errors, runner } = setup(undefined, () => ++n === 1);
    runner.start();
    await step(clock, 0);
    expect(errors).to.have.length(1);
    await step(clock, 5000);
    expect(runs.map((r) => [r.at, r.reason])).to.deep.equal([[0, 'requested'], [5000, 'retry']]);
    await step(clock, 30_000);
    expect(runs.map((r) => r.reason)).to.deep.equal(['requested', 'retry', 'periodic']);
  });

  it('never runs twice at once: a request during a run becomes one follow-up run', async () => {
    const clock = new FakeClock(0);
    let release!: () => void;
    let active = 0;
    let maxActive = 0;
    let count = 0;
    const runner = new BoundedFrequencyRunner(
      () => {
        count++;
        active++;
        maxActive = Math.max(maxActive, active);
        return new Promise<void>((r) => (release = () => { active--; r(); }));
      },
      clock,
      { minIntervalMs: 0, maxIntervalMs: 30_000, retryIntervalMs: 1000 },
    );
    runner.start();
    clock.advance(0);
    runner.run();
    runner.run();
    clock.advance(10);
    expect(count).to.equal(1);
    release();
    await settle();
    clock.advance(0);
    expect(count).to.equal(2);
    release();
    await settle();
    expect(maxActive).to.equal(1);
  });

  it('stops scheduling after stop()', async () => {
    const { clock, runs, runner } = setup();
    runner.start();
    await step(clock, 0);
    await runner.stop();
    runner.run();
    await step(clock, 100_000);
    expect(runs).to.have.length(1);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('rejects a min interval above the max interval', () => {
    const clock = new FakeClock(0);
    expect(() => new BoundedFrequencyRunner(async () => {}, clock, { minIntervalMs: 60_000, maxIntervalMs: 30_000, retryIntervalMs: 1 })).to.throw(/exceeds sync period/);
  });
});
