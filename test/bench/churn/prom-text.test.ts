// e2e/bench/churn/prom-text.ts: the proxier's /metrics text, sums, and histogram quantiles over an interval.
import { expect } from 'chai';
import { histogram, histogramDelta, histogramQuantile, parsePromText, sumOf } from '../../../e2e/bench/churn/prom-text.js';

const TEXT = `# HELP kubeproxy_network_programming_duration_seconds In Cluster Network Programming Latency in seconds
# TYPE kubeproxy_network_programming_duration_seconds histogram
kubeproxy_network_programming_duration_seconds_bucket{le="0.25"} 10
kubeproxy_network_programming_duration_seconds_bucket{le="0.5"} 30
kubeproxy_network_programming_duration_seconds_bucket{le="1"} 40
kubeproxy_network_programming_duration_seconds_bucket{le="+Inf"} 40
kubeproxy_network_programming_duration_seconds_sum 14.5
kubeproxy_network_programming_duration_seconds_count 40
ipvs_proxier_kernel_operations_total{kind="rs-add",note="a \\"quoted\\" \\\\ value"} 7
ipvs_proxier_kernel_operations_total{kind="rs-del"} 5 1700000000000
`;

describe('churn bench: Prometheus text', () => {
  const samples = parsePromText(TEXT);

  it('parses names, labels (escapes included), values and skips comments', () => {
    expect(samples).to.have.length(8);
    expect(samples[3]).to.deep.equal({ name: 'kubeproxy_network_programming_duration_seconds_bucket', labels: { le: '+Inf' }, value: 40 });
    expect(samples[6]!.labels).to.deep.equal({ kind: 'rs-add', note: 'a "quoted" \\ value' });
    expect(samples[7]!.value).to.equal(5);
  });

  it('refuses a line it cannot read', () => {
    expect(() => parsePromText('what is this')).to.throw(/cannot parse line "what is this"/);
  });

  it('sums a series, optionally by label', () => {
    expect(sumOf(samples, 'ipvs_proxier_kernel_operations_total')).to.equal(12);
    expect(sumOf(samples, 'ipvs_proxier_kernel_operations_total', { kind: 'rs-del' })).to.equal(5);
    expect(sumOf(samples, 'absent_total')).to.equal(0);
  });

  it('interpolates quantiles within a bucket as histogram_quantile does', () => {
    const h = histogram(samples, 'kubeproxy_network_programming_duration_seconds');
    expect(h.count).to.equal(40);
    expect(h.sum).to.equal(14.5);
    // rank 20 of 40: 10 below 0.25, 20 in (0.25, 0.5]: halfway
    expect(histogramQuantile(0.5, h)).to.be.closeTo(0.375, 1e-9);
    // rank 5: half of the first bucket, from 0
    expect(histogramQuantile(0.125, h)).to.be.closeTo(0.125, 1e-9);
    // rank 39.6 in (0.5, 1]: 9.6 of 10
    expect(histogramQuantile(0.99, h)).to.be.closeTo(0.98, 1e-9);
  });

  it('answers the largest finite bound for ranks in +Inf, NaN when nothing was observed', () => {
    const h = { buckets: [{ le: 1, count: 1 }, { le: Infinity, count: 10 }], count: 10, sum: 50 };
    expect(histogramQuantile(0.5, h)).to.equal(1);
    expect(histogramQuantile(0.5, { buckets: [{ le: 1, count: 0 }, { le: Infinity, count: 0 }], count: 0, sum: 0 })).to.be.NaN;
  });

  it('takes the quantiles of what two scrapes differ by', () => {
    const before = histogram(samples, 'kubeproxy_network_programming_duration_seconds');
    const after = histogram(parsePromText(TEXT.replace('{le="1"} 40', '{le="1"} 50').replace('{le="+Inf"} 40', '{le="+Inf"} 50').replace('_count 40', '_count 50')), 'kubeproxy_network_programming_duration_seconds');
    const d = histogramDelta(after, before);
    expect(d.count).to.equal(10);
    expect(d.buckets.map((b) => b.count)).to.deep.equal([0, 0, 10, 10]);
    // all ten in (0.5, 1]: the median halfway
    expect(histogramQuantile(0.5, d)).to.be.closeTo(0.75, 1e-9);
  });
});
