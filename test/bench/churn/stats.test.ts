// e2e/bench/churn/stats.ts: nearest-rank percentiles as a reader counts them.
import { expect } from 'chai';
import { distribution, percentile } from '../../../e2e/bench/churn/stats.js';

describe('churn bench: percentiles', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it('takes the value at rank ceil(p/100 * n)', () => {
    expect(percentile(hundred, 50)).to.equal(50);
    expect(percentile(hundred, 90)).to.equal(90);
    expect(percentile(hundred, 99)).to.equal(99);
    expect(percentile(hundred, 100)).to.equal(100);
    expect(percentile([7, 8, 9], 50)).to.equal(8);
    expect(percentile([7, 8, 9], 99)).to.equal(9);
    expect(percentile([7], 1)).to.equal(7);
  });

  it('is NaN for no values', () => {
    expect(percentile([], 50)).to.be.NaN;
    expect(distribution([]).count).to.equal(0);
    expect(distribution([]).max).to.be.NaN;
  });

  it('sorts its input without changing it and reports count, max and mean', () => {
    const values = [30, 10, 20, 1000];
    const d = distribution(values);
    expect(values).to.deep.equal([30, 10, 20, 1000]);
    expect(d).to.deep.equal({ count: 4, p50: 20, p90: 1000, p99: 1000, max: 1000, mean: 265 });
  });
});
