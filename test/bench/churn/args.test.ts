// e2e/bench/churn/args.ts: `npm run bench:churn -- ...` into runs.
import { expect } from 'chai';
import { parseChurnArgs } from '../../../e2e/bench/churn/args.js';

describe('churn bench: arguments', () => {
  it('runs the whole matrix without arguments', () => {
    expect(parseChurnArgs([]).map((c) => [c.services, c.rate, c.durationS])).to.deep.equal([
      [1000, 5, 300],
      [1000, 50, 300],
      [10000, 5, 300],
      [10000, 50, 300],
    ]);
  });

  it('runs one configuration when all three are given (durations with or without a unit)', () => {
    expect(parseChurnArgs(['--services', '1000', '--rate', '5', '--duration', '60s'])).to.deep.equal([{ services: 1000, rate: 5, durationS: 60, seed: 1 }]);
    expect(parseChurnArgs(['--services=10000', '--rate=50', '--duration=5m', '--seed=7'])).to.deep.equal([{ services: 10000, rate: 50, durationS: 300, seed: 7 }]);
    expect(parseChurnArgs(['--services', '10', '--rate', '0.5', '--duration', '90'])[0]!.durationS).to.equal(90);
  });

  it('takes the matrix values for a flag not given', () => {
    expect(parseChurnArgs(['--services', '10000']).map((c) => c.rate)).to.deep.equal([5, 50]);
    expect(parseChurnArgs(['--rate', '50']).map((c) => c.services)).to.deep.equal([1000, 10000]);
  });

  it('refuses bad values and unknown flags, naming the flag', () => {
    expect(() => parseChurnArgs(['--services', '0'])).to.throw(/--services: "0" is not a positive number/);
    expect(() => parseChurnArgs(['--services', '1.5'])).to.throw(/--services/);
    expect(() => parseChurnArgs(['--rate', 'fast'])).to.throw(/--rate: "fast"/);
    expect(() => parseChurnArgs(['--duration', 'soon'])).to.throw(/--duration/);
    expect(() => parseChurnArgs(['--servics', '10'])).to.throw(/servics/);
  });
});
